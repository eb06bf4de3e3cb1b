/**
 * Consumer groups end to end: producers, a real broker and several consumer
 * clients. Publish-subscribe across groups, the queue model inside a group,
 * idle members, members that leave or lose their socket, broker restarts.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Client, Consumer, ConsumerMessage, ConsumerOptions } from '../../src/client/index.js';
import { GroupFixture, produceNumbered, sleep, until } from '../helpers/group-fixture.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';

let fixture: GroupFixture;
let admin: Client;

beforeEach(async () => {
  fixture = await GroupFixture.start();
  admin = await fixture.client('admin');
});

afterEach(async () => {
  await fixture.close();
});

/** A consumer on its own client that records what its handler saw. */
interface Member { client: Client; consumer: Consumer; seen: ConsumerMessage[] }

async function member(name: string, options: ConsumerOptions, url?: string): Promise<Member> {
  const client = await fixture.client(name, {}, url);
  const seen: ConsumerMessage[] = [];
  const consumer = client.consumer(options);
  await consumer.run(async (message) => {
    seen.push(message);
    await sleep(0);
  });
  return { client, consumer, seen };
}

async function stable(group: string, members: number): Promise<void> {
  await until(async () => {
    const description = await admin.describeGroup(group);
    return description.state === 'stable' && description.members.length === members;
  }, `group ${group} stable with ${members} members`);
}

const values = (seen: ConsumerMessage[]): number[] => seen.map((m) => m.value as number);
const counts = (all: number[]): Map<number, number> => all.reduce((map, v) => map.set(v, (map.get(v) ?? 0) + 1), new Map<number, number>());
const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

