import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { startBroker, type Broker } from '../../src/broker/index.js';
import { connect, TransactionOutcomeUnknownError, type Client } from '../../src/client/index.js';
import { spawnBroker, type BrokerProcess } from '../../bench/lib/broker-process.js';
import { tempDir } from '../../bench/lib/temp-dir.js';
import { CutProxy } from '../helpers/cut-proxy.js';
import { RawClient } from '../helpers/raw-client.js';
import { encodeRecordBatch } from '../../src/protocol/record-batch.js';

const transactions = { checkAfterMs: 200, checkIntervalMs: 300, maxChecks: 3, timeoutMs: 1_000, checkTimeoutMs: 300 };
const cli = join(import.meta.dirname, '../../dist/src/cli/main.js');
const run = promisify(execFile);

type Dir = Awaited<ReturnType<typeof tempDir>>;

async function readAll(client: Client, topic: string, partition: number): Promise<unknown[]> {
  const page = await client.fetch(topic, partition, 0, { maxBytes: 1 << 20 });
  return page.records.map((r) => r.value);
}

async function readTopic(client: Client, topic: string, partitions: number): Promise<unknown[]> {
  const all: unknown[] = [];
  for (let p = 0; p < partitions; p++) all.push(...(await readAll(client, topic, p)));
  return all;
}

