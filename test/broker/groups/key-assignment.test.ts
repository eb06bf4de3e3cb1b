/**
 * Key ordering assigns every member every partition of the group's topics:
 * the assignment push names each topic with its partition count instead of
 * listing the partitions, so it fits in a frame however many there are,
 * and the client still knows every partition it may be delivered.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type Broker } from '../../../src/broker/index.js';
import { connect, type Client } from '../../../src/client/index.js';
import { RawClient } from '../../helpers/raw-client.js';
import { produceNumbered, until } from '../../helpers/group-fixture.js';
import { tempDir } from '../../../bench/lib/temp-dir.js';

// Small frames: a list of 100 partitions of a 249-character topic (~27 KB) would not fit in one.
const limits = { maxFrameBytes: 16 * 1024, maxBatchBytes: 8 * 1024, maxFetchBytes: 8 * 1024, maxEntriesPerRequest: 8 };
const topic = 'keyed'.padEnd(249, 'x');
const partitionCount = 100;
const joinSettings = { ordering: 'key', from: 'earliest', retryBackoffMs: [0], maxDeliveries: 3, sessionTimeoutMs: 3_600_000, maxInFlightMessages: 1_000, maxInFlightBytes: 1 << 20 };

describe('key-ordering assignment of many partitions on a broker with 16 KiB frames', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let broker: Broker;
  let admin: RawClient;

  beforeAll(async () => {
    dir = await tempDir();
    broker = await startBroker({ port: 0, dataDir: dir.path, logLevel: 'silent', limits });
    admin = await RawClient.greeted(broker.url, 'admin');
    expect(await admin.request({ type: 'createTopic', topic, partitions: partitionCount })).toMatchObject({ type: 'result' });
  });

  afterAll(async () => {
    admin.close();
    await broker.close();
    await dir.remove();
  });

  it('names the topic with its partition count, in a frame within maxFrameBytes', async () => {
    const member = await RawClient.greeted(broker.url, 'raw-member');
    try {
      expect(await member.request({ type: 'joinGroup', group: 'raw', topics: [topic], ...joinSettings })).toMatchObject({ type: 'result' });
      const assignment = await member.waitFor((frame) => frame.type === 'assignment');
      expect(assignment).toMatchObject({ partitions: [], topics: [{ name: topic, partitions: partitionCount }] });
      expect(member.frameBytes.get(assignment)).toBeLessThanOrEqual(limits.maxFrameBytes);
    } finally {
      member.close();
    }
  });

  it('the client is assigned every partition and consumes from all of them', async () => {
    const client: Client = await connect(broker.url, { clientId: 'consumer' });
    try {
      const consumer = client.consumer({ group: 'real', topics: [topic], ordering: 'key', from: 'earliest' });
      const handled = new Map<number, number>(); // value → partition
      await consumer.run(async (message) => {
        handled.set(message.value as number, message.partition);
      });
      await until(() => consumer.assignment.length === partitionCount, 'every partition assigned');
      expect(new Set(consumer.assignment.map((tp) => `${tp.topic}/${tp.partition}`)).size).toBe(partitionCount);
      const messages = 400;
      await produceNumbered(client, topic, messages, (i) => `key-${i}`);
      await until(() => handled.size === messages, 'every message handled');
      expect(new Set(handled.values()).size).toBeGreaterThan(partitionCount / 2); // spread over the partitions by key
      await consumer.close();
    } finally {
      await client.close();
    }
  });

  it('refuses a key-ordering join whose assignment would not fit in a frame, though the join itself does', async () => {
    const topics = Array.from({ length: 61 }, (_, i) => `wide${i}`.padEnd(249, 'x'));
    for (const name of topics) await admin.request({ type: 'createTopic', topic: name, partitions: 1 });
    const member = await RawClient.greeted(broker.url, 'wide-member');
    try {
      const refused = await member.request({ type: 'joinGroup', group: 'wide', topics, ...joinSettings });
      expect(refused).toMatchObject({ type: 'error', code: 'INVALID_REQUEST', message: expect.stringMatching(/more than maxFrameBytes/) });
      expect(member.closeCode).toBeUndefined();
      // Fewer of them fit.
      expect(await member.request({ type: 'joinGroup', group: 'wide', topics: topics.slice(0, 50), ...joinSettings })).toMatchObject({ type: 'result' });
    } finally {
      member.close();
    }
  });
});