describe('consumer groups end to end', () => {
  it('every group gets every message; inside a group of 3 each message is handled by exactly one member', async () => {
    await admin.createTopic('events', { partitions: 3 });
    const subscription = { topics: ['events'], from: 'earliest' } as const;
    const billing = await member('billing', { group: 'billing', ...subscription });
    const audit = await member('audit', { group: 'audit', ...subscription });
    const workers = [await member('w1', { group: 'work', ...subscription }), await member('w2', { group: 'work', ...subscription }), await member('w3', { group: 'work', ...subscription })];
    await stable('work', 3);
    await produceNumbered(admin, 'events', 300, (i) => `k${i}`);
    const workSeen = (): number[] => workers.flatMap((w) => values(w.seen));
    await until(() => billing.seen.length === 300 && audit.seen.length === 300 && workSeen().length === 300, 'every group to finish');
    expect([...values(billing.seen)].sort((a, b) => a - b)).toEqual(range(0, 300));
    expect([...values(audit.seen)].sort((a, b) => a - b)).toEqual(range(0, 300));
    expect([...counts(workSeen()).values()].every((n) => n === 1)).toBe(true);
    expect(counts(workSeen()).size).toBe(300);
    for (const worker of workers) expect(worker.seen.length).toBeGreaterThan(0);
    await sleep(50);
    expect(workSeen()).toHaveLength(300); // nothing comes twice later either
  });

  it.each([
    { ordering: 'partition', busy: 4 },
    { ordering: 'key', busy: 6 },
  ] as const)('6 members on 4 partitions, $ordering ordering: $busy members get messages', async ({ ordering, busy }) => {
    await admin.createTopic('wide', { partitions: 4 });
    const members: Member[] = [];
    for (let i = 0; i < 6; i++) members.push(await member(`m${i}`, { group: `wide-${ordering}`, topics: ['wide'], ordering, from: 'earliest' }));
    await stable(`wide-${ordering}`, 6);
    await produceNumbered(admin, 'wide', 600, (i) => `customer-${i}`);
    await until(() => members.reduce((sum, m) => sum + m.seen.length, 0) === 600, 'all 600 messages');
    expect(members.filter((m) => m.seen.length > 0)).toHaveLength(busy);
    expect(counts(members.flatMap((m) => values(m.seen))).size).toBe(600);
    if (ordering === 'partition') expect(members.filter((m) => m.consumer.assignment.length > 0)).toHaveLength(4);
  });

  it('a member that closes hands its partitions to the others; no message is lost or handled twice', async () => {
    await admin.createTopic('handoff', { partitions: 4 });
    const options = { group: 'handoff', topics: ['handoff'], from: 'earliest' } as const;
    const members = [await member('a', options), await member('b', options), await member('c', options)];
    await stable('handoff', 3);
    await produceNumbered(admin, 'handoff', 200, (i) => `k${i}`);
    await until(() => members.reduce((sum, m) => sum + m.seen.length, 0) >= 100, 'half of the messages');
    await members[2]!.consumer.close();
    await produceNumbered(admin, 'handoff', 200, (i) => `k${i}`, 200);
    await until(() => members.reduce((sum, m) => sum + m.seen.length, 0) >= 400, 'all 400 messages');
    const all = members.flatMap((m) => values(m.seen));
    expect(counts(all).size).toBe(400);
    expect(all).toHaveLength(400);
    const description = await admin.describeGroup('handoff');
    expect(description.members).toHaveLength(2);
    expect(description.members.flatMap((m) => m.assignments)).toHaveLength(4);
  });

  it('a member whose socket drops loses its partitions to the others; nothing is lost; it rejoins as a new member', async () => {
    await admin.createTopic('dropped', { partitions: 4 });
    const proxy = await TcpProxy.start(fixture.url);
    try {
      const options = { group: 'dropped', topics: ['dropped'], from: 'earliest' } as const;
      const a = await member('a', options);
      const b = await member('b', options);
      const c = await member('c', options, proxy.url);
      await stable('dropped', 3);
      const oldId = c.consumer.memberId;
      await until(() => c.consumer.assignment.length > 0, 'c owning a partition');
      await produceNumbered(admin, 'dropped', 200, (i) => `k${i}`);
      await until(() => c.seen.length > 0, 'c handling messages');
      proxy.refuse(true);
      proxy.dropAll();
      await stable('dropped', 2);
      await produceNumbered(admin, 'dropped', 200, (i) => `k${i}`, 200);
      const handled = (): Set<number> => new Set([a, b, c].flatMap((m) => values(m.seen)));
      await until(() => handled().size === 400, 'every message');
      const description = await admin.describeGroup('dropped');
      expect(description.members.map((m) => m.id).sort()).toEqual([a.consumer.memberId, b.consumer.memberId].sort());
      expect(description.members.flatMap((m) => m.assignments)).toHaveLength(4);
      // Let the dropped client back in: it joins again under a new member id.
      proxy.refuse(false);
      await stable('dropped', 3);
      await until(() => c.consumer.memberId !== undefined, 'c rejoined');
      expect(c.consumer.memberId).not.toBe(oldId);
      await produceNumbered(admin, 'dropped', 200, (i) => `k${i}`, 400);
      await until(() => handled().size === 600, 'every message after the rejoin');
    } finally {
      await proxy.close();
    }
  });

  it('after a broker restart the group resumes at its committed offsets', async () => {
    await admin.createTopic('durable', { partitions: 2 });
    await produceNumbered(admin, 'durable', 400, (i) => `k${i}`);
    const seen: ConsumerMessage[] = [];
    const client = await fixture.client('survivor');
    const consumer = client.consumer({ group: 'durable', topics: ['durable'], from: 'earliest' });
    await consumer.run(async (message) => {
      seen.push(message);
      await sleep(1);
    });
    await until(() => seen.length >= 100, 'some progress');
    // Offsets below these were acknowledged (and committed) before the restart: they must not come again.
    const committed = new Map((await admin.describeGroup('durable')).lag.map((l) => [l.partition, l.committedOffset]));
    await fixture.restart();
    await produceNumbered(admin, 'durable', 100, (i) => `k${i}`, 400);
    await until(() => new Set(values(seen)).size === 500, 'every message, before and after the restart');
    for (const [partition, offset] of committed) {
      const early = seen.filter((m) => m.partition === partition && m.offset < offset);
      expect(early.length).toBe(offset);
      expect(new Set(early.map((m) => m.offset)).size).toBe(offset);
    }
    expect(consumer.memberId).toBeDefined();
  });
});
