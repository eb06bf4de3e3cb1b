import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { startBroker, type Broker } from '../../../src/broker/index.js';
import { RawClient } from '../../helpers/raw-client.js';
import { tempDir } from '../../../bench/lib/temp-dir.js';

// Small frames, so a group over a few hundred partitions of a long-named topic outgrows one.
const limits = { maxFrameBytes: 16 * 1024, maxBatchBytes: 8 * 1024, maxFetchBytes: 8 * 1024, maxEntriesPerRequest: 8 };
const topic = 't'.repeat(249);
const partitionCount = 256;
const joinDefaults = { ordering: 'partition', from: 'earliest', retryBackoffMs: [50], maxDeliveries: 3, sessionTimeoutMs: 10_000, maxInFlightMessages: 100, maxInFlightBytes: 1 << 20 };

interface TopicPartition { topic: string; partition: number }

describe('describeGroup of a group larger than one frame', () => {
  let broker: Broker;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let admin: RawClient;
  const members: RawClient[] = [];

  beforeAll(async () => {
    dir = await tempDir();
    // Time stands still: no session runs out while the test looks.
    const clock = new SimulatedClock();
    broker = await startBroker({ port: 0, dataDir: dir.path, logLevel: 'silent', limits, timers: clock, clock: () => clock.now() });
    admin = await RawClient.greeted(broker.url, 'admin');
    await admin.request({ type: 'createTopic', topic, partitions: partitionCount });
    await admin.request({ type: 'createTopic', topic: 'small', partitions: 2 });
    for (const clientId of ['first', 'second']) {
      const member = await RawClient.greeted(broker.url, clientId);
      members.push(member);
      // Key ordering: every member is assigned every partition, the largest description a group has.
      expect((await member.request({ type: 'joinGroup', group: 'big', topics: [topic], ...joinDefaults, ordering: 'key' })).type).toBe('result');
    }
    for (const member of members) await member.waitFor((f) => f.type === 'assignment' && f.topics[0]?.partitions === partitionCount);
    const small = await RawClient.greeted(broker.url, 'small-member');
    members.push(small);
    await small.request({ type: 'joinGroup', group: 'small', topics: ['small'], ...joinDefaults });
    await small.waitFor((f) => f.type === 'assignment' && f.partitions.length === 2);
  });
  afterAll(async () => {
    for (const member of members) member.close();
    admin.close();
    await broker.close();
    await dir.remove();
  });

  it('fits in maxFrameBytes: lists what fits of members, assignments and lag, and counts them all', async () => {
    const answer = await admin.request({ type: 'describeGroup', group: 'big' });
    expect(answer.type).toBe('result');
    expect(admin.frameBytes.get(answer)).toBeLessThanOrEqual(limits.maxFrameBytes);
    expect(admin.frameBytes.get(answer)).toBeGreaterThan(limits.maxFrameBytes * 0.9); // as much as fits, not a token few
    const body = answer.body;
    expect(body).toMatchObject({ group: 'big', state: 'stable', membersTotal: 2, lagTotal: partitionCount });
    expect(body.members.map((m: { clientId: string }) => m.clientId)).toEqual(['first', 'second']);

    // What is listed is true, each once: a cut list is a prefix of the whole, never filler.
    const lagPartitions = body.lag.map((l: TopicPartition) => l.partition);
    expect(lagPartitions.length).toBeGreaterThan(0);
    expect(lagPartitions.length).toBeLessThan(partitionCount);
    expect(new Set(lagPartitions).size).toBe(lagPartitions.length);
    expect(body.lag.every((l: TopicPartition & { committedOffset: number; endOffset: number }) => l.topic === topic && l.committedOffset === 0 && l.endOffset === 0)).toBe(true);
    for (const [index, member] of body.members.entries()) {
      expect(member.assignmentsTotal).toBe(partitionCount);
      expect(member.assignments.length).toBeGreaterThan(0);
      expect(member.assignments.length).toBeLessThan(partitionCount);
      // Assignments as the member itself was told them (key ordering: every partition of the topics, in order).
      const topics = members[index]!.frames.filter((f) => f.type === 'assignment').at(-1)!.topics as Array<{ name: string; partitions: number }>;
      const told = topics.flatMap(({ name, partitions }) => Array.from({ length: partitions }, (_, partition) => ({ topic: name, partition })));
      expect(member.assignments).toEqual(told.slice(0, member.assignments.length));
    }
  });

  it('lists a group that fits whole, with totals equal to the lists', async () => {
    const answer = await admin.request({ type: 'describeGroup', group: 'small' });
    expect(answer.body).toMatchObject({ membersTotal: 1, lagTotal: 2, members: [{ clientId: 'small-member', assignmentsTotal: 2 }] });
    expect(answer.body.members[0].assignments).toHaveLength(2);
    expect(answer.body.lag).toHaveLength(2);
  });
});
