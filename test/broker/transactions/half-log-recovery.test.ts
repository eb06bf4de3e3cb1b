/**
 * The half log after a failed fdatasync, on a real broker with real files
 * and a real client: the broker reopens the log from disk, as a crash
 * would, and keeps serving; a write whose sync failed is answered by what
 * the re-read log holds. Each case then restarts the broker on the same
 * data dir and checks that the replay agrees with what producers were told.
 * Faults are injected at `fs.fdatasync` (test/helpers/half-log-faults.ts);
 * time moves only by the SimulatedClock, so no check-back interferes.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SimulatedClock } from 'xstate';
import { startBroker, type Broker } from '../../../src/broker/index.js';
import { defaultTransactionLimits } from '../../../src/broker/transactions/transaction-limits.js';
import { connect, type Client } from '../../../src/client/index.js';
import { Transaction, type TransactionProducer } from '../../../src/client/transaction-producer.js';
import { tempDir } from '../../../bench/lib/temp-dir.js';
import { HalfLogFaults, isHalfMessage, isOutcome } from '../../helpers/half-log-faults.js';

const topic = 'orders';
const partitions = 2;
const group = 'order-service';
// Long enough never to fire: the SimulatedClock moves only when a test says so.
const transactions = { checkAfterMs: 60_000, checkIntervalMs: 60_000, maxChecks: 3, timeoutMs: 600_000, checkTimeoutMs: 3_000 };

interface Node { broker: Broker; clock: SimulatedClock; client: Client; producer: TransactionProducer }

async function startNode(dataDir: string): Promise<Node> {
  const clock = new SimulatedClock();
  const broker = await startBroker({ port: 0, dataDir, logLevel: 'silent', timers: clock, transactions });
  const client = await connect(broker.url, { clientId: 'half-log-recovery' });
  await client.createTopic(topic, { partitions });
  await client.createTopic('plain', { partitions: 1 });
  const producer = client.transactionProducer({ group, checkLocalTransaction: () => 'unknown' });
  await producer.ready;
  return { broker, clock, client, producer };
}

describe('half log recovery after a failed fdatasync', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let node: Node;

  /** Every value stored in the topic's partitions (what consumers get), sorted. */
  const stored = async () => {
    const values: unknown[] = [];
    for (let partition = 0; partition < partitions; partition++) {
      values.push(...(await node.client.fetch(topic, partition, 0, { maxBytes: 1 << 20 })).records.map((record) => record.value));
    }
    return values.sort();
  };
  const describeTransaction = (id: string) => node.client.describeTransaction(id);
  const closeNode = async () => {
    await node.client.close();
    await node.broker.close();
  };
  /** Restarts the broker on the same data dir: the half log is replayed. */
  const restart = async () => {
    vi.restoreAllMocks();
    await closeNode();
    node = await startNode(dir.path);
  };

  beforeEach(async () => {
    dir = await tempDir();
    node = await startNode(dir.path);
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await closeNode();
    await dir.remove();
  });

  it('(a) acknowledges a half message whose sync failed but which the re-read log holds; new transactions begin, send and commit', async () => {
    const faults = new HalfLogFaults(dir.path);
    faults.failSync({ covering: isHalfMessage });
    const first = await node.producer.begin();
    await first.send(topic, { key: 'a', value: 'first' });
    expect(faults.failures).toBe(1);
    expect(await describeTransaction(first.id)).toMatchObject({ state: 'half', messages: 1 });
    const second = await node.producer.begin();
    await second.send(topic, { key: 'b', value: 'second' });
    await second.commit();
    const pending = await node.producer.begin();
    await pending.send(topic, { key: 'c', value: 'pending' });
    expect(await stored()).toEqual(['second']);

    await restart();
    expect(await stored()).toEqual(['second']);
    expect(await describeTransaction(second.id)).toMatchObject({ state: 'committed' });
    expect(await node.client.listTransactions()).toEqual(expect.arrayContaining([
      expect.objectContaining({ id: first.id, state: 'half', messages: 1 }),
      expect.objectContaining({ id: pending.id, state: 'half', messages: 1 }),
    ]));
    await new Transaction(first.id, node.producer).commit();
    expect(await stored()).toEqual(['first', 'second']);
  });

  it('writes an answered check again after its marker was lost with a failed sync, so a restart still counts it', async () => {
    const tx = await node.producer.begin();
    await tx.send(topic, { value: 'checked' });
    const faults = new HalfLogFaults(dir.path);
    faults.failSync({ covering: (record) => record.k === 'c', dropUnsynced: true });
    node.clock.increment(transactions.checkAfterMs); // the check goes out; the producer answers unknown
    await vi.waitFor(() => expect(faults.failures).toBe(1));
    expect((await describeTransaction(tx.id)).checks).toBe(1);
    // Writes queued behind the reopen are written after it: once this send is answered, the lost marker's retry is scheduled.
    const other = await node.producer.begin();
    await other.send(topic, { value: 'after the reopen' });
    node.clock.increment(defaultTransactionLimits.applyRetryMs);
    await other.send(topic, { value: 'after the retry' }); // queued behind the marker written again
    await restart();
    expect((await describeTransaction(tx.id)).checks).toBe(1);
  });

  it('refuses a half message with STORAGE_ERROR only when the re-read log lacks it; the transaction counts what is stored', async () => {
    const faults = new HalfLogFaults(dir.path);
    faults.failSync({ covering: isHalfMessage, dropUnsynced: true });
    const tx = await node.producer.begin();
    await expect(tx.send(topic, { value: 'lost' })).rejects.toMatchObject({ code: 'STORAGE_ERROR' });
    expect(faults.failures).toBe(1);
    expect(await describeTransaction(tx.id)).toMatchObject({ state: 'open', messages: 0 });
    await tx.send(topic, { value: 'retried' });
    expect(await describeTransaction(tx.id)).toMatchObject({ state: 'half', messages: 1 });

    await restart();
    expect(await node.client.listTransactions()).toEqual([expect.objectContaining({ id: tx.id, state: 'half', messages: 1 })]);
    await new Transaction(tx.id, node.producer).commit();
    expect(await stored()).toEqual(['retried']);
  });

  it('refuses a half message whose append failed, and serves the next one', async () => {
    const faults = new HalfLogFaults(dir.path);
    faults.failNextWrite();
    const tx = await node.producer.begin();
    await expect(tx.send(topic, { value: 'unwritten' })).rejects.toMatchObject({ code: 'STORAGE_ERROR' });
    expect(faults.failures).toBe(1);
    await tx.send(topic, { value: 'written' });
    await tx.commit();
    expect(await stored()).toEqual(['written']);

    await restart();
    expect(await describeTransaction(tx.id)).toMatchObject({ state: 'committed' });
    expect(await stored()).toEqual(['written']);
  });

  it('(b) ends committed a commit whose outcome sync failed but whose record is on disk, and delivers its messages once', async () => {
    const faults = new HalfLogFaults(dir.path);
    faults.failSync({ covering: isOutcome });
    const tx = await node.producer.begin();
    await tx.send(topic, { key: 'a', value: 'one' });
    await tx.send(topic, { key: 'b', value: 'two' });
    await tx.commit();
    expect(faults.failures).toBe(1);
    const status = await describeTransaction(tx.id);
    expect(status).toMatchObject({ state: 'committed', messages: 2 });
    expect(status.history.map((entry) => entry.state)).toEqual(['open', 'half', 'half', 'committing', 'committed']);
    expect(await stored()).toEqual(['one', 'two']);
    const delivered: unknown[] = [];
    await node.client.consumer({ group: 'cart', topics: [topic], from: 'earliest' }).run(async (message) => {
      delivered.push(message.value);
    });
    await expect.poll(() => delivered.length).toBe(2);
    expect(delivered.sort()).toEqual(['one', 'two']);

    await restart();
    expect(await describeTransaction(tx.id)).toMatchObject({ state: 'committed' });
    expect(await stored()).toEqual(['one', 'two']);
    expect(await node.client.listTransactions()).toEqual([]);
  });

  it('(c) answers STORAGE_ERROR to a commit whose outcome record is not on disk: half again, committed later', async () => {
    const faults = new HalfLogFaults(dir.path);
    faults.failSync({ covering: isOutcome, dropUnsynced: true });
    const retried = await node.producer.begin();
    await retried.send(topic, { value: 'retried' });
    await expect(retried.commit()).rejects.toMatchObject({ code: 'STORAGE_ERROR' });
    expect(await describeTransaction(retried.id)).toMatchObject({ state: 'half', messages: 1 });
    expect(await stored()).toEqual([]);
    await retried.commit(); // on the same broker: the half log was reopened, no restart needed
    expect(await stored()).toEqual(['retried']);

    faults.failSync({ covering: isOutcome, dropUnsynced: true });
    const restarted = await node.producer.begin();
    await restarted.send(topic, { value: 'restarted' });
    await expect(restarted.commit()).rejects.toMatchObject({ code: 'STORAGE_ERROR' });
    expect(faults.failures).toBe(2);
    await restart(); // the replay agrees with the answer: no outcome, so half, not committed
    expect(await node.client.listTransactions()).toEqual([expect.objectContaining({ id: restarted.id, state: 'half', messages: 1 })]);
    expect(await stored()).toEqual(['retried']);
    await new Transaction(restarted.id, node.producer).commit();
    expect(await stored()).toEqual(['restarted', 'retried']);

    await restart();
    expect(await describeTransaction(retried.id)).toMatchObject({ state: 'committed' });
    expect(await describeTransaction(restarted.id)).toMatchObject({ state: 'committed' });
    expect(await stored()).toEqual(['restarted', 'retried']);
  });

  it('has writes that arrive while it reopens wait for the reopen', async () => {
    const faults = new HalfLogFaults(dir.path);
    faults.failSync({ covering: isHalfMessage });
    const release = faults.holdSync(); // the reopened log's sync of the rewritten tail
    const first = await node.producer.begin();
    const answers: string[] = [];
    const firstSent = first.send(topic, { value: 'first' }).then(() => answers.push('first'));
    await expect.poll(() => faults.held).toBe(1);
    const second = await node.producer.begin();
    const secondSent = second.send(topic, { value: 'second' }).then(() => answers.push('second'));
    await describeTransaction(second.id); // a later request on the same connection: the send has reached the broker
    expect(answers).toEqual([]);
    release();
    await Promise.all([firstSent, secondSent]);
    expect(answers).toEqual(['first', 'second']);
    expect(await describeTransaction(second.id)).toMatchObject({ state: 'half', messages: 1 });
    await Promise.all([first.commit(), second.commit()]);
    expect(await stored()).toEqual(['first', 'second']);
  });

  it('retries the reopen with backoff while syncs keep failing: new writes are refused, the unsettled one waits, plain produce goes on', async () => {
    const faults = new HalfLogFaults(dir.path);
    faults.failSync({ covering: isHalfMessage });
    faults.failSync(); // the reopen's sync of the rewritten tail
    const first = await node.producer.begin();
    const answers: string[] = [];
    const firstSent = first.send(topic, { value: 'kept' }).then(() => answers.push('first'));
    await expect.poll(() => faults.failures).toBe(2);
    const second = await node.producer.begin();
    await expect(second.send(topic, { value: 'refused' })).rejects.toMatchObject({ code: 'STORAGE_ERROR' });
    await expect(node.client.producer().send('plain', { value: 'unaffected' })).resolves.toMatchObject({ offset: 0 });
    expect(answers).toEqual([]); // its batch may be in the log: only a reopen that succeeds can tell

    node.clock.increment(defaultTransactionLimits.halfLogReopenBackoffMs);
    await firstSent;
    await second.send(topic, { value: 'after' });
    await Promise.all([first.commit(), second.commit()]);
    expect(await stored()).toEqual(['after', 'kept']);

    await restart();
    expect(await stored()).toEqual(['after', 'kept']);
    expect(await node.client.listTransactions()).toEqual([]);
  });

  it('a crash while the reopened log is unsynced leaves a log that agrees with every answer given', async () => {
    const acked = await node.producer.begin();
    await acked.send(topic, { value: 'acked' });
    const faults = new HalfLogFaults(dir.path);
    faults.failSync({ covering: isHalfMessage });
    const release = faults.holdSync(); // the reopened log's sync of the rewritten tail: the crash comes before it
    const unanswered = await node.producer.begin();
    let answered = false;
    const sent = unanswered.send(topic, { value: 'unanswered' }).then(() => (answered = true), () => undefined);
    await expect.poll(() => faults.held).toBe(1);
    const images = { kept: await tempDir(), lost: await tempDir() };
    for (const [unsynced, image] of Object.entries(images)) faults.crashImage(dir.path, image.path, unsynced as 'kept' | 'lost');
    expect(answered).toBe(false);
    vi.restoreAllMocks();
    release();
    await sent;

    for (const [unsynced, image] of Object.entries(images)) {
      const crashed = await startNode(image.path);
      const listed = await crashed.client.listTransactions();
      // Acknowledged: pending, whole. Never answered: pending or gone, as the image has it.
      expect(listed).toContainEqual(expect.objectContaining({ id: acked.id, state: 'half', messages: 1 }));
      const expected = unsynced === 'kept' ? [expect.objectContaining({ id: unanswered.id, state: 'half', messages: 1 })] : [];
      expect(listed.filter((t) => t.id !== acked.id)).toEqual(expected);
      await new Transaction(acked.id, crashed.producer).commit();
      const values = (await crashed.client.fetch(topic, 0, 0, { maxBytes: 1 << 20 })).records
        .concat((await crashed.client.fetch(topic, 1, 0, { maxBytes: 1 << 20 })).records).map((r) => r.value);
      expect(values).toEqual(['acked']);
      await crashed.client.close();
      await crashed.broker.close();
      await image.remove();
    }
  });
});
