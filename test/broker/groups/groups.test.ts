import fs from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PartitionActor } from '../../../src/broker/partition-actor.js';
import { startBroker, type Broker } from '../../../src/broker/index.js';
import { batchSizeAt, decodeRecords, encodeRecordBatch } from '../../../src/protocol/record-batch.js';
import { RawClient, type ServerFrameSeen } from '../../helpers/raw-client.js';
import { tempDir } from '../../../bench/lib/temp-dir.js';

const readThrough = PartitionActor.prototype.read;
const joinDefaults = { ordering: 'partition', from: 'earliest', retryBackoffMs: [50], maxDeliveries: 3, sessionTimeoutMs: 10_000, maxInFlightMessages: 1_000, maxInFlightBytes: 1 << 20 };

function delivered(frame: ServerFrameSeen): Array<{ offset: number; value: unknown }> {
  const out: Array<{ offset: number; value: unknown }> = [];
  const ranges = frame.ranges as number[];
  const inRange = (offset: number) => ranges.some((_, i) => i % 2 === 0 && offset >= ranges[i]! && offset <= ranges[i + 1]!);
  const records = frame.records as Uint8Array;
  for (let pos = 0; pos < records.length; pos += batchSizeAt(records, pos)) {
    for (const record of decodeRecords(records, pos)) if (inRange(record.offset)) out.push({ offset: record.offset, value: record.value });
  }
  return out;
}