describe('transactions end to end (in-process broker)', () => {
  let broker: Broker;
  let dir: Dir;
  const clients: Client[] = [];
  const cleanups: Array<() => Promise<void> | void> = [];

  const open = async (url = broker.url, options: { requestTimeoutMs?: number } = {}) => {
    const client = await connect(url, { clientId: 'e2e', reconnectBackoffMs: 50, ...options });
    clients.push(client);
    return client;
  };
  const setUp = async () => {
    dir = await tempDir();
    broker = await startBroker({ port: 0, dataDir: dir.path, logLevel: 'silent', transactions });
    const admin = await open();
    await admin.createTopic('orders', { partitions: 3 });
    await admin.createTopic('audit', { partitions: 1 });
    return admin;
  };

  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
    await Promise.all(clients.splice(0).map((c) => c.close().catch(() => undefined)));
    await broker.close();
    await dir.remove();
  });

  it('shows nothing of a half transaction to fetch or consumer groups, then every message of a multi-partition commit', async () => {
    const admin = await setUp();
    const raw = await RawClient.greeted(broker.url, 'group-consumer');
    cleanups.push(() => raw.close());
    const join = await raw.request({
      type: 'joinGroup', group: 'cart', topics: ['orders', 'audit'], ordering: 'partition', from: 'earliest',
      retryBackoffMs: [50], maxDeliveries: 3, sessionTimeoutMs: 10_000, maxInFlightMessages: 100, maxInFlightBytes: 1 << 20,
    });
    expect(join.type).toBe('result');
    const tp = admin.transactionProducer({ group: 'order-service', checkLocalTransaction: () => 'unknown' });
    await tp.ready;
    const tx = await tp.begin();
    expect(await admin.transactionStatus(tx.id)).toBe('open');
    const keys = ['o-1', 'o-2', 'o-3', 'o-4', 'o-5', 'o-6'];
    const partitions = new Set<number>();
    for (const key of keys) partitions.add((await tx.send('orders', { key, value: { order: key } })).partition);
    await tx.send('audit', { value: 'created 6 orders' });
    expect(partitions.size).toBeGreaterThan(1);
    expect(await admin.transactionStatus(tx.id)).toBe('half');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await readTopic(admin, 'orders', 3)).toEqual([]);
    expect(await readAll(admin, 'audit', 0)).toEqual([]);
    expect(raw.frames.filter((f) => f.type === 'deliver')).toEqual([]);
    await tx.commit();
    expect(await admin.transactionStatus(tx.id)).toBe('committed');
    expect((await readTopic(admin, 'orders', 3)).map((v) => (v as { order: string }).order).sort()).toEqual(keys);
    expect(await readAll(admin, 'audit', 0)).toEqual(['created 6 orders']);
    await raw.waitFor(() => raw.frames.filter((f) => f.type === 'deliver').length >= partitions.size + 1);
  });

  it('never shows a rollback, and refuses a commit after it', async () => {
    const admin = await setUp();
    const tp = admin.transactionProducer({ group: 'order-service', checkLocalTransaction: () => 'unknown' });
    const tx = await tp.begin();
    await tx.send('orders', { key: 'o-9', value: 'never' });
    await tx.rollback();
    await expect(tx.commit()).rejects.toMatchObject({ code: 'TRANSACTION_ALREADY_ENDED' });
    await expect(tx.send('orders', { value: 'late' })).rejects.toMatchObject({ code: 'TRANSACTION_ALREADY_ENDED' });
    expect(await admin.transactionStatus(tx.id)).toBe('rolledBack');
    expect(await readTopic(admin, 'orders', 3)).toEqual([]);
  });

  it('one-shot sendInTransaction: commit, rollback, and a throwing local transaction settled by check-back', async () => {
    const admin = await setUp();
    const decided = new Map<string, 'commit' | 'rollback'>();
    const tp = admin.transactionProducer({ group: 'order-service', checkLocalTransaction: (check) => decided.get(check.id) ?? 'unknown' });
    await tp.ready;
    expect(await tp.sendInTransaction('audit', { value: 'yes' }, () => 'commit')).toMatchObject({ local: 'commit', state: 'committed' });
    expect(await tp.sendInTransaction('audit', { value: 'no' }, () => 'rollback')).toMatchObject({ local: 'rollback', state: 'rolledBack' });
    const left = await tp.sendInTransaction('audit', { value: 'later' }, (tx) => {
      decided.set(tx.id, 'commit'); // the local transaction did commit, then the process "failed" before telling the broker
      throw new Error('crashed after the local commit');
    });
    expect(left).toMatchObject({ local: 'unknown', state: 'half' });
    await expect.poll(() => admin.transactionStatus(left.transactionId), { timeout: 5_000 }).toBe('committed');
    expect(await readAll(admin, 'audit', 0)).toEqual(['yes', 'later']);
  });

  it('reports a lost commit as TransactionOutcomeUnknownError; the check-back on another producer of the group settles it', async () => {
    const admin = await setUp();
    const database = new Set<string>(); // the order service's own database: ids of transactions whose order exists
    const asked: string[] = [];
    const checker = (name: string) => (check: { id: string }) => {
      asked.push(name);
      return database.has(check.id) ? ('commit' as const) : ('unknown' as const);
    };
    const proxy = await CutProxy.start(broker.url);
    cleanups.push(() => proxy.close());
    const doomed = await open(proxy.url, { requestTimeoutMs: 500 });
    const survivor = await open();
    const tpA = doomed.transactionProducer({ group: 'order-service', checkLocalTransaction: checker('A') });
    const tpB = survivor.transactionProducer({ group: 'order-service', checkLocalTransaction: checker('B') });
    await Promise.all([tpA.ready, tpB.ready]);
    const tx = await tpA.begin();
    await tx.send('orders', { key: 'o-42', value: { order: 42 } });
    database.add(tx.id); // the local transaction committed
    proxy.cut(); // the commit never reaches the broker, and its answer never comes back
    const lost = await tx.commit().then(() => undefined, (error: unknown) => error);
    expect(lost).toBeInstanceOf(TransactionOutcomeUnknownError);
    expect(lost).toMatchObject({ code: 'TRANSACTION_OUTCOME_UNKNOWN', transactionId: tx.id });
    await expect.poll(() => admin.transactionStatus(tx.id), { timeout: 5_000 }).toBe('committed');
    expect(asked).toContain('B');
    expect(await readTopic(admin, 'orders', 3)).toEqual([{ order: 42 }]);
  });

  it('registers a transaction producer again after its connection drops and reconnects', async () => {
    await setUp();
    const proxy = await CutProxy.start(broker.url);
    cleanups.push(() => proxy.close());
    const flaky = await open(proxy.url);
    const tp = flaky.transactionProducer({ group: 'flaky-service', checkLocalTransaction: () => 'commit' });
    await tp.ready;
    proxy.drop(); // the broker forgets the registration with the socket
    const raw = await RawClient.greeted(broker.url, 'unregistered-producer');
    cleanups.push(() => raw.close());
    const begun = await raw.request({ type: 'txnBegin', group: 'flaky-service', entries: [{ topic: 'audit', partition: 0, batch: encodeRecordBatch([{ value: 'via check' }], { now: 1 }) }] });
    // Only the reconnected producer can answer this check.
    await expect.poll(async () => (await raw.request({ type: 'txnStatus', transactionId: begun.body.transactionId })).body.state, { timeout: 5_000 }).toBe('committed');
  });

  it('parks after maxChecks unknowns (kept and listed); resolve commits it', async () => {
    const admin = await setUp();
    const tp = admin.transactionProducer({ group: 'slow-service', checkLocalTransaction: () => 'unknown' });
    await tp.ready;
    const tx = await tp.begin();
    await tx.send('audit', { value: 'stuck' });
    await expect.poll(() => admin.transactionStatus(tx.id), { timeout: 5_000 }).toBe('parked');
    expect(await admin.listTransactions()).toEqual([expect.objectContaining({ id: tx.id, group: 'slow-service', state: 'parked', checks: 3, ageMs: expect.any(Number) })]);
    await expect(tx.commit()).rejects.toMatchObject({ code: 'TRANSACTION_ALREADY_ENDED' });
    expect(await readAll(admin, 'audit', 0)).toEqual([]);
    expect(await admin.resolveTransaction(tx.id, 'commit')).toBe('committed');
    expect(await readAll(admin, 'audit', 0)).toEqual(['stuck']);
    const history = (await admin.describeTransaction(tx.id)).history.map((h) => h.state);
    expect(history).toEqual(['open', 'half', 'checking', 'half', 'checking', 'half', 'checking', 'parked', 'committing', 'committed']);
  });

  it('drops a transaction that never received a message after timeoutMs', async () => {
    const admin = await setUp();
    const tp = admin.transactionProducer({ group: 'idle', checkLocalTransaction: () => 'unknown' });
    const tx = await tp.begin();
    await expect.poll(() => admin.transactionStatus(tx.id), { timeout: 3_000 }).toBe('rolledBack');
    await expect(tx.send('audit', { value: 'too late' })).rejects.toMatchObject({ code: 'TRANSACTION_ALREADY_ENDED' });
  });
});

