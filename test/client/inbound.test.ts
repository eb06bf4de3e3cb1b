import { describe, expect, it } from 'vitest';
import { readDelivery } from '../../src/client/inbound.js';
import { encodeRecordBatch, writeBaseOffset } from '../../src/protocol/record-batch.js';

function batch(baseOffset: number, count: number, control = false): Uint8Array {
  const bytes = encodeRecordBatch(Array.from({ length: count }, (_, i) => ({ key: `k${baseOffset + i}`, value: baseOffset + i, headers: { h: 'v' } })), { now: 5, control });
  writeBaseOffset(bytes, 0, baseOffset);
  return bytes;
}

function read(records: Uint8Array, ranges: number[]) {
  const out = { records: [] as Array<[number, unknown, unknown]>, skipped: [] as number[], broken: [] as Array<[number, string]> };
  readDelivery(records, ranges, {
    record: (offset, _timestamp, key, value, headers) => {
      expect(headers).toEqual({ h: 'v' });
      out.records.push([offset, key, value]);
    },
    skip: (offset) => out.skipped.push(offset),
    broken: (offset, reason) => out.broken.push([offset, reason]),
  });
  return out;
}

const concat = (...parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((p) => [...p]));

describe('readDelivery', () => {
  it('decodes only the records inside the ranges, across batches', () => {
    const { records, skipped, broken } = read(concat(batch(0, 5), batch(5, 5)), [1, 2, 4, 6, 9, 9]);
    expect(records.map(([offset]) => offset)).toEqual([1, 2, 4, 5, 6, 9]);
    expect(records[0]).toEqual([1, 'k1', 1]);
    expect(skipped).toEqual([]);
    expect(broken).toEqual([]);
  });

  it('skips records of control batches', () => {
    const { records, skipped } = read(concat(batch(0, 2), batch(2, 1, true), batch(3, 1)), [0, 3]);
    expect(records.map(([offset]) => offset)).toEqual([0, 1, 3]);
    expect(skipped).toEqual([2]);
  });

  it('reports the offsets of a corrupt batch and of batches missing from the frame as broken', () => {
    const damaged = batch(2, 2);
    damaged[damaged.length - 3]! ^= 0x01;
    const { records, broken } = read(concat(batch(0, 2), damaged), [0, 5]);
    expect(records.map(([offset]) => offset)).toEqual([0, 1]);
    expect(broken.map(([offset]) => offset)).toEqual([2, 3, 4, 5]);
    expect(broken[0]![1]).toMatch(/corrupt batch: CRC/);
    expect(broken[2]![1]).toMatch(/corrupt batch|missing/);
  });

  it('treats a truncated frame as missing records', () => {
    const whole = batch(0, 3);
    const { records, broken } = read(whole.subarray(0, 30), [0, 2]);
    expect(records).toEqual([]);
    expect(broken.map(([offset]) => offset)).toEqual([0, 1, 2]);
  });
});
