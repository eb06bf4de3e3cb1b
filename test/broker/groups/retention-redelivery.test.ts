/**
 * Retention may delete messages a group still has to redeliver (its
 * members were gone while the log grew). The group must move on to what
 * the log still holds, as it does for messages deleted before their first
 * delivery, instead of trying to read below the log's start for ever.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { startBroker, type Broker } from '../../../src/broker/index.js';
import { encodeRecordBatch } from '../../../src/protocol/record-batch.js';
import { RawClient, type ServerFrameSeen } from '../../helpers/raw-client.js';
import { RawMember } from '../../helpers/raw-member.js';
import { tempDir } from '../../../bench/lib/temp-dir.js';
import { silentLogger } from '../../../src/logger.js';

const topic = 'events';
const group = 'audit';
/** Small segments and a small size bound: a few batches make retention delete the oldest segments. */
const segmentBytes = 1024;
const retentionBytes = 2 * segmentBytes;

describe('redeliveries that retention deleted', () => {
  let broker: Broker | undefined;
  let admin: RawClient | undefined;
  let dir: Awaited<ReturnType<typeof tempDir>> | undefined;
  const members: RawMember[] = [];

  afterEach(async () => {
    for (const member of members.splice(0)) member.client.close();
    admin?.close();
    await broker?.close();
    await dir?.remove();
  });

  const produce = (value: string) => admin!.request({ type: 'produce', entries: [{ topic, partition: 0, batch: encodeRecordBatch([{ value }], { now: Date.now() }) }] });
  const join = async () => {
    const member = await RawMember.join({ url: broker!.url, group, topic, sessionTimeoutMs: 60_000 });
    members.push(member);
    return member;
  };
  const until = async (condition: () => Promise<boolean>) => {
    for (let tries = 0; !(await condition()); tries++) {
      if (tries > 500) throw new Error('condition not met within 5 s');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
  const isDeliver = (frame: ServerFrameSeen) => frame.type === 'deliver';

  it('delivers what the log still holds once retention deleted the offsets waiting for redelivery', async () => {
    dir = await tempDir();
    broker = await startBroker({ port: 0, dataDir: dir.path, logLevel: 'silent', retentionCheckIntervalMs: 10 });
    admin = await RawClient.greeted(broker.url);
    await admin.request({ type: 'createTopic', topic, partitions: 1, config: { segmentBytes, retentionBytes } });
    await produce('first');
    const lost = await join();
    await lost.client.waitFor(isDeliver);
    lost.terminate(); // everything it held waits for the next member
    await until(async () => (await admin!.request({ type: 'describeGroup', group })).body.members.length === 0);

    for (let i = 0; i < 6; i++) await produce(`later-${i}`.padEnd(segmentBytes / 2, '.'));
    const startOffset = async () => (await admin!.request({ type: 'describeTopic', topic })).body.partitions[0].startOffset as number;
    await until(async () => (await startOffset()) > 0);

    // Retention keeps running while the member joins: the first delivery starts at the log's start as it was then.
    const startBeforeJoin = await startOffset();
    const next = await join();
    const deliver = await next.client.waitFor(isDeliver);
    const startAfterDeliver = await startOffset();
    expect(deliver).toMatchObject({ deliveryCount: 1 });
    const firstDelivered = (deliver.ranges as number[])[0]!;
    expect(firstDelivered).toBeGreaterThanOrEqual(startBeforeJoin);
    expect(firstDelivered).toBeLessThanOrEqual(startAfterDeliver);
  });

  it('stops retrying a dead-letter move once retention deleted the message', async () => {
    dir = await tempDir();
    const clock = new SimulatedClock();
    const failedMoves: unknown[] = [];
    const logger = { ...silentLogger, error: (message: string, fields?: Record<string, unknown>) => message.startsWith('dead-letter append failed') && failedMoves.push(fields) };
    // One topic at most: the dead-letter topic cannot be created, so the move fails and is retried on the broker's timers.
    broker = await startBroker({ port: 0, dataDir: dir.path, logger, timers: clock, retentionCheckIntervalMs: 10, limits: { maxTopics: 1 } });
    admin = await RawClient.greeted(broker.url);
    await admin.request({ type: 'createTopic', topic, partitions: 1, config: { segmentBytes, retentionBytes } });
    await produce('poison');
    const member = await RawMember.join({ url: broker.url, group, topic, sessionTimeoutMs: 600_000, maxDeliveries: 1 });
    members.push(member);
    await member.client.waitFor(isDeliver);
    await member.client.request({ type: 'nack', group, memberId: member.id, topic, partition: 0, offset: 0, error: 'poison' });
    expect(failedMoves).toHaveLength(1);
    clock.increment(1_000);
    await until(async () => failedMoves.length === 2); // retried

    for (let i = 0; i < 6; i++) await produce(`later-${i}`.padEnd(segmentBytes / 2, '.'));
    await until(async () => (await admin!.request({ type: 'describeTopic', topic })).body.partitions[0].startOffset > 0);
    await member.client.waitFor((frame) => isDeliver(frame) && (frame.ranges as number[])[0]! > 0); // the group moved on past the deleted offset
    for (let i = 0; i < 3; i++) clock.increment(1_000);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(failedMoves).toHaveLength(2);
  });
});
