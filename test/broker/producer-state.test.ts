import { beforeEach, describe, expect, it } from 'vitest';
import { maxProducersPerPartition, producerRetentionMs, producerSoftLimit, ProducerStateTable, retainedBatchesPerProducer } from '../../src/broker/producer-state.js';
import { encodeRecordBatch, readBatchHeader, type BatchHeader } from '../../src/protocol/record-batch.js';

/** The header of a real batch of `count` records from producer `producerId` (a transaction's commit when `transactional`). */
function header(producerId: number, baseSequence: number, count = 1, options: { epoch?: number; transactional?: boolean } = {}): BatchHeader {
  const batch = encodeRecordBatch(Array.from({ length: count }, () => ({ value: 'v' })), {
    now: 1, producer: { producerId, producerEpoch: options.epoch ?? 0, baseSequence }, transactional: options.transactional,
  });
  return readBatchHeader(batch);
}

describe('ProducerStateTable', () => {
  let now = 0;
  beforeEach(() => {
    now = 1_000_000;
  });

  it('answers a resent batch as a duplicate with its first offset, the next sequence as an append, a gap as out of order, an old epoch as fenced', () => {
    const table = new ProducerStateTable(() => now);
    table.record(header(7, 0, 3), 100);
    table.record(header(7, 3, 2), 103);
    expect(table.check(header(7, 0, 3))).toEqual({ kind: 'duplicate', baseOffset: 100 });
    expect(table.check(header(7, 3, 2))).toEqual({ kind: 'duplicate', baseOffset: 103 });
    expect(table.check(header(7, 5))).toEqual({ kind: 'append' });
    expect(table.check(header(7, 9))).toEqual({ kind: 'outOfOrder', expectedSequence: 5 });
    table.record(header(7, 0, 1, { epoch: 1 }), 105);
    expect(table.check(header(7, 5))).toEqual({ kind: 'fenced', currentEpoch: 1 });
  });

  it(`remembers the last ${retainedBatchesPerProducer} batches of a producer`, () => {
    const table = new ProducerStateTable(() => now);
    for (let seq = 0; seq <= retainedBatchesPerProducer; seq++) table.record(header(1, seq), seq);
    expect(table.check(header(1, 1))).toEqual({ kind: 'duplicate', baseOffset: 1 });
    expect(table.check(header(1, 0))).toEqual({ kind: 'outOfOrder', expectedSequence: retainedBatchesPerProducer + 1 });
  });

  it(`forgets the least recently used producers past ${producerSoftLimit} once idle for ${producerRetentionMs} ms, and keeps those that are not`, () => {
    const table = new ProducerStateTable(() => now);
    for (let id = 0; id < producerSoftLimit; id++) table.record(header(id, 0), id);
    now += producerRetentionMs - 1;
    table.record(header(producerSoftLimit, 0), producerSoftLimit); // one past the soft limit, but producer 0 may still retry
    expect(table.size).toBe(producerSoftLimit + 1);
    expect(table.check(header(0, 0))).toEqual({ kind: 'duplicate', baseOffset: 0 });
    now += 1;
    table.record(header(producerSoftLimit + 1, 0), producerSoftLimit + 1); // now 0 and 1 have been idle long enough
    expect(table.size).toBe(producerSoftLimit);
    expect(table.check(header(0, 0))).toEqual({ kind: 'append' });
    expect(table.check(header(1, 0))).toEqual({ kind: 'append' });
    expect(table.check(header(2, 0))).toEqual({ kind: 'duplicate', baseOffset: 2 });
  });

  it(`forgets the least recently used producer past ${maxProducersPerPartition}, idle or not`, () => {
    const table = new ProducerStateTable(() => now);
    for (let id = 0; id <= maxProducersPerPartition; id++) table.record(header(id, 0), id);
    expect(table.size).toBe(maxProducersPerPartition);
    expect(table.check(header(0, 0))).toEqual({ kind: 'append' });
    expect(table.check(header(1, 0))).toEqual({ kind: 'duplicate', baseOffset: 1 });
  });

  it('keeps an ordinary producer however many transactions commit to the partition meanwhile, and still knows the recent commits', () => {
    const table = new ProducerStateTable(() => now);
    table.record(header(1, 0, 10), 0);
    const commits = 2 * producerSoftLimit; // one producer id per transaction, an hour apart in all
    const stepMs = 3_600_000 / commits;
    for (let i = 0; i < commits; i++) {
      now += stepMs;
      table.record(header(1_000_000 + i, 0, 1, { transactional: true }), 10 + i);
    }
    expect(table.check(header(1, 0, 10))).toEqual({ kind: 'duplicate', baseOffset: 0 }); // its retry is still recognised
    const last = 1_000_000 + commits - 1;
    expect(table.check(header(last, 0, 1, { transactional: true }))).toEqual({ kind: 'duplicate', baseOffset: 10 + commits - 1 }); // a re-applied commit too
    expect(table.size).toBe(1 + producerSoftLimit);
  });

  it('rebuilds both from stored headers', () => {
    const table = new ProducerStateTable(() => now);
    table.rebuild(undefined, [{ ...header(3, 0, 2), baseOffset: 40 }, { ...header(9, 0, 1, { transactional: true }), baseOffset: 42 }]);
    expect(table.check(header(3, 0, 2))).toEqual({ kind: 'duplicate', baseOffset: 40 });
    expect(table.check(header(9, 0, 1, { transactional: true }))).toEqual({ kind: 'duplicate', baseOffset: 42 });
  });

  it('rebuilds from its state as plain data (a snapshot) and the headers stored after it, keeping least recently used order', () => {
    const table = new ProducerStateTable(() => now);
    for (let id = 0; id < maxProducersPerPartition; id++) table.record(header(id, 0), id);
    table.record(header(0, 1), 10_000); // producer 0 is now the most recently used
    table.record(header(5, 0, 1, { transactional: true }), 10_001);
    const restored = new ProducerStateTable(() => now);
    restored.rebuild(structuredClone(table.state()), [{ ...header(7, 1), baseOffset: 10_002 }]);
    expect(restored.check(header(0, 1))).toEqual({ kind: 'duplicate', baseOffset: 10_000 });
    expect(restored.check(header(5, 0, 1, { transactional: true }))).toEqual({ kind: 'duplicate', baseOffset: 10_001 });
    expect(restored.check(header(7, 1))).toEqual({ kind: 'duplicate', baseOffset: 10_002 });
    restored.record(header(200_000, 0), 10_003); // one past the bound: the least recently used goes — producer 1, not producer 0
    expect(restored.check(header(1, 0))).toEqual({ kind: 'append' });
    expect(restored.check(header(0, 1))).toEqual({ kind: 'duplicate', baseOffset: 10_000 });
  });
});
