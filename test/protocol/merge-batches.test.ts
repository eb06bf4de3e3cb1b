import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  batchAttribute, batchHeaderBytes, checkBatch, decodeRecords, encodeRecordBatch, mergeBatches, mergedRecordGrowthBytes, readBatchHeader, recordAttribute, recordFramingError,
} from '../../src/protocol/record-batch.js';
import { crc32 } from '../../src/protocol/crc32.js';

const record = fc.record({
  key: fc.option(fc.oneof(fc.string(), fc.uint8Array({ maxLength: 20 })), { nil: null }),
  value: fc.oneof(fc.uint8Array({ maxLength: 50 }), fc.jsonValue().map((v) => JSON.parse(JSON.stringify(v).replaceAll('"__proto__":', '"proto":')) as unknown)),
  headers: fc.dictionary(fc.string({ minLength: 1 }), fc.string()),
  timestamp: fc.integer({ min: 0, max: 2 ** 45 }),
});

/** The bytes of every record after its timestamp and offset deltas: what a merge must copy unchanged. */
function recordTails(batch: Uint8Array): string[] {
  const tails: string[] = [];
  const text = (from: number, to: number) => Buffer.from(batch.subarray(from, to)).toString('hex');
  for (let pos = batchHeaderBytes; pos < batch.length;) {
    const varint = (): number => { let value = 0; let shift = 1; for (;;) { const byte = batch[pos++]!; value += (byte & 0x7f) * shift; if (byte < 0x80) return value; shift *= 128; } };
    const length = varint() / 2; // zigzag of a non-negative length
    const end = pos + length;
    pos++; // attributes
    varint();
    varint();
    tails.push(text(pos, end));
    pos = end;
  }
  return tails;
}

describe('mergeBatches', () => {
  it('holds the records of every batch in order with their timestamps, keys, values and headers, the record bytes copied unchanged, within its size bound', () => {
    fc.assert(fc.property(fc.array(fc.array(record, { minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 5 }), (groups) => {
      const batches = groups.map((records) => encodeRecordBatch(records, { now: 0, producer: { producerId: 3, producerEpoch: 0, baseSequence: 0 } }));
      const merged = mergeBatches(batches, { producer: { producerId: 77, producerEpoch: 0, baseSequence: 0 }, transactional: true });
      const all = groups.flat();
      expect(checkBatch(merged, 0, { maxBatchBytes: 1 << 22, maxRecordsPerBatch: 1000 }, true).ok).toBe(true);
      expect(recordFramingError(merged)).toBeUndefined();
      const header = readBatchHeader(merged);
      expect(header).toMatchObject({ producerId: 77, producerEpoch: 0, baseSequence: 0, recordCount: all.length });
      expect(header.attributes & batchAttribute.transactional).not.toBe(0);
      expect(header.baseTimestamp).toBe(Math.min(...all.map((r) => r.timestamp)));
      expect(header.maxTimestamp).toBe(Math.max(...all.map((r) => r.timestamp)));
      const decoded = decodeRecords(merged);
      expect(decoded.map((r) => r.offset)).toEqual(all.map((_, i) => i));
      expect(decoded.map(({ key, value, headers, timestamp }) => ({ key, value, headers, timestamp }))).toEqual(all);
      expect(recordTails(merged)).toEqual(batches.flatMap(recordTails));
      const sourceBytes = batches.reduce((sum, b) => sum + b.length - batchHeaderBytes, 0);
      expect(merged.length).toBeLessThanOrEqual(batchHeaderBytes + sourceBytes + all.length * mergedRecordGrowthBytes);
    }));
  });

  it('keeps the exact bytes of a msgpack value, even where encoding the decoded value again would differ', () => {
    const batch = encodeRecordBatch([{ value: new Uint8Array([0xcb, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0]) }], { now: 5 }); // 1.0 as a msgpack float64
    batch[batchHeaderBytes + 1] = recordAttribute.msgpackValue; // the record's attributes: its value is msgpack
    new DataView(batch.buffer).setUint32(17, crc32(batch.subarray(21)));
    expect(decodeRecords(batch)[0]!.value).toBe(1); // which msgpack would write as the one byte 0x01
    const merged = mergeBatches([batch, batch], {});
    expect(recordTails(merged)).toEqual([...recordTails(batch), ...recordTails(batch)]);
    expect(recordTails(merged)[0]).toContain('cb3ff0000000000000');
  });
});

describe('recordFramingError', () => {
  it('accepts what the encoder writes and names a record running past its batch or a wrong count', () => {
    const batch = encodeRecordBatch([{ value: 'a' }, { value: 'b' }], { now: 1 });
    expect(recordFramingError(batch)).toBeUndefined();
    const tooLong = batch.slice();
    tooLong[batchHeaderBytes] = 0x7e; // the first record claims 63 bytes
    expect(recordFramingError(tooLong)).toMatch(/record 0 declares 63 bytes/);
    const miscounted = batch.slice();
    new DataView(miscounted.buffer).setInt32(57, 3);
    expect(recordFramingError(miscounted)).toBe('batch holds 2 records, its header says 3');
  });
});
