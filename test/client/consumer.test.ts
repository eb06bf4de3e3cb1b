/**
 * The consumer against a real broker: option checks, ordering per partition
 * and per key, the hold rule, redelivery after the backoff, dead letters,
 * the ack timeout, and graceful close.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { UnknownTopicError, type Client, type ConsumerMessage, type ConsumerOptions } from '../../src/client/index.js';
import { GroupFixture, produceNumbered, sleep, until } from '../helpers/group-fixture.js';

let fixture: GroupFixture;
let client: Client;

beforeEach(async () => {
  fixture = await GroupFixture.start();
  client = await fixture.client('consumer-test');
});

afterEach(async () => {
  await fixture.close();
});

function thrown(work: () => unknown): unknown {
  try {
    work();
  } catch (error) {
    return error;
  }
  return undefined;
}

/** Records every hand-over, and per lane (partition or key) checks that no two overlap. */
class Recorder {
  readonly calls: Array<{ offset: number; partition: number; key: unknown; value: unknown; deliveryCount: number; atMs: number }> = [];
  private readonly active = new Map<string, number>();
  overlaps = 0;
  maxConcurrent = 0;
  private concurrent = 0;

  async enter(lane: string, message: ConsumerMessage, work: () => Promise<void> = () => sleep(1)): Promise<void> {
    this.calls.push({ offset: message.offset, partition: message.partition, key: message.key, value: message.value, deliveryCount: message.deliveryCount, atMs: performance.now() });
    const running = (this.active.get(lane) ?? 0) + 1;
    if (running > 1) this.overlaps++;
    this.active.set(lane, running);
    this.maxConcurrent = Math.max(this.maxConcurrent, ++this.concurrent);
    try {
      await work();
    } finally {
      this.active.set(lane, this.active.get(lane)! - 1);
      this.concurrent--;
    }
  }

  offsetsBy(lane: (call: Recorder['calls'][number]) => string): Map<string, number[]> {
    const lanes = new Map<string, number[]>();
    for (const call of this.calls) lanes.set(lane(call), [...(lanes.get(lane(call)) ?? []), call.offset]);
    return lanes;
  }
}

const increasing = (offsets: number[]): boolean => offsets.every((offset, i) => i === 0 || offset > offsets[i - 1]!);

describe('options', () => {
  it('refuses bad options at client.consumer() with INVALID_REQUEST', () => {
    const base: ConsumerOptions = { group: 'g', topics: ['t'] };
    const bad: unknown[] = [
      { ...base, group: '' }, { ...base, group: 'a/b' }, { ...base, topics: [] }, { group: 'g' }, { ...base, topics: ['bad topic'] },
      { ...base, maxDeliveries: 0 }, { ...base, ackTimeoutMs: 0 }, { ...base, ackTimeoutMs: -5 }, { ...base, sessionTimeoutMs: 0 },
      { ...base, sessionTimeoutMs: -1 }, { ...base, ordering: 'random' }, { ...base, from: 'middle' }, { ...base, retryBackoffMs: [] },
      { ...base, retryBackoffMs: -1 }, { ...base, maxInFlightMessages: 0 }, { ...base, maxInFlightBytes: 1.5 }, { ...base, ackTimoutMs: 5 },
    ];
    for (const options of bad) {
      expect(thrown(() => client.consumer(options as ConsumerOptions)), JSON.stringify(options)).toMatchObject({ code: 'INVALID_REQUEST' });
    }
    expect(client.consumer({ ...base, retryBackoffMs: 5 })).toBeDefined();
  });

  it('rejects run() with UNKNOWN_TOPIC for a topic that does not exist, and closes the consumer', async () => {
    const consumer = client.consumer({ group: 'g', topics: ['missing'] });
    const failure = await consumer.run(async () => undefined).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(UnknownTopicError);
    expect(failure).toMatchObject({ code: 'UNKNOWN_TOPIC' });
    await expect(consumer.run(async () => undefined)).rejects.toMatchObject({ code: 'CONNECTION_CLOSED' });
  });

  it('run() resolves once joined; memberId and assignment are known then', async () => {
    await client.createTopic('joined', { partitions: 2 });
    const consumer = client.consumer({ group: 'g', topics: ['joined'] });
    expect(consumer.memberId).toBeUndefined();
    await consumer.run(async () => undefined);
    expect(consumer.memberId).toMatch(/^g-/);
    await until(() => consumer.assignment.length === 2, 'the assignment');
    expect(await client.listGroups()).toEqual([{ group: 'g', state: 'stable', members: 1 }]);
    await consumer.close();
    expect(consumer.memberId).toBeUndefined();
    expect((await client.describeGroup('g')).members).toEqual([]);
  });
});

