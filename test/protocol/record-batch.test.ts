import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  encodeRecordBatch, decodeRecords, checkBatch, readBatchHeader, writeBaseOffset, batchAttribute,
} from '../../src/protocol/record-batch.js';
import { crc32, portableCrc32 } from '../../src/protocol/crc32.js';

const limits = { maxBatchBytes: 1 << 20, maxRecordsPerBatch: 10_000 };

describe('record batch', () => {
  it('round-trips keys, values and headers with offsets assigned in place', () => {
    const batch = encodeRecordBatch(
      [
        { key: 'user-42', value: { id: 1, tags: ['a'] }, headers: { src: 'web' }, timestamp: 1_700_000_000_000 },
        { key: new Uint8Array([1, 2]), value: new Uint8Array([9, 8, 7]), timestamp: 1_700_000_000_005 },
        { value: null },
      ],
      { now: 1_700_000_000_010, producer: { producerId: 7, producerEpoch: 1, baseSequence: 40 } },
    );
    writeBaseOffset(batch, 0, 2 ** 40);
    const check = checkBatch(batch, 0, limits, true);
    expect(check.ok).toBe(true);
    const header = readBatchHeader(batch);
    expect(header).toMatchObject({ baseOffset: 2 ** 40, recordCount: 3, lastOffsetDelta: 2, producerId: 7, producerEpoch: 1, baseSequence: 40, baseTimestamp: 1_700_000_000_000, maxTimestamp: 1_700_000_000_010 });
    const records = decodeRecords(batch);
    expect(records).toEqual([
      { offset: 2 ** 40, timestamp: 1_700_000_000_000, key: 'user-42', value: { id: 1, tags: ['a'] }, headers: { src: 'web' } },
      { offset: 2 ** 40 + 1, timestamp: 1_700_000_000_005, key: new Uint8Array([1, 2]), value: new Uint8Array([9, 8, 7]), headers: {} },
      { offset: 2 ** 40 + 2, timestamp: 1_700_000_000_010, key: null, value: null, headers: {} },
    ]);
  });

  it('marks transactional batches and defaults to no producer', () => {
    const header = readBatchHeader(encodeRecordBatch([{ value: 1 }], { now: 5, transactional: true }));
    expect(header.attributes & batchAttribute.transactional).toBe(batchAttribute.transactional);
    expect(header).toMatchObject({ producerId: -1, producerEpoch: -1, baseSequence: -1 });
  });

  it('rejects every single-bit flip after the offset field', () => {
    const batch = encodeRecordBatch([{ key: 'k', value: 'v' }], { now: 1 });
    for (let byte = 12; byte < batch.length; byte++) {
      if (byte >= 12 && byte < 16) continue; // leaderEpoch is outside the CRC by design
      const copy = batch.slice();
      copy[byte]! ^= 0x04;
      expect(checkBatch(copy, 0, limits, true).ok, `flip in byte ${byte}`).toBe(false);
    }
  });

  it('refuses truncated and oversized batches with the right code', () => {
    const batch = encodeRecordBatch([{ value: 'x'.repeat(100) }], { now: 1 });
    expect(checkBatch(batch.subarray(0, batch.length - 1), 0, limits, false)).toMatchObject({ ok: false, code: 'CORRUPT_BATCH' });
    expect(checkBatch(batch, 0, { maxBatchBytes: 64, maxRecordsPerBatch: 10 }, true)).toMatchObject({ ok: false, code: 'MESSAGE_TOO_LARGE' });
  });

  it('decodes what it encodes for arbitrary records', () => {
    const record = fc.record({
      key: fc.option(fc.oneof(fc.string(), fc.uint8Array({ maxLength: 20 })), { nil: null }),
      // msgpack has no -0; a `__proto__` key is renamed on decode (the next test)
      value: fc.oneof(fc.uint8Array({ maxLength: 50 }), fc.jsonValue().map((v) => JSON.parse(JSON.stringify(v).replaceAll('"__proto__":', '"proto":')) as unknown)),
      headers: fc.dictionary(fc.string({ minLength: 1 }), fc.string()),
      timestamp: fc.integer({ min: 0, max: 2 ** 45 }),
    });
    fc.assert(fc.property(fc.array(record, { minLength: 1, maxLength: 20 }), (records) => {
      const batch = encodeRecordBatch(records, { now: 0 });
      expect(checkBatch(batch, 0, { maxBatchBytes: 1 << 22, maxRecordsPerBatch: 100 }, true).ok).toBe(true);
      const decoded = decodeRecords(batch);
      decoded.forEach((out, i) => {
        const input = records[i]!;
        expect(out.offset).toBe(i);
        expect(out.key).toEqual(input.key);
        expect(out.value).toEqual(input.value);
        expect(out.headers).toEqual(input.headers);
        expect(out.timestamp).toBe(input.timestamp);
      });
    }));
  });

  it('decodes an object key __proto__ as __proto_, never onto the prototype', () => {
    const value = JSON.parse('{"__proto__":{"polluted":true},"a":1}') as unknown;
    const [out] = decodeRecords(encodeRecordBatch([{ value }], { now: 0 }));
    expect(out!.value).toEqual({ __proto_: { polluted: true }, a: 1 });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('computes the same CRC in the portable and the zlib implementation', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      expect(portableCrc32(bytes)).toBe(crc32(bytes));
    }));
  });
});
