/**
 * Every deliver frame fits in the broker's maxFrameBytes, on a broker whose
 * frames are far below the megabyte a delivery used to read: a member
 * behind the log, key ordering whose ranges name thousands of scattered
 * offsets, and redeliveries of scattered offsets. Each member still gets
 * every offset it is due, once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type Broker } from '../../../src/broker/index.js';
import { encodeRecordBatch } from '../../../src/protocol/record-batch.js';
import { RawClient, type ServerFrameSeen } from '../../helpers/raw-client.js';
import { until } from '../../helpers/group-fixture.js';
import { tempDir } from '../../../bench/lib/temp-dir.js';

// Batches up to 4 KiB below the frame: room for the names and about 180 offsets of ranges.
const limits = { maxFrameBytes: 64 * 1024, maxBatchBytes: 60 * 1024, maxFetchBytes: 60 * 1024, maxEntriesPerRequest: 16 };
const longName = (prefix: string, length: number) => prefix.padEnd(length, 'x');
const joinSettings = { from: 'earliest', retryBackoffMs: [0], maxDeliveries: 16, sessionTimeoutMs: 3_600_000, maxInFlightMessages: 100_000, maxInFlightBytes: 64 << 20 };

/** One batch of about `bytes` of records with distinct keys and empty values: thousands of records. */
function batchOfTinyRecords(bytes: number): { batch: Uint8Array; count: number } {
  const batchOf = (count: number) => encodeRecordBatch(Array.from({ length: count }, (_, i) => ({ key: `k${i}`, value: new Uint8Array(0) })), { now: 1 });
  let count = Math.floor(bytes / 10);
  while (batchOf(count).length > bytes) count -= 50;
  return { batch: batchOf(count), count };
}

function deliveries(client: RawClient): ServerFrameSeen[] {
  return client.frames.filter((frame) => frame.type === 'deliver');
}

/** Offsets the member's deliver frames named, counting repeats. */
function offsetsDelivered(client: RawClient): number[] {
  const offsets: number[] = [];
  for (const frame of deliveries(client)) {
    for (let i = 0; i < frame.ranges.length; i += 2) for (let offset = frame.ranges[i]; offset <= frame.ranges[i + 1]; offset++) offsets.push(offset);
  }
  return offsets;
}

function largestDeliverBytes(client: RawClient): number {
  return Math.max(...deliveries(client).map((frame) => client.frameBytes.get(frame)!));
}

describe('deliver frames on a broker with 64 KiB frames', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let broker: Broker;
  let admin: RawClient;
  const clients: RawClient[] = [];

  beforeAll(async () => {
    dir = await tempDir();
    broker = await startBroker({ port: 0, dataDir: dir.path, logLevel: 'silent', limits });
    admin = await RawClient.greeted(broker.url, 'admin');
  });

  afterAll(async () => {
    for (const client of [admin, ...clients]) client.close();
    await broker.close();
    await dir.remove();
  });

  async function member(group: string, topic: string, ordering: string): Promise<RawClient> {
    const client = await RawClient.greeted(broker.url, 'member');
    clients.push(client);
    expect(await client.request({ type: 'joinGroup', group, topics: [topic], ordering, ...joinSettings })).toMatchObject({ type: 'result' });
    return client;
  }

  async function produce(topic: string, batch: Uint8Array): Promise<void> {
    expect(await admin.request({ type: 'produce', entries: [{ topic, partition: 0, batch }] })).toMatchObject({ type: 'result', body: { results: [{ baseOffset: expect.any(Number) }] } });
  }

  it('a member behind the log gets the log in frames of at most maxFrameBytes, names of the longest kind included', async () => {
    const topic = longName('behind', 249);
    await admin.request({ type: 'createTopic', topic, partitions: 1 });
    const batch = encodeRecordBatch(Array.from({ length: 8 }, () => ({ value: new Uint8Array(1_000) })), { now: 1 });
    const batches = 40; // ~330 KB behind: a read of a megabyte would take it all
    for (let i = 0; i < batches; i++) await produce(topic, batch);
    const client = await member(longName('behind', 245), topic, 'partition');
    await until(() => offsetsDelivered(client).length === batches * 8, 'the whole log delivered');
    expect(offsetsDelivered(client)).toEqual(Array.from({ length: batches * 8 }, (_, i) => i));
    expect(largestDeliverBytes(client)).toBeLessThanOrEqual(limits.maxFrameBytes);
    expect(largestDeliverBytes(client)).toBeGreaterThan(limits.maxBatchBytes / 2); // several batches per frame, not one
  });

  it('key ordering: each frame names no more scattered offsets than fit beside a batch', async () => {
    const topic = 'keyed';
    await admin.request({ type: 'createTopic', topic, partitions: 1 });
    const members = [await member('by-key', topic, 'key'), await member('by-key', topic, 'key')];
    for (const client of members) await client.waitFor((frame) => frame.type === 'assignment' && frame.generation === 2);
    const { batch, count } = batchOfTinyRecords(limits.maxBatchBytes);
    await produce(topic, batch);
    await until(() => members.reduce((sum, client) => sum + offsetsDelivered(client).length, 0) === count, 'every record delivered to one member');
    const all = members.flatMap(offsetsDelivered).sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: count }, (_, i) => i));
    for (const client of members) {
      expect(deliveries(client).some((frame) => frame.ranges.length > 2)).toBe(true); // the keys are spread: scattered offsets
      expect(largestDeliverBytes(client)).toBeLessThanOrEqual(limits.maxFrameBytes);
    }
  });

  it('redeliveries of scattered offsets come in frames of at most maxFrameBytes', async () => {
    const topic = 'redelivered';
    await admin.request({ type: 'createTopic', topic, partitions: 1 });
    const { batch, count } = batchOfTinyRecords(limits.maxBatchBytes);
    await produce(topic, batch);
    const first = await member('again', topic, 'partition');
    await until(() => offsetsDelivered(first).length === count, 'the batch delivered to the first member');
    // The first member handles every other message, then vanishes: the rest are handed over one by one.
    const even = Array.from({ length: Math.ceil(count / 2) }, (_, i) => [2 * i, 2 * i]).flat();
    expect(await first.request({ type: 'ack', group: 'again', memberId: deliveries(first)[0]!.memberId, topic, partition: 0, ranges: even })).toMatchObject({ type: 'result' });
    first.socket.terminate();
    const next = await member('again', topic, 'partition');
    const odd = Array.from({ length: Math.floor(count / 2) }, (_, i) => 2 * i + 1);
    await until(() => offsetsDelivered(next).length >= odd.length, 'the unhandled half handed over');
    expect(offsetsDelivered(next)).toEqual(odd);
    expect(deliveries(next).every((frame) => frame.deliveryCount === 2)).toBe(true);
    expect(largestDeliverBytes(next)).toBeLessThanOrEqual(limits.maxFrameBytes);
  });
});