describe('ordering', () => {
  it('partition: one handler at a time per partition, offsets increasing; partitions run concurrently', async () => {
    await client.createTopic('orders', { partitions: 4 });
    await produceNumbered(client, 'orders', 400, (i) => `user-${i % 40}`);
    const recorder = new Recorder();
    const consumer = client.consumer({ group: 'g', topics: ['orders'], from: 'earliest', ordering: 'partition' });
    await consumer.run((m) => recorder.enter(String(m.partition), m));
    await until(() => recorder.calls.length === 400, '400 messages');
    expect(recorder.overlaps).toBe(0);
    const byPartition = recorder.offsetsBy((call) => String(call.partition));
    expect(byPartition.size).toBe(4);
    for (const offsets of byPartition.values()) expect(increasing(offsets)).toBe(true);
    expect(new Set(recorder.calls.map((c) => c.value)).size).toBe(400);
    expect(recorder.maxConcurrent).toBeGreaterThan(1);
  });

  it('key: one handler at a time per key, offsets increasing per key; keys of one partition run concurrently', async () => {
    await client.createTopic('carts', { partitions: 2 });
    await produceNumbered(client, 'carts', 300, (i) => `cart-${i % 30}`);
    const recorder = new Recorder();
    const consumer = client.consumer({ group: 'g', topics: ['carts'], from: 'earliest', ordering: 'key' });
    await consumer.run((m) => recorder.enter(String(m.key), m));
    await until(() => recorder.calls.length === 300, '300 messages');
    expect(recorder.overlaps).toBe(0);
    const byKey = recorder.offsetsBy((call) => String(call.key));
    expect(byKey.size).toBe(30);
    for (const offsets of byKey.values()) expect(increasing(offsets)).toBe(true);
    expect(recorder.maxConcurrent).toBeGreaterThan(2);
  });

  it('none: handlers of one partition run concurrently', async () => {
    await client.createTopic('loose');
    await produceNumbered(client, 'loose', 50);
    const recorder = new Recorder();
    const consumer = client.consumer({ group: 'g', topics: ['loose'], from: 'earliest', ordering: 'none' });
    await consumer.run((m) => recorder.enter(String(m.offset), m, () => sleep(20)));
    await until(() => recorder.calls.length === 50, '50 messages');
    expect(recorder.maxConcurrent).toBeGreaterThan(10);
  });
});

