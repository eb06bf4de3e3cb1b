/**
 * Admin answers that list what the broker holds, on a broker holding more
 * than one small frame can carry: each answer fits in maxFrameBytes, lists a
 * true prefix of the whole and counts it all.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { startBroker, type Broker } from '../../src/broker/index.js';
import { connect } from '../../src/client/index.js';
import { partitionForKey } from '../../src/client/partitioner.js';
import { encodeRecordBatch } from '../../src/protocol/record-batch.js';
import { RawClient, type ServerFrameSeen } from '../helpers/raw-client.js';
import { tempDir } from '../../bench/lib/temp-dir.js';

// maxFetchBytes equal to maxFrameBytes, as in the defaults.
const limits = { maxFrameBytes: 16 * 1024, maxBatchBytes: 8 * 1024, maxFetchBytes: 16 * 1024, maxEntriesPerRequest: 8 };
/** Topics, groups and producer groups with long names, more of them than a frame can list. */
const nameCount = 80;
const longName = (prefix: string, i: number) => `${prefix}${String(i).padStart(3, '0')}`.padEnd(240, 'x');
const wideTopic = 'wide';
const widePartitions = 512;
const joinDefaults = { ordering: 'partition', from: 'earliest', retryBackoffMs: [50], maxDeliveries: 3, sessionTimeoutMs: 10_000, maxInFlightMessages: 100, maxInFlightBytes: 1 << 20 };

describe('listing answers on a broker holding more than one frame can list', () => {
  let broker: Broker;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let admin: RawClient;

  beforeAll(async () => {
    dir = await tempDir();
    // Time stands still: no session or transaction runs out while the test looks.
    const clock = new SimulatedClock();
    broker = await startBroker({ port: 0, dataDir: dir.path, logLevel: 'silent', limits, timers: clock, clock: () => clock.now() });
    admin = await RawClient.greeted(broker.url, 'admin');
    await admin.request({ type: 'createTopic', topic: wideTopic, partitions: widePartitions });
    for (let i = 0; i < nameCount; i++) {
      expect((await admin.request({ type: 'createTopic', topic: longName('topic', i), partitions: 1 })).type).toBe('result');
      expect((await admin.request({ type: 'joinGroup', group: longName('group', i), topics: [longName('topic', i)], ...joinDefaults })).type).toBe('result');
      expect((await admin.request({ type: 'txnBegin', group: longName('producers', i) })).type).toBe('result');
    }
  });
  afterAll(async () => {
    admin.close();
    await broker.close();
    await dir.remove();
  });

  const answer = async (request: Record<string, unknown>): Promise<ServerFrameSeen['body']> => {
    const frame = await admin.request(request);
    expect(frame.type).toBe('result');
    expect(admin.frameBytes.get(frame)).toBeLessThanOrEqual(limits.maxFrameBytes);
    return frame.body;
  };
  /** Cut, but not to a token few, and each listed once. */
  const expectCut = (listed: unknown[], total: number) => {
    expect(listed.length).toBeGreaterThan(10);
    expect(listed.length).toBeLessThan(total);
    expect(new Set(listed).size).toBe(listed.length);
  };

  it('listTopics: the first topics, and total', async () => {
    const body = await answer({ type: 'listTopics' });
    expect(body.total).toBe(nameCount + 1);
    expectCut(body.topics.map((t: { name: string }) => t.name), body.total);
    expect(body.topics[0]).toEqual({ name: wideTopic, partitions: widePartitions });
    expect(body.topics[1]).toEqual({ name: longName('topic', 0), partitions: 1 });
  });

  it('listGroups: the first groups, and total', async () => {
    const body = await answer({ type: 'listGroups' });
    expect(body.total).toBe(nameCount);
    expectCut(body.groups.map((g: { group: string }) => g.group), body.total);
    expect(body.groups[0]).toEqual({ group: longName('group', 0), state: 'stable', members: 1 });
  });

  it('describeTopic: the first partitions, in order, and partitionsTotal', async () => {
    const body = await answer({ type: 'describeTopic', topic: wideTopic });
    expect(body.partitionsTotal).toBe(widePartitions);
    expectCut(body.partitions.map((p: { partition: number }) => p.partition), widePartitions);
    expect(body.partitions.map((p: { partition: number }) => p.partition)).toEqual([...body.partitions.keys()]);
  });

  it('listTransactions: the oldest transactions, and total', async () => {
    const body = await answer({ type: 'listTransactions' });
    expect(body.total).toBe(nameCount);
    expectCut(body.transactions.map((t: { id: string }) => t.id), body.total);
    expect(body.transactions.map((t: { group: string }) => t.group)).toEqual(body.transactions.map((_: unknown, i: number) => longName('producers', i)));
  });

  it('inspect: the first actors, and total', async () => {
    const watcher = await RawClient.greeted(broker.url, 'watcher');
    try {
      const frame = await watcher.request({ type: 'inspect', kinds: ['partition'] });
      expect(watcher.frameBytes.get(frame)).toBeLessThanOrEqual(limits.maxFrameBytes);
      expect(frame.body.total).toBe(widePartitions + nameCount);
      expectCut(frame.body.actors.map((a: { id: string }) => a.id), frame.body.total);
    } finally {
      watcher.close();
    }
  });

  it('fetch: whole batches up to what fits in one frame with the answer around them', async () => {
    await admin.request({ type: 'createTopic', topic: 'fetched', partitions: 1 });
    // Two batches of the largest size that two fit in maxFetchBytes: only the answer's envelope is over.
    const batchBytes = limits.maxBatchBytes - 2;
    const batchOf = (valueBytes: number) => encodeRecordBatch([{ value: new Uint8Array(valueBytes) }], { now: 1 });
    let valueBytes = batchBytes;
    while (batchOf(valueBytes).length > batchBytes) valueBytes--;
    const batch = () => batchOf(valueBytes);
    expect(batch().length).toBe(batchBytes);
    for (let i = 0; i < 2; i++) expect((await answer({ type: 'produce', entries: [{ topic: 'fetched', partition: 0, batch: batch() }] })).results[0].baseOffset).toBe(i);
    const body = await answer({ type: 'fetch', topic: 'fetched', partition: 0, offset: 0, maxBytes: limits.maxFetchBytes });
    expect(body.records.length).toBe(batchBytes); // the second batch waits for the next fetch
    expect((await answer({ type: 'fetch', topic: 'fetched', partition: 0, offset: 1, maxBytes: limits.maxFetchBytes })).records.length).toBe(batchBytes);
  });

  it('a producer spreads keys over every partition of a topic whose description was cut', async () => {
    const client = await connect(broker.url, { clientId: 'producer' });
    try {
      const last = widePartitions - 1;
      const key = Array.from({ length: 10_000 }, (_, i) => `key-${i}`).find((k) => partitionForKey(new TextEncoder().encode(k), widePartitions) === last)!;
      expect((await client.producer().send(wideTopic, { key, value: 'v' })).partition).toBe(last);
    } finally {
      await client.close();
    }
  });
});
