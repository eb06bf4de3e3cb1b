import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Accumulator } from '../../src/client/accumulator.js';
import { TopicState, type PartitionState } from '../../src/client/partition-state.js';
import { keyBytes, partitionForKey } from '../../src/client/partitioner.js';
import { utf8Length, type ProducerBatch } from '../../src/client/producer-batch.js';
import { SendCall } from '../../src/client/send-call.js';
import type { Message, SendResult } from '../../src/client/types.js';
import { ActorMqError, MessageTooLargeError } from '../../src/protocol/errors.js';
import { decodeRecords, encodeRecordBatch } from '../../src/protocol/record-batch.js';

const wide = { maxBatchBytes: 1 << 30, maxRecordsPerBatch: 1 << 30 };

function setup(partitions: number) {
  const active = new Set<PartitionState>();
  const topic = new TopicState('orders', partitions);
  return { active, topic, accumulator: new Accumulator(active) };
}

function call(messages: Message[]): SendCall {
  return new SendCall('orders', messages, false, new Set());
}

/** Every batch of a partition, sealed first, then the open one. */
function batchesOf(state: PartitionState): ProducerBatch[] {
  return [...state.sealed, ...(state.open ? [state.open] : [])];
}

function encode(batch: ProducerBatch): Uint8Array {
  return encodeRecordBatch(batch.records, { now: 1_700_000_000_000, producer: { producerId: 1, producerEpoch: 0, baseSequence: 0 } });
}

const bytes = (length: number): Uint8Array => new Uint8Array(length).fill(7);

describe('utf8Length', () => {
  it('equals the length TextEncoder produces, lone surrogates included', () => {
    const encoder = new TextEncoder();
    for (const text of ['', 'abc', 'grüße', '日本', '🎉', '\ud800', 'a\udc00b', '\ud83c']) expect(utf8Length(text)).toBe(encoder.encode(text).length);
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (text) => utf8Length(text) === encoder.encode(text).length));
  });
});

