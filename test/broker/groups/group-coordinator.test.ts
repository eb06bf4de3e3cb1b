import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { startBroker, type Broker } from '../../../src/broker/index.js';
import { tempDir } from '../../../bench/lib/temp-dir.js';
import { RawMember } from '../../helpers/raw-member.js';

const sessionTimeoutMs = 10_000;

describe('group coordinator hand-overs', () => {
  const clock = new SimulatedClock();
  let broker: Broker;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  const members: RawMember[] = [];

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
    const join = async () => {
      const member = await RawMember.join({ url: broker.url, group: 'cart', topic: 'orders', sessionTimeoutMs });
      members.push(member);
      return member;
    };
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
});
