/**
 * The consumer's side of the group protocol against a fake broker, where the
 * test decides exactly which frames arrive and when: pushes right behind the
 * join result, ack coalescing, release after a revoke, heartbeats, rejoining
 * after a dropped socket or an expired membership, corrupt and control batches.
 */
import type { WebSocket } from 'ws';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connect, type Client, type ConsumerMessage, type ConsumerOptions } from '../../src/client/index.js';
import { encodeFrame } from '../../src/protocol/codec.js';
import { encodeRecordBatch, writeBaseOffset } from '../../src/protocol/record-batch.js';
import { sleep, until } from '../helpers/group-fixture.js';
import { FakeBroker, FakeError, noAnswer, type Frame } from './fake-broker.js';

let broker: FakeBroker;
let client: Client;
let joins = 0;

beforeEach(async () => {
  broker = await FakeBroker.start();
  joins = 0;
  broker.handlers.joinGroup = () => ({ memberId: `m${++joins}`, generation: joins });
  for (const type of ['ack', 'nack', 'release', 'leaveGroup', 'heartbeat']) broker.handlers[type] = () => ({});
  client = await connect(broker.url, { clientId: 'wire', reconnectBackoffMs: 10 });
});

afterEach(async () => {
  await client.close();
  await broker.close();
});

function batch(baseOffset: number, values: unknown[], options: { control?: boolean; keys?: string[] } = {}): Uint8Array {
  const bytes = encodeRecordBatch(values.map((value, i) => ({ value, key: options.keys?.[i] })), { now: 1_000, control: options.control });
  writeBaseOffset(bytes, 0, baseOffset);
  return bytes;
}

const assignment = (memberId: string, partitions: number[]) => ({ type: 'assignment', group: 'g', memberId, generation: 1, partitions: partitions.map((partition) => ({ topic: 't', partition })), topics: [] });
const deliver = (memberId: string, partition: number, records: Uint8Array, ranges: number[], deliveryCount = 1) => ({ type: 'deliver', group: 'g', memberId, topic: 't', partition, records, ranges, deliveryCount });
const push = (frame: object) => broker.sendRaw(frame);
const sent = (type: string, partition?: number): Frame[] => broker.received(type).filter((f) => partition === undefined || f.partition === partition);
const ackedOffsets = (partition: number): number[] =>
  sent('ack', partition).flatMap((f) => Array.from({ length: (f.ranges as number[]).length / 2 }, (_, i) => [f.ranges[2 * i], f.ranges[2 * i + 1]] as const)).flatMap(([from, to]) => Array.from({ length: to - from + 1 }, (_, i) => from + i));

async function running(handler: (m: ConsumerMessage) => unknown, options: Partial<ConsumerOptions> = {}) {
  const consumer = client.consumer({ group: 'g', topics: ['t'], ...options });
  await consumer.run(handler);
  return consumer;
}

