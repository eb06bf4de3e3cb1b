import { describe, expect, it } from 'vitest';
import { maxProducersPerPartition, ProducerStateTable, retainedBatchesPerProducer } from '../../src/broker/producer-state.js';
import { encodeRecordBatch, readBatchHeader, type BatchHeader } from '../../src/protocol/record-batch.js';

/** The header of a real batch of `count` records from producer `producerId` (a transaction's commit when `transactional`). */
function header(producerId: number, baseSequence: number, count = 1, options: { epoch?: number; transactional?: boolean } = {}): BatchHeader {
  const batch = encodeRecordBatch(Array.from({ length: count }, () => ({ value: 'v' })), {
    now: 1, producer: { producerId, producerEpoch: options.epoch ?? 0, baseSequence }, transactional: options.transactional,
  });
  return readBatchHeader(batch);
}

describe('ProducerStateTable', () => {
  it('answers a resent batch as a duplicate with its first offset, the next sequence as an append, a gap as out of order, an old epoch as fenced', () => {
    const table = new ProducerStateTable();
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
    const table = new ProducerStateTable();
    for (let seq = 0; seq <= retainedBatchesPerProducer; seq++) table.record(header(1, seq), seq);
    expect(table.check(header(1, 1))).toEqual({ kind: 'duplicate', baseOffset: 1 });
    expect(table.check(header(1, 0))).toEqual({ kind: 'outOfOrder', expectedSequence: retainedBatchesPerProducer + 1 });
  });

  it(`forgets the least recently used producer past ${maxProducersPerPartition}`, () => {
    const table = new ProducerStateTable();
    for (let id = 0; id <= maxProducersPerPartition; id++) table.record(header(id, 0), id);
    expect(table.size).toBe(maxProducersPerPartition);
    expect(table.check(header(0, 0))).toEqual({ kind: 'append' }); // forgotten
    expect(table.check(header(1, 0))).toEqual({ kind: 'duplicate', baseOffset: 1 });
  });

  it('keeps an ordinary producer however many transactions commit to the partition meanwhile, and still knows the recent commits', () => {
    const table = new ProducerStateTable();
    table.record(header(1, 0, 10), 0);
    const commits = 2 * maxProducersPerPartition; // one producer id per transaction
    for (let i = 0; i < commits; i++) table.record(header(1_000_000 + i, 0, 1, { transactional: true }), 10 + i);
    expect(table.check(header(1, 0, 10))).toEqual({ kind: 'duplicate', baseOffset: 0 }); // its retry is still recognised
    const last = 1_000_000 + commits - 1;
    expect(table.check(header(last, 0, 1, { transactional: true }))).toEqual({ kind: 'duplicate', baseOffset: 10 + commits - 1 }); // a re-applied commit too
    expect(table.size).toBe(1 + maxProducersPerPartition);
  });

  it('rebuilds both from stored headers', () => {
    const table = new ProducerStateTable();
    table.rebuild(undefined, [{ ...header(3, 0, 2), baseOffset: 40 }, { ...header(9, 0, 1, { transactional: true }), baseOffset: 42 }]);
    expect(table.check(header(3, 0, 2))).toEqual({ kind: 'duplicate', baseOffset: 40 });
    expect(table.check(header(9, 0, 1, { transactional: true }))).toEqual({ kind: 'duplicate', baseOffset: 42 });
  });

  it('rebuilds from its state as plain data (a snapshot) and the headers stored after it, keeping least recently used order', () => {
    const table = new ProducerStateTable();
    for (let id = 0; id < maxProducersPerPartition; id++) table.record(header(id, 0), id);
    table.record(header(0, 1), 10_000); // producer 0 is now the most recently used
    table.record(header(5, 0, 1, { transactional: true }), 10_001);
    const restored = new ProducerStateTable();
    restored.rebuild(structuredClone(table.state()), [{ ...header(7, 1), baseOffset: 10_002 }]);
    expect(restored.check(header(0, 1))).toEqual({ kind: 'duplicate', baseOffset: 10_000 });
    expect(restored.check(header(5, 0, 1, { transactional: true }))).toEqual({ kind: 'duplicate', baseOffset: 10_001 });
    expect(restored.check(header(7, 1))).toEqual({ kind: 'duplicate', baseOffset: 10_002 });
    restored.record(header(20_000, 0), 10_003); // one past the bound: the least recently used goes — producer 1, not producer 0
    expect(restored.check(header(1, 0))).toEqual({ kind: 'append' });
    expect(restored.check(header(0, 1))).toEqual({ kind: 'duplicate', baseOffset: 10_000 });
  });
});