describe('consumer groups over the wire', () => {
  let broker: Broker;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let admin: RawClient;
  const clients: RawClient[] = [];

  const produce = (topic: string, partition: number, values: unknown[]) =>
    admin.request({ type: 'produce', entries: [{ topic, partition, batch: encodeRecordBatch(values.map((value) => ({ value })), { now: 1 }) }] });
  const consumer = async () => {
    const client = await RawClient.greeted(broker.url, 'consumer');
    clients.push(client);
    return client;
  };
  const deliveries = (client: RawClient) => client.frames.filter((f) => f.type === 'deliver');

  beforeEach(async () => {
    dir = await tempDir();
    broker = await startBroker({ port: 0, dataDir: dir.path, logLevel: 'silent' });
    admin = await RawClient.greeted(broker.url, 'admin');
    await admin.request({ type: 'createTopic', topic: 'orders', partitions: 2 });
  });
  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    admin.close();
    await broker.close();
    await dir.remove();
  });

  it('delivers every message once, records acks as the committed offset', async () => {
    await produce('orders', 0, ['a', 'b']);
    await produce('orders', 1, ['c']);
    const c = await consumer();
    const joined = await c.request({ type: 'joinGroup', group: 'cart', topics: ['orders'], ...joinDefaults });
    expect(joined).toMatchObject({ type: 'result', body: { memberId: expect.any(String) } });
    const memberId = joined.body.memberId;
    await c.waitFor((f) => f.type === 'assignment' && f.partitions?.length === 2);
    await c.waitFor(() => deliveries(c).flatMap(delivered).length === 3);
    expect(deliveries(c).flatMap(delivered).map((d) => d.value).sort()).toEqual(['a', 'b', 'c']);
    for (const d of deliveries(c)) {
      expect(await c.request({ type: 'ack', group: 'cart', memberId, topic: d.topic, partition: d.partition, ranges: d.ranges })).toMatchObject({ type: 'result' });
    }
    const described = await admin.request({ type: 'describeGroup', group: 'cart' });
    expect(described.body).toMatchObject({ state: 'stable', members: [{ id: memberId, assignments: expect.any(Array) }] });
    expect(described.body.lag).toEqual(expect.arrayContaining([
      { topic: 'orders', partition: 0, committedOffset: 2, endOffset: 2 },
      { topic: 'orders', partition: 1, committedOffset: 1, endOffset: 1 },
    ]));
  });

  it('redelivers a nacked message after the backoff with deliveryCount 2, then dead-letters it', async () => {
    await produce('orders', 0, ['poison']);
    const c = await consumer();
    const { body: { memberId } } = await c.request({ type: 'joinGroup', group: 'g2', topics: ['orders'], ...joinDefaults, maxDeliveries: 2 });
    const first = await c.waitFor((f) => f.type === 'deliver');
    expect(first.deliveryCount).toBe(1);
    const nackedAt = Date.now();
    await c.request({ type: 'nack', group: 'g2', memberId, topic: 'orders', partition: 0, offset: 0, error: 'boom' });
    const second = await c.waitFor((f) => f.type === 'deliver' && f.deliveryCount === 2);
    expect(Date.now() - nackedAt).toBeGreaterThanOrEqual(45);
    expect(delivered(second)).toEqual([{ offset: 0, value: 'poison' }]);
    await c.request({ type: 'nack', group: 'g2', memberId, topic: 'orders', partition: 0, offset: 0, error: 'boom again' });
    await expect.poll(async () => (await admin.request({ type: 'describeTopic', topic: 'g2.dlq' })).body?.partitions?.[0]?.endOffset).toBe(1);
    const dead = await admin.request({ type: 'fetch', topic: 'g2.dlq', partition: 0, offset: 0, maxBytes: 65536 });
    const [record] = decodeRecords(dead.body.records);
    expect(record).toMatchObject({ value: 'poison', headers: { 'dlq.topic': 'orders', 'dlq.partition': '0', 'dlq.offset': '0', 'dlq.error': 'boom again', 'dlq.deliveries': '2' } });
    await expect.poll(async () => (await admin.request({ type: 'describeGroup', group: 'g2' })).body.lag.find((l: { partition: number }) => l.partition === 0).committedOffset).toBe(1);
  });

  it('splits partitions between members and moves them when a member drops', async () => {
    const a = await consumer();
    const b = await consumer();
    const joinA = await a.request({ type: 'joinGroup', group: 'split', topics: ['orders'], ...joinDefaults });
    await a.waitFor((f) => f.type === 'assignment' && f.partitions?.length === 2);
    await b.request({ type: 'joinGroup', group: 'split', topics: ['orders'], ...joinDefaults });
    // a gives one partition up; b gets it only after a releases it.
    const shrunk = await a.waitFor((f) => f.type === 'assignment' && f.partitions?.length === 1);
    const lost = [0, 1].find((p) => !shrunk.partitions.some((tp: { partition: number }) => tp.partition === p))!;
    await a.request({ type: 'release', group: 'split', memberId: joinA.body.memberId, topic: 'orders', partition: lost });
    await b.waitFor((f) => f.type === 'assignment' && f.partitions?.length === 1);
    await produce('orders', 0, ['p0']);
    await produce('orders', 1, ['p1']);
    await a.waitFor((f) => f.type === 'deliver');
    await b.waitFor((f) => f.type === 'deliver');
    // b's socket drops without acking: a gets b's partition and the message again, counted as a second hand-over.
    b.socket.terminate();
    const again = await a.waitFor((f) => f.type === 'deliver' && f.partition === lost);
    expect(again.deliveryCount).toBe(2);
    expect(delivered(again).map((d) => d.value)).toEqual([`p${lost}`]);
  });

  it('hands a lost member\'s messages over in a few frames, in offset order, each counted as a second delivery', async () => {
    const values = Array.from({ length: 500 }, (_, i) => `m${i}`);
    await produce('orders', 0, values.slice(0, 250));
    await produce('orders', 0, values.slice(250));
    const a = await consumer();
    await a.request({ type: 'joinGroup', group: 'handover', topics: ['orders'], ...joinDefaults });
    await a.waitFor(() => deliveries(a).flatMap(delivered).length === 500);
    const b = await consumer();
    await b.request({ type: 'joinGroup', group: 'handover', topics: ['orders'], ...joinDefaults });
    a.socket.terminate(); // 500 messages out with a, none acked
    await b.waitFor(() => deliveries(b).filter((f) => f.partition === 0).flatMap(delivered).length === 500);
    const frames = deliveries(b).filter((f) => f.partition === 0);
    expect(frames.every((f) => f.deliveryCount === 2)).toBe(true);
    expect(frames.flatMap(delivered).map((d) => d.value)).toEqual(values);
    expect(frames.length).toBeLessThanOrEqual(2); // one read and one frame per run of due offsets, not one per message
  });

  it('keeps partition order when a partition moves while a failed message waits out its backoff', async () => {
    await produce('orders', 0, ['m0', 'm1', 'm2', 'm3']);
    const settings = { ...joinDefaults, retryBackoffMs: [300] };
    const a = await consumer();
    const { body: { memberId } } = await a.request({ type: 'joinGroup', group: 'moved', topics: ['orders'], ...settings });
    await a.waitFor(() => deliveries(a).filter((f) => f.partition === 0).flatMap(delivered).length === 4);
    await a.request({ type: 'nack', group: 'moved', memberId, topic: 'orders', partition: 0, offset: 0, error: 'retry' });
    const b = await consumer();
    await b.request({ type: 'joinGroup', group: 'moved', topics: ['orders'], ...settings });
    a.socket.terminate(); // m1..m3 come back due at once; m0 only after its backoff
    const received = () => deliveries(b).filter((f) => f.partition === 0).flatMap(delivered).map((d) => d.value);
    await b.waitFor(() => received().length === 4);
    expect(received()).toEqual(['m0', 'm1', 'm2', 'm3']);
  });

  it('dead-letters a message lost with its member on its last allowed hand-over', async () => {
    await produce('orders', 0, ['last']);
    const a = await consumer();
    await a.request({ type: 'joinGroup', group: 'lost', topics: ['orders'], ...joinDefaults, maxDeliveries: 1 });
    await a.waitFor((f) => f.type === 'deliver' && f.partition === 0);
    const b = await consumer();
    await b.request({ type: 'joinGroup', group: 'lost', topics: ['orders'], ...joinDefaults, maxDeliveries: 1 });
    a.socket.terminate(); // its one hand-over is lost: a failure, and the last one allowed
    await expect.poll(async () => (await admin.request({ type: 'describeGroup', group: 'lost' })).body.lag.find((l: { partition: number }) => l.partition === 0).committedOffset).toBe(1);
    const dead = await admin.request({ type: 'fetch', topic: 'lost.dlq', partition: 0, offset: 0, maxBytes: 65536 });
    expect(decodeRecords(dead.body.records)).toMatchObject([{ value: 'last', headers: { 'dlq.error': 'lost with its member', 'dlq.deliveries': '1' } }]);
    expect(deliveries(b).flatMap(delivered).map((d) => d.value)).not.toContain('last');
  });

  it('in key mode hands a lost member\'s keyless messages to the others', async () => {
    const members = [await consumer(), await consumer(), await consumer()];
    const settings = { ...joinDefaults, ordering: 'key' };
    for (const m of members) await m.request({ type: 'joinGroup', group: 'keyless', topics: ['orders'], ...settings });
    for (const m of members) await m.waitFor((f) => f.type === 'assignment' && f.topics?.[0]?.partitions === 2 && f.generation === 3);
    await produce('orders', 0, ['n0', 'n1', 'n2', 'n3', 'n4', 'n5']); // no keys: round-robin over the members
    const values = (client: RawClient) => deliveries(client).filter((f) => f.partition === 0).flatMap(delivered).map((d) => d.value);
    const total = () => members.reduce((sum, m) => sum + values(m).length, 0);
    await members[0]!.waitFor(() => total() === 6);
    const [lost, ...kept] = members as [RawClient, ...RawClient[]];
    const held = values(lost);
    const before = kept.map((m) => values(m).length);
    lost.socket.terminate(); // two members left: the round-robin must not alternate the run's member under it
    await kept[0]!.waitFor(() => kept.reduce((sum, m, i) => sum + values(m).length - before[i]!, 0) === held.length);
    expect(kept.flatMap((m, i) => values(m).slice(before[i])).sort()).toEqual([...held].sort());
  });

  it('refuses bad group input with codes and keeps serving', async () => {
    const c = await consumer();
    expect(await c.request({ type: 'joinGroup', group: 'x', topics: ['missing'], ...joinDefaults })).toMatchObject({ code: 'UNKNOWN_TOPIC' });
    expect(await c.request({ type: 'joinGroup', group: '', topics: ['orders'], ...joinDefaults })).toMatchObject({ code: 'INVALID_REQUEST' });
    expect(await c.request({ type: 'joinGroup', group: 'x', topics: ['orders'], ...joinDefaults, maxDeliveries: 0 })).toMatchObject({ code: 'INVALID_REQUEST' });
    expect(await c.request({ type: 'ack', group: 'nope', memberId: 'm', topic: 'orders', partition: 0, ranges: [0, 0] })).toMatchObject({ code: 'UNKNOWN_GROUP' });
    const { body: { memberId } } = await c.request({ type: 'joinGroup', group: 'x', topics: ['orders'], ...joinDefaults });
    expect(await c.request({ type: 'ack', group: 'x', memberId, topic: 'orders', partition: 0, ranges: [5, 5] })).toMatchObject({ code: 'NOT_DELIVERED' });
    expect(await c.request({ type: 'joinGroup', group: 'x', topics: ['orders'], ...joinDefaults, ordering: 'key' })).toMatchObject({ code: 'INVALID_REQUEST' });
    const other = await consumer();
    expect(await other.request({ type: 'ack', group: 'x', memberId, topic: 'orders', partition: 0, ranges: [0, 0] })).toMatchObject({ code: 'UNKNOWN_MEMBER' });
  });

  it('resumes a group at its committed offset after a restart', async () => {
    await produce('orders', 0, ['one', 'two', 'three']);
    const c = await consumer();
    const { body: { memberId } } = await c.request({ type: 'joinGroup', group: 'resume', topics: ['orders'], ...joinDefaults });
    await c.waitFor(() => deliveries(c).flatMap(delivered).length === 3);
    await c.request({ type: 'ack', group: 'resume', memberId, topic: 'orders', partition: 0, ranges: [0, 1] });
    await c.request({ type: 'leaveGroup', group: 'resume', memberId });
    c.close();
    admin.close();
    await broker.close();
    broker = await startBroker({ port: 0, dataDir: dir.path, logLevel: 'silent' });
    admin = await RawClient.greeted(broker.url, 'admin');
    // Known by its committed offsets alone, the group is listed and described as empty.
    expect((await admin.request({ type: 'listGroups' })).body.groups).toEqual([{ group: 'resume', state: 'empty', members: 0 }]);
    const dormant = await admin.request({ type: 'describeGroup', group: 'resume' });
    expect(dormant.body).toMatchObject({ state: 'empty', members: [] });
    expect(dormant.body.lag).toContainEqual({ topic: 'orders', partition: 0, committedOffset: 2, endOffset: 3 });
    const again = await consumer();
    await again.request({ type: 'joinGroup', group: 'resume', topics: ['orders'], ...joinDefaults });
    const first = await again.waitFor((f) => f.type === 'deliver');
    expect(delivered(first).map((d) => d.value)).toEqual(['three']);
  });

  it('resumes at the log end when its committed offset is beyond it (the log lost a tail the group had read), and gets what comes next', async () => {
    await produce('orders', 0, ['one', 'two', 'three']);
    const c = await consumer();
    const { body: { memberId } } = await c.request({ type: 'joinGroup', group: 'ahead', topics: ['orders'], ...joinDefaults });
    await c.waitFor(() => deliveries(c).flatMap(delivered).length === 3);
    await c.request({ type: 'ack', group: 'ahead', memberId, topic: 'orders', partition: 0, ranges: [0, 2] });
    await c.request({ type: 'leaveGroup', group: 'ahead', memberId });
    c.close();
    admin.close();
    await broker.close();
    // What a power loss does to records read under flush: interval before their sync: the partition's log is gone.
    const partitionDir = join(dir.path, 'logs', 'orders', '0');
    for (const name of fs.readdirSync(partitionDir)) fs.rmSync(join(partitionDir, name));
    broker = await startBroker({ port: 0, dataDir: dir.path, logLevel: 'silent' });
    admin = await RawClient.greeted(broker.url, 'admin');
    await produce('orders', 0, ['four']); // offset 0 again
    const again = await consumer();
    await again.request({ type: 'joinGroup', group: 'ahead', topics: ['orders'], ...joinDefaults });
    const first = await again.waitFor((f) => f.type === 'deliver');
    expect(delivered(first).map((d) => d.value)).toEqual(['four']);
  });

  it('wakes every partition of a member when acks on one free its credit window', async () => {
    await produce('orders', 0, ['a0', 'a1', 'a2']);
    await produce('orders', 1, ['b0', 'b1', 'b2']);
    const c = await consumer();
    const { body: { memberId } } = await c.request({ type: 'joinGroup', group: 'narrow', topics: ['orders'], ...joinDefaults, maxInFlightMessages: 2 });
    // Ack whatever arrives; the window of 2 is shared by both partitions, so one partition's acks must let the other go on.
    const acked = new Set<ServerFrameSeen>();
    await c.waitFor(() => {
      for (const d of deliveries(c)) {
        if (acked.has(d)) continue;
        acked.add(d);
        c.send({ type: 'ack', id: 1_000 + acked.size, group: 'narrow', memberId, topic: d.topic, partition: d.partition, ranges: d.ranges });
      }
      return deliveries(c).flatMap(delivered).length === 6;
    });
    expect(deliveries(c).flatMap(delivered).map((d) => d.value).sort()).toEqual(['a0', 'a1', 'a2', 'b0', 'b1', 'b2']);
  });

  it('acknowledges every range of an ack frame that is in flight even when another is not, frees their credit and moves the commit', async () => {
    await produce('orders', 0, ['m0', 'm1', 'm2', 'm3', 'm4', 'm5']);
    const c = await consumer();
    const { body: { memberId } } = await c.request({ type: 'joinGroup', group: 'mixed', topics: ['orders'], ...joinDefaults, maxInFlightMessages: 3 });
    await c.waitFor(() => deliveries(c).flatMap(delivered).length === 3); // m0..m2: the window is full
    const ack = (ranges: number[]) => c.request({ type: 'ack', group: 'mixed', memberId, topic: 'orders', partition: 0, ranges });
    expect(await ack([0, 0])).toMatchObject({ type: 'result', body: { acked: 1 } });
    // A retried frame: 0 was acknowledged already, 1..2 were not.
    expect(await ack([0, 0, 1, 2])).toMatchObject({ type: 'error', code: 'NOT_DELIVERED' });
    await c.waitFor(() => deliveries(c).flatMap(delivered).length === 6); // the credit of 1..2 came back: m3..m5 follow
    await expect.poll(async () => (await admin.request({ type: 'describeGroup', group: 'mixed' })).body.lag.find((l: { partition: number }) => l.partition === 0).committedOffset).toBe(3);
  });

  it('keeps a member credit for a waiting redelivery, so a client holding later messages gets it back', async () => {
    await produce('orders', 0, ['m0', 'm1', 'm2', 'm3']);
    const c = await consumer();
    const { body: { memberId } } = await c.request({ type: 'joinGroup', group: 'held', topics: ['orders'], ...joinDefaults, maxInFlightMessages: 2 });
    await c.waitFor((f) => f.type === 'deliver' && f.partition === 0);
    // The client holds m1 until m0 succeeds; the credit m0's nack frees must not go to m2.
    await c.request({ type: 'nack', group: 'held', memberId, topic: 'orders', partition: 0, offset: 0, error: 'retry me' });
    const again = await c.waitFor((f) => f.type === 'deliver' && f.deliveryCount === 2);
    expect(delivered(again).map((d) => d.value)).toEqual(['m0']);
    expect(deliveries(c).flatMap(delivered).map((d) => d.value)).toEqual(['m0', 'm1', 'm0']);
  });

  it('sizes reads to the message credit of the member, and a batch far larger than the estimate still goes out whole', async () => {
    const reads: number[] = [];
    const read = vi.spyOn(PartitionActor.prototype, 'read').mockImplementation(async function (this: PartitionActor, offset, maxBytes) {
      reads.push(maxBytes);
      return readThrough.call(this, offset, maxBytes);
    });
    const small = Array.from({ length: 40 }, (_, i) => `s${i}`.padEnd(100, '.'));
    for (let i = 0; i < 40; i += 10) await produce('orders', 0, small.slice(i, i + 10));
    await produce('orders', 0, ['L'.repeat(200_000)]);
    await produce('orders', 0, ['after']);
    const c = await consumer();
    const { body: { memberId } } = await c.request({ type: 'joinGroup', group: 'sized', topics: ['orders'], ...joinDefaults, maxInFlightMessages: 10 });
    const values: unknown[] = [];
    for (let seen = 0; values.length < 42; seen++) {
      await c.waitFor(() => deliveries(c).length > seen);
      const d = deliveries(c)[seen]!;
      values.push(...delivered(d).map((r) => r.value));
      await c.request({ type: 'ack', group: 'sized', memberId, topic: d.topic, partition: d.partition, ranges: d.ranges });
    }
    read.mockRestore();
    expect(values).toEqual([...small, 'L'.repeat(200_000), 'after']);
    // The first read knows no sizes yet; once the large message has left the estimate, ten ~100 B messages are read as ~1.5 KB, not 1 MiB.
    expect(reads[0]).toBe(1 << 20);
    expect(reads.filter((bytes) => bytes < 2_000).length).toBeGreaterThanOrEqual(2);
  });

  it('reads once per delivery when several partitions wait for the credit of one member', async () => {
    await admin.request({ type: 'createTopic', topic: 'wide', partitions: 4 });
    for (let partition = 0; partition < 4; partition++) {
      await produce('wide', partition, Array.from({ length: 50 }, (_, i) => `${partition}-${i}`));
    }
    let reads = 0;
    const read = vi.spyOn(PartitionActor.prototype, 'read').mockImplementation(function (this: PartitionActor, offset, maxBytes) {
      reads++;
      return readThrough.call(this, offset, maxBytes);
    });
    const c = await consumer();
    const { body: { memberId } } = await c.request({ type: 'joinGroup', group: 'narrow', topics: ['wide'], ...joinDefaults, maxInFlightMessages: 10 });
    let handled = 0;
    let seen = 0;
    for (; handled < 200; seen++) {
      await c.waitFor(() => deliveries(c).length > seen);
      const d = deliveries(c)[seen]!;
      handled += delivered(d).length;
      await c.request({ type: 'ack', group: 'narrow', memberId, topic: d.topic, partition: d.partition, ranges: d.ranges });
    }
    read.mockRestore();
    expect(handled).toBe(200);
    // Without the window held during a read, every ack woke all four partitions to read, and three reads were thrown away.
    expect(reads).toBeLessThanOrEqual(seen + 4);
  });

  it('ends deliveries at batch boundaries while acks come back in small steps', async () => {
    for (let batch = 0; batch < 10; batch++) await produce('orders', 0, Array.from({ length: 6 }, (_, i) => `b${batch}-${i}`));
    const c = await consumer();
    const { body: { memberId } } = await c.request({ type: 'joinGroup', group: 'aligned', topics: ['orders'], ...joinDefaults, maxInFlightMessages: 40 });
    const offsets: number[] = [];
    let acked = 0;
    while (acked < 60) {
      await c.waitFor(() => deliveries(c).flatMap(delivered).length > acked);
      offsets.splice(0, offsets.length, ...deliveries(c).flatMap(delivered).map((d) => d.offset));
      const to = Math.min(acked + 5, offsets.length) - 1; // five at a time: the credit comes back mid-batch
      await c.request({ type: 'ack', group: 'aligned', memberId, topic: 'orders', partition: 0, ranges: [acked, offsets[to]!] });
      acked = to + 1;
    }
    expect(offsets).toEqual(Array.from({ length: 60 }, (_, i) => i));
    // Every delivery carried whole batches: none started or stopped inside one (so none sent a batch twice).
    for (const d of deliveries(c)) {
      const [from, to] = d.ranges as number[];
      expect([from! % 6, to! % 6]).toEqual([0, 5]);
    }
  });

  it('lets a partition waiting for the rest of a batch get it while a sibling keeps taking credit in small steps', async () => {
    for (let batch = 0; batch < 20; batch++) await produce('orders', 0, Array.from({ length: 10 }, (_, i) => `p${batch}-${i}`));
    await admin.request({ type: 'produce', entries: Array.from({ length: 300 }, (_, i) => ({ topic: 'orders', partition: 1, batch: encodeRecordBatch([{ value: `q${i}` }], { now: 1 }) })) });
    const c = await consumer();
    const { body: { memberId } } = await c.request({ type: 'joinGroup', group: 'fair', topics: ['orders'], ...joinDefaults, maxInFlightMessages: 40 });
    const out: Array<{ partition: number; offset: number }> = [];
    const arrivals: number[] = []; // partition of each message, in arrival order
    let seen = 0;
    while (arrivals.filter((p) => p === 0).length < 200) {
      await c.waitFor(() => deliveries(c).length > seen || out.length > 0);
      for (const d of deliveries(c).slice(seen)) {
        for (const r of delivered(d)) {
          out.push({ partition: d.partition as number, offset: r.offset });
          arrivals.push(d.partition as number);
        }
      }
      seen = deliveries(c).length;
      for (const { partition, offset } of out.splice(0, 2)) { // slow handlers: two acks at a time
        await c.request({ type: 'ack', group: 'fair', memberId, topic: 'orders', partition, ranges: [offset, offset] });
      }
    }
    // Partition 0 got its batches while partition 1 still had most of its 300 to deliver (not only after it ran dry).
    let fromP = 0;
    const halfOfP = arrivals.findIndex((p) => p === 0 && ++fromP === 100);
    expect(arrivals.slice(0, halfOfP).filter((p) => p === 1).length).toBeLessThan(200);
  });
});