describe('consumer over the wire', () => {
  it('takes an assignment and deliveries that arrive right behind the join result', async () => {
    broker.handlers.joinGroup = (_frame, socket: WebSocket) => {
      // Three frames in one burst: the client reads them in one go.
      socket.send(encodeFrame({ type: 'result', id: _frame.id, body: { memberId: 'm1', generation: 1 } }));
      socket.send(encodeFrame(assignment('m1', [0])));
      socket.send(encodeFrame(deliver('m1', 0, batch(0, ['first']), [0, 0])));
      return noAnswer;
    };
    const seen: unknown[] = [];
    await running((m) => void seen.push(m.value));
    await until(() => seen.length === 1, 'the first message');
    expect(seen).toEqual(['first']);
  });

  it('hands over only offsets inside the ranges and coalesces acks into ranges', async () => {
    const seen: number[] = [];
    await running((m) => void seen.push(m.offset));
    push(assignment('m1', [0]));
    // One stored batch of 10 records, of which 2-4 and 7-8 are for this member (as in key mode).
    push(deliver('m1', 0, batch(0, Array.from({ length: 10 }, (_, i) => i)), [2, 4, 7, 8]));
    push(deliver('m1', 0, batch(10, Array.from({ length: 100 }, (_, i) => i)), [10, 109]));
    await until(() => ackedOffsets(0).length === 105, 'every ack');
    expect(seen).toEqual([2, 3, 4, 7, 8, ...Array.from({ length: 100 }, (_, i) => 10 + i)]);
    expect(sent('ack').length).toBeLessThanOrEqual(2);
    expect(sent('ack').flatMap((f) => f.ranges)).toEqual([2, 4, 7, 8, 10, 109]);
  });

  it('acks control records without a handler, and nacks records of a corrupt batch', async () => {
    const seen: number[] = [];
    await running((m) => void seen.push(m.offset));
    push(assignment('m1', [0]));
    const corrupt = batch(3, ['x', 'y']);
    corrupt[corrupt.length - 1]! ^= 0xff;
    push(deliver('m1', 0, Buffer.concat([batch(0, ['a']), batch(1, ['marker', 'marker'], { control: true }), corrupt]), [0, 4]));
    await until(() => sent('nack').length === 2 && ackedOffsets(0).length === 3, 'acks and nacks');
    expect(seen).toEqual([0]);
    expect(ackedOffsets(0)).toEqual([0, 1, 2]);
    expect(sent('nack').map((f) => [f.offset, f.error])).toEqual([[3, expect.stringContaining('corrupt batch')], [4, expect.stringContaining('corrupt batch')]]);
  });

  it('releases a revoked partition after its running handler finished and its ack went out; queued messages are dropped', async () => {
    const seen: number[] = [];
    let finish: () => void = () => undefined;
    await running(async (m) => {
      seen.push(m.offset);
      if (m.partition === 1 && m.offset === 0) await new Promise<void>((resolve) => (finish = resolve));
    });
    push(assignment('m1', [0, 1]));
    push(deliver('m1', 1, batch(0, ['a', 'b', 'c']), [0, 2]));
    await until(() => seen.length === 1, 'the first handler');
    push(assignment('m1', [0]));
    await sleep(20);
    expect(sent('release')).toEqual([]);
    push(deliver('m1', 1, batch(3, ['late']), [3, 3])); // for a partition being revoked: ignored
    finish();
    await until(() => sent('release').length === 1, 'the release');
    expect(seen).toEqual([0]);
    const order = broker.frames.filter((f) => f.type === 'ack' || f.type === 'release').map((f) => `${f.type}:${f.partition}`);
    expect(order).toEqual(['ack:1', 'release:1']);
    expect(ackedOffsets(1)).toEqual([0]);
  });

  it('heartbeats every third of the session timeout', async () => {
    const startedMs = Date.now();
    await running(() => undefined, { sessionTimeoutMs: 300 });
    await until(() => sent('heartbeat').length >= 3, 'three heartbeats');
    expect(Date.now() - startedMs).toBeGreaterThanOrEqual(295);
    expect(sent('heartbeat')[0]).toMatchObject({ group: 'g', memberId: 'm1' });
  });

  it('joins again with a new member id when the socket drops; the old member\'s queue is dropped', async () => {
    const seen: string[] = [];
    const consumer = await running((m) => void seen.push(`${m.value}`));
    push(assignment('m1', [0]));
    expect(consumer.memberId).toBe('m1');
    broker.dropAll();
    await until(() => consumer.memberId === 'm2', 'the second membership');
    expect(sent('joinGroup')).toHaveLength(2);
    push(deliver('m1', 0, batch(0, ['for the old member']), [0, 0])); // routed nowhere
    push(assignment('m2', [0]));
    push(deliver('m2', 0, batch(0, ['for the new member']), [0, 0]));
    await until(() => seen.length === 1, 'the delivery');
    expect(seen).toEqual(['for the new member']);
  });

  it('joins again when the broker no longer knows the member (expired session)', async () => {
    broker.handlers.heartbeat = () => {
      throw new FakeError('UNKNOWN_MEMBER', 'expired');
    };
    const consumer = await running(() => undefined, { sessionTimeoutMs: 150 });
    await until(() => consumer.memberId === 'm2', 'a new membership');
  });

  it('close waits for the handler, flushes acks, then leaves', async () => {
    let finish: (() => void) | undefined;
    const consumer = await running(() => new Promise<void>((resolve) => (finish = resolve)));
    push(assignment('m1', [0]));
    push(deliver('m1', 0, batch(0, ['slow']), [0, 0]));
    await until(() => finish !== undefined, 'the handler to start');
    const closing = consumer.close();
    await sleep(10);
    expect(sent('leaveGroup')).toEqual([]);
    finish!();
    await closing;
    expect(broker.frames.filter((f) => f.type === 'ack' || f.type === 'leaveGroup').map((f) => f.type)).toEqual(['ack', 'leaveGroup']);
  });
});