describe('transactions across broker crashes (child process)', () => {
  let broker: BrokerProcess | undefined;
  let dir: Dir | undefined;
  const clients: Client[] = [];
  const txnFlags = ['--txn-check-after-ms', '300', '--txn-check-interval-ms', '300', '--txn-check-timeout-ms', '300'];

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close().catch(() => undefined)));
    await broker?.kill();
    await dir?.remove();
    broker = undefined;
  });

  const open = async (url: string) => {
    const client = await connect(url, { clientId: 'crash-e2e', reconnectBackoffMs: 50, requestTimeoutMs: 2_000 });
    clients.push(client);
    return client;
  };

  it('keeps pending transactions through SIGKILL and checks them after the restart', async () => {
    dir = await tempDir();
    broker = await spawnBroker(dir.path, 0, txnFlags);
    const before = await open(broker.url);
    await before.createTopic('orders', { partitions: 2 });
    const tp = before.transactionProducer({ group: 'order-service', checkLocalTransaction: () => 'unknown' });
    await tp.ready;
    const keep = await tp.begin();
    await keep.send('orders', { key: 'a', value: 'kept' });
    const drop = await tp.begin();
    await drop.send('orders', { key: 'b', value: 'dropped' });
    await broker.kill();
    await before.close().catch(() => undefined);
    broker = await spawnBroker(dir.path, 0, txnFlags);
    const after = await open(broker.url);
    const pending = await after.listTransactions();
    expect(pending.map((t) => t.id).sort()).toEqual([keep.id, drop.id].sort());
    expect(await readTopic(after, 'orders', 2)).toEqual([]);
    const tpAfter = after.transactionProducer({ group: 'order-service', checkLocalTransaction: (check) => (check.id === keep.id ? 'commit' : 'rollback') });
    await tpAfter.ready;
    await expect.poll(() => after.transactionStatus(keep.id), { timeout: 5_000 }).toBe('committed');
    await expect.poll(() => after.transactionStatus(drop.id), { timeout: 5_000 }).toBe('rolledBack');
    expect(await readTopic(after, 'orders', 2)).toEqual(['kept']);
  });

  it('finishes a commit interrupted by a crash after its first partition append, without duplicates', async () => {
    dir = await tempDir();
    process.env.ACTORMQ_FAULT_CRASH_AFTER_COMMIT_APPENDS = '1';
    try {
      broker = await spawnBroker(dir.path, 0, txnFlags);
    } finally {
      delete process.env.ACTORMQ_FAULT_CRASH_AFTER_COMMIT_APPENDS;
    }
    const before = await open(broker.url);
    await before.createTopic('orders', { partitions: 1 });
    await before.createTopic('audit', { partitions: 1 });
    const tp = before.transactionProducer({ group: 'order-service', checkLocalTransaction: () => 'unknown' });
    await tp.ready;
    const tx = await tp.begin();
    await tx.send('orders', { value: 'order' });
    await tx.send('audit', { value: 'audit' });
    await tx.send('orders', { value: 'order line' });
    await expect(tx.commit()).rejects.toBeInstanceOf(TransactionOutcomeUnknownError);
    await broker.kill(); // it killed itself; wait for the exit
    await before.close().catch(() => undefined);
    broker = await spawnBroker(dir.path, 0, txnFlags);
    const after = await open(broker.url);
    expect(await after.transactionStatus(tx.id)).toBe('committed');
    expect(await readAll(after, 'orders', 0)).toEqual(['order', 'order line']);
    expect(await readAll(after, 'audit', 0)).toEqual(['audit']);
    // A second restart re-applies nothing twice either.
    await broker.kill();
    broker = await spawnBroker(dir.path, 0, txnFlags);
    const again = await open(broker.url);
    expect(await readAll(again, 'orders', 0)).toEqual(['order', 'order line']);
    expect(await readAll(again, 'audit', 0)).toEqual(['audit']);
  });

  it('actormq txn list shows a parked transaction; txn resolve commits it', async () => {
    dir = await tempDir();
    broker = await spawnBroker(dir.path, 0, [...txnFlags, '--txn-max-checks', '1']);
    const client = await open(broker.url);
    await client.createTopic('orders', { partitions: 1 });
    const tp = client.transactionProducer({ group: 'order-service', checkLocalTransaction: () => 'unknown' });
    const tx = await tp.begin();
    await tx.send('orders', { value: 'parked' });
    await expect.poll(() => client.transactionStatus(tx.id), { timeout: 5_000 }).toBe('parked');
    const actormq = (...args: string[]) => run(process.execPath, [cli, ...args, '--url', broker!.url]);
    const { stdout } = await actormq('txn', 'list');
    expect(stdout).toMatch(new RegExp(`^${tx.id}\\torder-service\\tparked\\t\\S+\\t1\\t1$`, 'm'));
    expect((await actormq('txn', 'resolve', tx.id, 'commit')).stdout).toBe(`${tx.id}: committed\n`);
    expect(await readAll(client, 'orders', 0)).toEqual(['parked']);
  });
});