describe('failures', () => {
  it('redelivers a failed message with deliveryCount 2 after the backoff; later messages of the partition wait for it', async () => {
    await client.createTopic('retry');
    await produceNumbered(client, 'retry', 5);
    const calls: Array<{ offset: number; deliveryCount: number; atMs: number }> = [];
    let failedAtMs = 0;
    const consumer = client.consumer({ group: 'g', topics: ['retry'], from: 'earliest', retryBackoffMs: 200 });
    await consumer.run(async (m) => {
      calls.push({ offset: m.offset, deliveryCount: m.deliveryCount, atMs: performance.now() });
      if (m.offset === 2 && m.deliveryCount === 1) {
        failedAtMs = performance.now();
        throw new Error('flaky');
      }
    });
    await until(() => calls.length === 6, 'six hand-overs');
    expect(calls.map((c) => [c.offset, c.deliveryCount])).toEqual([[0, 1], [1, 1], [2, 1], [2, 2], [3, 1], [4, 1]]);
    expect(calls[3]!.atMs - failedAtMs).toBeGreaterThanOrEqual(199);
  });

  it.each(['partition', 'key'] as const)('%s ordering: holds behind a failed message even when the held messages fill the credit window', async (ordering) => {
    await client.createTopic('backlog');
    await produceNumbered(client, 'backlog', 40, () => 'one-key');
    const calls: Array<[number, number]> = [];
    const consumer = client.consumer({ group: 'g', topics: ['backlog'], from: 'earliest', ordering, maxInFlightMessages: 5, retryBackoffMs: 30 });
    await consumer.run(async (m) => {
      calls.push([m.offset, m.deliveryCount]);
      if (m.offset === 3 && m.deliveryCount === 1) throw new Error('once');
    });
    await until(() => calls.length === 41, 'every message and one redelivery', 5_000);
    expect(calls.slice(0, 5)).toEqual([[0, 1], [1, 1], [2, 1], [3, 1], [3, 2]]);
    expect(calls.slice(5).map(([offset]) => offset)).toEqual(Array.from({ length: 36 }, (_, i) => i + 4));
  });

  it('key ordering holds only the failed key: other keys go on, later messages of the key wait for the redelivery', async () => {
    await client.createTopic('keyhold');
    await produceNumbered(client, 'keyhold', 20, (i) => (i % 2 === 0 ? 'a' : 'b'));
    const calls: Array<{ offset: number; key: unknown; deliveryCount: number }> = [];
    const consumer = client.consumer({ group: 'g', topics: ['keyhold'], from: 'earliest', ordering: 'key', retryBackoffMs: 100 });
    await consumer.run(async (m) => {
      calls.push({ offset: m.offset, key: m.key, deliveryCount: m.deliveryCount });
      if (m.offset === 2 && m.deliveryCount === 1) throw new Error('a fails once');
    });
    await until(() => calls.length === 21, 'every message and one redelivery');
    const retried = calls.findIndex((c) => c.offset === 2 && c.deliveryCount === 2);
    const before = calls.slice(0, retried);
    expect(before.filter((c) => c.key === 'a').map((c) => c.offset)).toEqual([0, 2]);
    expect(before.filter((c) => c.key === 'b').map((c) => c.offset)).toEqual([1, 3, 5, 7, 9, 11, 13, 15, 17, 19]);
    expect(calls.slice(retried + 1).map((c) => c.offset)).toEqual([4, 6, 8, 10, 12, 14, 16, 18]);
  });

  it('dead-letters a poison message after exactly maxDeliveries hand-overs and moves on', async () => {
    await client.createTopic('poison');
    await produceNumbered(client, 'poison', 6);
    const calls: Array<[number, number]> = [];
    const consumer = client.consumer({ group: 'cart', topics: ['poison'], from: 'earliest', maxDeliveries: 3, retryBackoffMs: [10, 20] });
    await consumer.run(async (m) => {
      calls.push([m.offset, m.deliveryCount]);
      if (m.offset === 1) throw new Error(`poison ${m.value}`);
    });
    await until(() => calls.length === 8, 'six messages and two redeliveries');
    expect(calls).toEqual([[0, 1], [1, 1], [1, 2], [1, 3], [2, 1], [3, 1], [4, 1], [5, 1]]);
    // A fresh topic answers NOT_READY while its partition starts: look again.
    await until(() => client.fetch('cart.dlq', 0, 0).then((page) => page.records.length === 1, () => false), 'the dead letter');
    const [dead] = (await client.fetch('cart.dlq', 0, 0)).records;
    expect(dead).toMatchObject({
      value: 1,
      headers: { 'dlq.topic': 'poison', 'dlq.partition': '0', 'dlq.offset': '1', 'dlq.error': 'poison 1', 'dlq.deliveries': '3' },
    });
    await until(async () => (await client.describeGroup('cart')).lag[0]!.committedOffset === 6, 'the commit past the poison message');
  });

  it('times a handler out after ackTimeoutMs, redelivers, and ignores the late completion', async () => {
    await client.createTopic('slow');
    await produceNumbered(client, 'slow', 2);
    const calls: Array<{ offset: number; deliveryCount: number; atMs: number }> = [];
    let finishFirst: () => void = () => undefined;
    const consumer = client.consumer({ group: 'g', topics: ['slow'], from: 'earliest', ackTimeoutMs: 100, retryBackoffMs: 10 });
    await consumer.run(async (m) => {
      calls.push({ offset: m.offset, deliveryCount: m.deliveryCount, atMs: performance.now() });
      if (m.offset === 0 && m.deliveryCount === 1) await new Promise<void>((resolve) => (finishFirst = resolve));
    });
    await until(() => calls.length === 3, 'the redelivery and the next message');
    expect(calls.map((c) => [c.offset, c.deliveryCount])).toEqual([[0, 1], [0, 2], [1, 1]]);
    expect(calls[1]!.atMs - calls[0]!.atMs).toBeGreaterThanOrEqual(100);
    finishFirst();
    await until(async () => (await client.describeGroup('g')).lag[0]!.committedOffset === 2, 'both acks');
    await sleep(20);
    expect(calls).toHaveLength(3);
  });
});

describe('close', () => {
  it('client.close() lets the running handler finish, sends its ack and leaves the group', async () => {
    await client.createTopic('graceful');
    await produceNumbered(client, 'graceful', 3);
    const admin = await fixture.client('admin');
    const handled: number[] = [];
    let release: () => void = () => undefined;
    const consumer = client.consumer({ group: 'g', topics: ['graceful'], from: 'earliest' });
    await consumer.run(async (m) => {
      if (m.offset === 0) await new Promise<void>((resolve) => (release = resolve));
      handled.push(m.offset);
    });
    await until(() => consumer.assignment.length === 1, 'the assignment');
    await sleep(20);
    let closed = false;
    const closing = client.close().then(() => (closed = true));
    await sleep(20);
    expect(closed).toBe(false);
    release();
    await closing;
    expect(handled).toEqual([0]); // 1 and 2 were queued behind 0: dropped, never handed over
    const described = await admin.describeGroup('g');
    expect(described.members).toEqual([]);
    expect(described.lag).toEqual([{ topic: 'graceful', partition: 0, committedOffset: 1, endOffset: 3 }]);
  });
});
