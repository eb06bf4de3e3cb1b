import { describe, expect, it } from 'vitest';
import { commitBatch, entriesByPartition } from '../../../src/broker/transactions/commit-batch.js';
import { batchAttribute, checkBatch, decodeRecords, encodeRecordBatch, readBatchHeader } from '../../../src/protocol/record-batch.js';

const limits = { maxBatchBytes: 1 << 20, maxRecordsPerBatch: 1_000 };
const entry = (partition: number, values: unknown[], key?: string) => ({
  topic: 'orders', partition, batch: encodeRecordBatch(values.map((value) => ({ key, value, headers: { h: '1' } })), { now: 10 }),
});

describe('commit batch', () => {
  it('groups by partition in send order', () => {
    const groups = entriesByPartition([entry(1, ['a']), entry(0, ['b']), entry(1, ['c'])]);
    expect([...groups.keys()]).toEqual(['orders\u00001', 'orders\u00000']);
    expect(groups.get('orders\u00001')!.map((e) => decodeRecords(e.batch)[0]!.value)).toEqual(['a', 'c']);
  });

  it('restamps one batch with the transaction producer, sequence 0 and the transactional bit, CRC intact', () => {
    const single = entry(0, ['x', 'y'], 'k');
    const stamped = commitBatch([single], 4_294_967_301, 99);
    const check = checkBatch(stamped, 0, limits, true);
    expect(check.ok).toBe(true);
    expect(readBatchHeader(stamped)).toMatchObject({ producerId: 4_294_967_301, producerEpoch: 0, baseSequence: 0, recordCount: 2 });
    expect(readBatchHeader(stamped).attributes & batchAttribute.transactional).toBe(batchAttribute.transactional);
    expect(decodeRecords(stamped).map((r) => [r.key, r.value, r.headers])).toEqual([['k', 'x', { h: '1' }], ['k', 'y', { h: '1' }]]);
    expect(readBatchHeader(single.batch).producerId).toBe(-1); // the half message itself is untouched
  });

  it('merges several batches of one partition into one, keeping order and content', () => {
    const merged = commitBatch([entry(0, ['a', 'b']), entry(0, [new Uint8Array([1, 2])]), entry(0, [{ n: 3 }])], 12, 99);
    expect(checkBatch(merged, 0, limits, true).ok).toBe(true);
    expect(readBatchHeader(merged)).toMatchObject({ producerId: 12, baseSequence: 0, recordCount: 4 });
    expect(decodeRecords(merged).map((r) => r.value)).toEqual(['a', 'b', new Uint8Array([1, 2]), { n: 3 }]);
  });
});