describe('Accumulator', () => {
  const message = fc.record(
    {
      key: fc.option(fc.oneof(fc.string({ unit: 'binary', maxLength: 40 }), fc.uint8Array({ maxLength: 40 })), { nil: undefined }),
      value: fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.jsonValue({ maxDepth: 2 })),
      headers: fc.option(fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ unit: 'binary', maxLength: 20 }), { maxKeys: 3 }), { nil: undefined }),
      timestamp: fc.option(fc.nat({ max: 2 ** 41 }), { nil: undefined }),
    },
    { requiredKeys: ['value'] },
  ) as fc.Arbitrary<Message>;

  it('sizes batches as a tight upper bound of the encoded size', () => {
    fc.assert(
      fc.property(fc.array(message, { minLength: 1, maxLength: 60 }), (messages) => {
        const { topic, accumulator } = setup(1);
        const grown = accumulator.add(call(messages), topic, wide, 0);
        const batch = topic.partitions[0]!.open!;
        const encodedBytes = encode(batch).length;
        expect(grown).toBe(batch.bytes);
        expect(encodedBytes).toBeLessThanOrEqual(batch.bytes);
        // Slack: at most one length-prefix byte per record, plus 7 timestamp bytes per record once any record has its own timestamp.
        const slackPerRecord = messages.some((m) => m.timestamp !== undefined) ? 8 : 1;
        expect(batch.bytes - encodedBytes).toBeLessThanOrEqual(slackPerRecord * messages.length);
      }),
    );
  });

  it('splits by bytes: every batch fits maxBatchBytes and records keep their order', () => {
    const { topic, accumulator } = setup(1);
    const messages = Array.from({ length: 1_000 }, (_, i) => ({ value: bytes(100), headers: { i: String(i) } }));
    accumulator.add(call(messages), topic, { maxBatchBytes: 10_000, maxRecordsPerBatch: 100_000 }, 0);
    const batches = batchesOf(topic.partitions[0]!);
    expect(batches.length).toBeGreaterThan(10);
    for (const batch of batches) expect(encode(batch).length).toBeLessThanOrEqual(10_000);
    // Batches are filled: all but the last leave less than one record's room.
    for (const batch of batches.slice(0, -1)) expect(batch.bytes).toBeGreaterThan(10_000 - 130);
    const order = batches.flatMap((batch) => decodeRecords(encode(batch)).map((record) => record.headers.i));
    expect(order).toEqual(messages.map((_, i) => String(i)));
  });

  it('splits by record count', () => {
    const { topic, accumulator } = setup(1);
    accumulator.add(call(Array.from({ length: 25 }, () => ({ value: bytes(1) }))), topic, { maxBatchBytes: 1 << 20, maxRecordsPerBatch: 10 }, 0);
    expect(batchesOf(topic.partitions[0]!).map((batch) => batch.records.length)).toEqual([10, 10, 5]);
  });

  it('sends keyless messages to the sticky partition and moves on when its batch is sealed', () => {
    const { topic, accumulator, active } = setup(3);
    const first = topic.sticky.current;
    const messages = Array.from({ length: 30 }, () => ({ value: bytes(100) }));
    accumulator.add(call(messages), topic, { maxBatchBytes: 1_000, maxRecordsPerBatch: 100 }, 0);
    const counts = topic.partitions.map((state) => batchesOf(state).reduce((n, batch) => n + batch.records.length, 0));
    expect(counts.reduce((a, b) => a + b)).toBe(30);
    // ~8 records fill a 1000-byte batch; sealing moves the sticky partition along 0 → 1 → 2 → 0.
    expect(batchesOf(topic.partitions[first]!)[0]!.records.length).toBe(counts[first]! >= 8 ? 8 : counts[first]);
    expect(counts.every((n) => n > 0)).toBe(true);
    expect(active.size).toBe(3);
  });

  it('sends keyed messages to the partition of their key hash', () => {
    const { topic, accumulator } = setup(5);
    const keys = Array.from({ length: 50 }, (_, i) => `user-${i}`);
    accumulator.add(call(keys.map((key) => ({ key, value: key }))), topic, wide, 0);
    for (const [partition, state] of topic.partitions.entries()) {
      for (const record of state.open?.records ?? []) expect(partitionForKey(keyBytes(record.key as string), 5)).toBe(partition);
    }
  });

  it('rejects a call with an oversized or invalid message before queueing any of it', () => {
    const { topic, accumulator, active } = setup(2);
    const tooLarge = [{ value: bytes(10) }, { value: bytes(2_000) }];
    expect(() => accumulator.add(call(tooLarge), topic, { maxBatchBytes: 1_000, maxRecordsPerBatch: 10 }, 0)).toThrow(MessageTooLargeError);
    const invalid = [{ value: 1 }, { key: 42, value: 2 }] as unknown as Message[];
    expect(() => accumulator.add(call(invalid), topic, wide, 0)).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST' }));
    for (const bad of [{ value: 1, timestamp: -1 }, { value: 1, headers: { a: 1 } }, { value: Symbol('not msgpack') }, null]) {
      expect(() => accumulator.add(call([bad as unknown as Message]), topic, wide, 0)).toThrow(ActorMqError);
    }
    expect(active.size).toBe(0);
    expect(topic.partitions.every((state) => state.open === null && state.sealed.length === 0)).toBe(true);
  });

  it('gives each message of a call its result in call order, across partitions', async () => {
    const { topic, accumulator } = setup(4);
    const messages = Array.from({ length: 40 }, (_, i) => ({ key: `k${i}`, value: i }));
    const sendCall = call(messages);
    accumulator.add(sendCall, topic, wide, 0);
    for (const state of topic.partitions) state.open?.complete(state.partition * 1000);
    const results = (await sendCall.promise) as SendResult[];
    for (const [i, result] of results.entries()) {
      const partition = partitionForKey(keyBytes(`k${i}`), 4);
      const position = messages.filter((_, j) => j < i && partitionForKey(keyBytes(`k${j}`), 4) === partition).length;
      expect(result).toEqual({ topic: 'orders', partition, offset: partition * 1000 + position });
    }
  });
});
