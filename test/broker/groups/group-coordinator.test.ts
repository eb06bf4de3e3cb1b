import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { startBroker, type Broker } from '../../../src/broker/index.js';
import { encodeRecordBatch } from '../../../src/protocol/record-batch.js';
import { tempDir } from '../../../bench/lib/temp-dir.js';
import { RawMember } from '../../helpers/raw-member.js';

const sessionTimeoutMs = 10_000;

describe('group coordinator', () => {
  const clock = new SimulatedClock();
  let broker: Broker;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  const members: RawMember[] = [];
  const join = async (topic = 'orders') => {
    const member = await RawMember.join({ url: broker.url, group: 'cart', topic, sessionTimeoutMs });
    members.push(member);
    return member;
  };

  beforeEach(async () => {
    dir = await tempDir();
    broker = await startBroker({ port: 0, dataDir: dir.path, logLevel: 'silent', timers: clock });
    await broker.topics.create('orders', 2);
  });
  afterEach(async () => {
    for (const member of members.splice(0)) member.client.close();
    await broker.close();
    await dir.remove();
  });

  it('takes a revoked partition from a live owner that never releases it after its session timeout on the broker clock', async () => {
    const owner = await join();
    await owner.client.waitFor((frame) => frame.type === 'assignment');
    const taker = await join();
    await taker.client.waitFor((frame) => frame.type === 'assignment');
    expect(broker.inspector.get('group/cart')?.state).toBe('rebalancing'); // the owner still holds the partition the taker is due

    clock.increment(sessionTimeoutMs / 2);
    await owner.heartbeat(); // alive: only the hand-over may run out, not the session
    clock.increment(sessionTimeoutMs / 2);

    const handedOver = await taker.client.waitFor((frame) => frame.type === 'assignment' && (frame as { partitions?: unknown[] }).partitions?.length === 1);
    expect(handedOver).toMatchObject({ partitions: [{ topic: 'orders', partition: 1 }] });
    expect(broker.inspector.get('group/cart')?.state).toBe('stable');
    expect(broker.inspector.get(owner.actorId)?.state).toBe('assigned');
  });

  it('assigns only the topics its members name once it was empty, not those of an earlier subscription', async () => {
    await broker.topics.create('audit', 1);
    const first = await join('orders');
    await first.client.waitFor((frame) => frame.type === 'assignment');
    await first.leave();
    const second = await join('audit');
    const assignment = await second.client.waitFor((frame) => frame.type === 'assignment');
    expect((assignment as { partitions?: unknown }).partitions).toEqual([{ topic: 'audit', partition: 0 }]);
    const described = await second.client.request({ type: 'describeGroup', group: 'cart' });
    expect(described.body.lag.map((lag: { topic: string }) => lag.topic)).toEqual(['audit']);
  });
});

describe('redelivery on the broker clock', () => {
  it('redelivers a nacked message when the broker timers reach its backoff, however long real time waits before that', async () => {
    const clock = new SimulatedClock();
    const dir = await tempDir();
    const broker = await startBroker({ port: 0, dataDir: dir.path, logLevel: 'silent', timers: clock, clock: () => clock.now() });
    try {
      await broker.topics.create('orders', 1);
      const member = await RawMember.join({ url: broker.url, group: 'cart', topic: 'orders', sessionTimeoutMs: 120_000, retryBackoffMs: [60_000] }); // the session outlasts the backoff: no heartbeats here
      await member.client.request({ type: 'produce', entries: [{ topic: 'orders', partition: 0, batch: encodeRecordBatch([{ value: 'flaky' }], { now: 1 }) }] });
      await member.client.waitFor((frame) => frame.type === 'deliver');
      await member.client.request({ type: 'nack', group: 'cart', memberId: member.id, topic: 'orders', partition: 0, offset: 0, error: 'not yet' });
      const redelivered = () => member.client.frames.some((frame) => frame.type === 'deliver' && frame.deliveryCount === 2);
      await new Promise((resolve) => setTimeout(resolve, 100));
      clock.increment(59_999);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(redelivered()).toBe(false);
      clock.increment(1);
      await member.client.waitFor((frame) => frame.type === 'deliver' && frame.deliveryCount === 2);
      member.client.close();
    } finally {
      await broker.close();
      await dir.remove();
    }
  });
});
