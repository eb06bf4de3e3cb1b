import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startBroker, type Broker } from '../../../src/broker/index.js';
import { batchSizeAt, decodeRecords, encodeRecordBatch, readBatchHeader, batchAttribute } from '../../../src/protocol/record-batch.js';
import { RawClient } from '../../helpers/raw-client.js';
import { tempDir } from '../../../bench/lib/temp-dir.js';

const transactions = { checkAfterMs: 100, checkIntervalMs: 150, maxChecks: 3, timeoutMs: 300, checkTimeoutMs: 150 };
const entry = (topic: string, partition: number, values: unknown[]) => ({ topic, partition, batch: encodeRecordBatch(values.map((value) => ({ value })), { now: 1 }) });

describe('transactions over the wire', () => {
  let broker: Broker;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let admin: RawClient;
  const clients: RawClient[] = [];

  const client = async (name = 'producer') => {
    const c = await RawClient.greeted(broker.url, name);
    clients.push(c);
    return c;
  };
  const visible = async (topic: string, partition: number) => {
    const answer = await admin.request({ type: 'fetch', topic, partition, offset: 0, maxBytes: 1 << 20 });
    const records = answer.body.records as Uint8Array;
    const values: unknown[] = [];
    for (let pos = 0; pos < records.length; pos += batchSizeAt(records, pos)) values.push(...decodeRecords(records, pos).map((r) => r.value));
    return values;
  };
  const start = () => startBroker({ port: 0, dataDir: dir.path, logLevel: 'silent', transactions });

  beforeEach(async () => {
    dir = await tempDir();
    broker = await start();
    admin = await RawClient.greeted(broker.url, 'admin');
    await admin.request({ type: 'createTopic', topic: 'orders', partitions: 2 });
    await admin.request({ type: 'createTopic', topic: 'audit', partitions: 1 });
  });
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    admin.close();
    await broker.close();
    await dir.remove();
  });

  it('keeps half messages invisible, then makes every message of a multi-partition commit visible at once', async () => {
    const p = await client();
    const begun = await p.request({ type: 'txnBegin', group: 'order-service', entries: [entry('orders', 0, ['a'])] });
    expect(begun.body).toMatchObject({ transactionId: expect.stringMatching(/^txn-/), state: 'half', messages: 1 });
    const id = begun.body.transactionId;
    expect(await p.request({ type: 'txnSend', group: 'order-service', transactionId: id, entries: [entry('orders', 1, ['b']), entry('audit', 0, ['c', 'd'])] }))
      .toMatchObject({ body: { state: 'half', messages: 4 } });
    expect(await p.request({ type: 'txnSend', group: 'order-service', transactionId: id, entries: [entry('orders', 0, ['e'])] })).toMatchObject({ body: { messages: 5 } });
    expect([await visible('orders', 0), await visible('orders', 1), await visible('audit', 0)]).toEqual([[], [], []]);
    expect(await p.request({ type: 'txnEnd', group: 'order-service', transactionId: id, outcome: 'commit' })).toMatchObject({ body: { state: 'committed' } });
    expect([await visible('orders', 0), await visible('orders', 1), await visible('audit', 0)]).toEqual([['a', 'e'], ['b'], ['c', 'd']]);
    const fetched = await admin.request({ type: 'fetch', topic: 'orders', partition: 0, offset: 0, maxBytes: 1 << 20 });
    const header = readBatchHeader(fetched.body.records);
    expect(header.recordCount).toBe(2); // one batch per partition
    expect(header.attributes & batchAttribute.transactional).toBe(batchAttribute.transactional);
    const status = await admin.request({ type: 'txnStatus', transactionId: id });
    expect(status.body).toMatchObject({ id, group: 'order-service', state: 'committed', messages: 5 });
    expect(status.body.history.map((h: { state: string }) => h.state)).toEqual(['open', 'half', 'half', 'half', 'committing', 'committed']);
  });

  it('never shows a rolled-back message, and guards the end states', async () => {
    const p = await client();
    const { body: { transactionId: id } } = await p.request({ type: 'txnBegin', group: 'g', entries: [entry('orders', 0, ['never'])] });
    expect(await p.request({ type: 'txnEnd', group: 'g', transactionId: id, outcome: 'rollback' })).toMatchObject({ body: { state: 'rolledBack' } });
    expect(await p.request({ type: 'txnEnd', group: 'g', transactionId: id, outcome: 'commit' })).toMatchObject({ code: 'TRANSACTION_ALREADY_ENDED' });
    expect(await p.request({ type: 'txnSend', group: 'g', transactionId: id, entries: [entry('orders', 0, ['late'])] })).toMatchObject({ code: 'TRANSACTION_ALREADY_ENDED' });
    expect(await p.request({ type: 'txnEnd', group: 'g', transactionId: id, outcome: 'rollback' })).toMatchObject({ body: { state: 'rolledBack' } }); // a retried rollback
    expect(await visible('orders', 0)).toEqual([]);
    const { body: { transactionId: committed } } = await p.request({ type: 'txnBegin', group: 'g', entries: [entry('orders', 0, ['x'])] });
    await p.request({ type: 'txnEnd', group: 'g', transactionId: committed, outcome: 'commit' });
    expect(await p.request({ type: 'txnEnd', group: 'g', transactionId: committed, outcome: 'commit' })).toMatchObject({ body: { state: 'committed' } });
    expect(await p.request({ type: 'txnEnd', group: 'g', transactionId: committed, outcome: 'rollback' })).toMatchObject({ code: 'TRANSACTION_ALREADY_ENDED' });
    expect(await visible('orders', 0)).toEqual(['x']);
  });

  it('refuses bad input with codes and changes nothing', async () => {
    const p = await client();
    const { body: { transactionId: id } } = await p.request({ type: 'txnBegin', group: 'g', entries: [entry('orders', 0, ['kept'])] });
    expect(await p.request({ type: 'txnEnd', group: 'g', transactionId: 'txn-999999', outcome: 'commit' })).toMatchObject({ code: 'UNKNOWN_TRANSACTION' });
    expect(await p.request({ type: 'txnEnd', group: 'other', transactionId: id, outcome: 'commit' })).toMatchObject({ code: 'TRANSACTION_GROUP_MISMATCH' });
    expect(await p.request({ type: 'txnSend', group: 'g', transactionId: id, entries: [entry('missing', 0, ['x'])] })).toMatchObject({ code: 'UNKNOWN_TOPIC' });
    expect(await p.request({ type: 'txnSend', group: 'g', transactionId: id, entries: [entry('orders', 7, ['x'])] })).toMatchObject({ code: 'UNKNOWN_PARTITION' });
    expect(await p.request({ type: 'txnBegin', group: '' })).toMatchObject({ code: 'INVALID_REQUEST' });
    expect(await p.request({ type: 'txnRegister', group: '' })).toMatchObject({ code: 'INVALID_REQUEST' });
    expect(await p.request({ type: 'txnCheckAnswer', group: 'g', transactionId: id, checkId: 1, answer: 'commit' })).toMatchObject({ code: 'CHECK_NOT_PENDING' });
    expect(await p.request({ type: 'txnEnd', group: 'g', transactionId: id, outcome: 'maybe' })).toMatchObject({ code: 'INVALID_REQUEST' });
    expect(await p.request({ type: 'txnResolve', transactionId: id, outcome: 'commit' })).toMatchObject({ code: 'INVALID_REQUEST' });
    expect(await p.request({ type: 'txnStatus', transactionId: id })).toMatchObject({ body: { state: 'half', messages: 1 } });
    expect(await p.request({ type: 'txnEnd', group: 'g', transactionId: id, outcome: 'commit' })).toMatchObject({ body: { state: 'committed' } });
    expect(await visible('orders', 0)).toEqual(['kept']);
  });

  it('checks back with a registered producer of the group and applies its answer', async () => {
    const checker = await client('checker');
    await checker.request({ type: 'txnRegister', group: 'g' });
    const p = await client();
    const { body: { transactionId: id } } = await p.request({ type: 'txnBegin', group: 'g', entries: [entry('orders', 1, ['checked'])] });
    const check = await checker.waitFor((f) => f.type === 'txnCheck');
    expect(check).toMatchObject({ group: 'g', transactionId: id, checks: 0 });
    expect(await admin.request({ type: 'txnStatus', transactionId: id })).toMatchObject({ body: { state: 'checking' } });
    expect(await checker.request({ type: 'txnCheckAnswer', group: 'g', transactionId: id, checkId: (check as any).checkId, answer: 'commit' })).toMatchObject({ type: 'result' });
    await expect.poll(() => visible('orders', 1)).toEqual(['checked']);
    // The producer's own late rollback is refused: the check answered first.
    expect(await p.request({ type: 'txnEnd', group: 'g', transactionId: id, outcome: 'rollback' })).toMatchObject({ code: 'TRANSACTION_ALREADY_ENDED' });
    expect(await checker.request({ type: 'txnCheckAnswer', group: 'g', transactionId: id, checkId: (check as any).checkId, answer: 'rollback' })).toMatchObject({ code: 'TRANSACTION_ALREADY_ENDED' });
  });

  it('parks after maxChecks unknowns; an operator resolves it', async () => {
    const checker = await client('checker');
    await checker.request({ type: 'txnRegister', group: 'g' });
    const { body: { transactionId: id } } = await checker.request({ type: 'txnBegin', group: 'g', entries: [entry('orders', 0, ['parked'])] });
    for (let i = 0; i < transactions.maxChecks; i++) {
      const check = await checker.waitFor((f) => f.type === 'txnCheck' && (f as any).checks === i);
      await checker.request({ type: 'txnCheckAnswer', group: 'g', transactionId: id, checkId: (check as any).checkId, answer: 'unknown' });
    }
    const listed = await admin.request({ type: 'listTransactions' });
    expect(listed.body.transactions).toEqual([expect.objectContaining({ id, group: 'g', state: 'parked', checks: 3, ageMs: expect.any(Number) })]);
    expect(await checker.request({ type: 'txnEnd', group: 'g', transactionId: id, outcome: 'commit' })).toMatchObject({ code: 'TRANSACTION_ALREADY_ENDED' });
    expect(await visible('orders', 0)).toEqual([]);
    expect(await admin.request({ type: 'txnResolve', transactionId: id, outcome: 'commit' })).toMatchObject({ body: { state: 'committed' } });
    expect(await visible('orders', 0)).toEqual(['parked']);
    expect(await admin.request({ type: 'txnResolve', transactionId: id, outcome: 'rollback' })).toMatchObject({ code: 'TRANSACTION_ALREADY_ENDED' });
  });

  it('waits without spending checks while no producer is connected, and asks the next producer when one is silent', async () => {
    const p = await client();
    const { body: { transactionId: id } } = await p.request({ type: 'txnBegin', group: 'g', entries: [entry('orders', 0, ['v'])] });
    await new Promise((resolve) => setTimeout(resolve, 600)); // several check rounds with nobody to ask
    const waiting = await admin.request({ type: 'txnStatus', transactionId: id });
    expect(waiting.body).toMatchObject({ checks: 0 });
    expect(['half', 'checking']).toContain(waiting.body.state);
    const silent = await client('silent');
    const answering = await client('answering');
    await silent.request({ type: 'txnRegister', group: 'g' });
    await answering.request({ type: 'txnRegister', group: 'g' });
    // Whoever gets it first: the silent one never answers, so the check moves on to the other within checkTimeoutMs.
    const check = await answering.waitFor((f) => f.type === 'txnCheck', 3_000);
    await answering.request({ type: 'txnCheckAnswer', group: 'g', transactionId: id, checkId: (check as any).checkId, answer: 'rollback' });
    await expect.poll(async () => (await admin.request({ type: 'txnStatus', transactionId: id })).body.state).toBe('rolledBack');
  });

  it('rolls back a transaction that never received a message after timeoutMs', async () => {
    const p = await client();
    const { body: { transactionId: id } } = await p.request({ type: 'txnBegin', group: 'g' });
    await expect.poll(async () => (await admin.request({ type: 'txnStatus', transactionId: id })).body.state, { timeout: 2_000 }).toBe('rolledBack');
    expect(await p.request({ type: 'txnSend', group: 'g', transactionId: id, entries: [entry('orders', 0, ['late'])] })).toMatchObject({ code: 'TRANSACTION_ALREADY_ENDED' });
  });

  it('rebuilds pending transactions after a restart and checks them', async () => {
    const p = await client();
    const { body: { transactionId: id } } = await p.request({ type: 'txnBegin', group: 'g', entries: [entry('orders', 0, ['survivor'])] });
    const { body: { transactionId: done } } = await p.request({ type: 'txnBegin', group: 'g', entries: [entry('orders', 1, ['gone'])] });
    await p.request({ type: 'txnEnd', group: 'g', transactionId: done, outcome: 'rollback' });
    for (const c of clients.splice(0)) c.close();
    admin.close();
    await broker.close();
    broker = await start();
    admin = await RawClient.greeted(broker.url, 'admin');
    expect((await admin.request({ type: 'listTransactions' })).body.transactions).toEqual([expect.objectContaining({ id, state: 'half', messages: 1 })]);
    expect(await admin.request({ type: 'txnStatus', transactionId: done })).toMatchObject({ body: { state: 'rolledBack' } });
    const checker = await client('checker');
    await checker.request({ type: 'txnRegister', group: 'g' });
    const check = await checker.waitFor((f) => f.type === 'txnCheck');
    await checker.request({ type: 'txnCheckAnswer', group: 'g', transactionId: id, checkId: (check as any).checkId, answer: 'commit' });
    await expect.poll(() => visible('orders', 0)).toEqual(['survivor']);
    expect(await visible('orders', 1)).toEqual([]);
  });
});
