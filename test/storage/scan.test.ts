import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeBaseOffset } from '../../src/protocol/record-batch.js';
import { scanBatches, scanChunkBytes, type ScannedBatch } from '../../src/storage/scan.js';
import { concat, makeBatch, testDir } from './fixtures.js';

const limits = { maxBatchBytes: 4 * 1024 * 1024, maxRecordsPerBatch: 10_000 };

/** Batches with offsets assigned from `firstOffset`, as a log would store them. */
function storedBatches(firstOffset: number, shapes: ReadonlyArray<[records: number, valueBytes: number]>): Uint8Array[] {
  let offset = firstOffset;
  return shapes.map(([records, valueBytes]) => {
    const batch = makeBatch(records, { valueBytes });
    writeBaseOffset(batch, 0, offset);
    offset += records;
    return batch;
  });
}

async function scanFile(bytes: Uint8Array, firstOffset: number, verifyCrc: boolean) {
  const filePath = path.join(await testDir(), 'segment.log');
  fs.writeFileSync(filePath, bytes);
  const fd = fs.openSync(filePath, 'r');
  try {
    const seen: ScannedBatch[] = [];
    const end = await scanBatches({ fd, fromPosition: 0, endPosition: bytes.length, firstOffset }, limits, verifyCrc, (batch) => seen.push(batch));
    return { end, positions: seen.map((batch) => batch.position), offsets: seen.map((batch) => batch.header.baseOffset) };
  } finally {
    fs.closeSync(fd);
  }
}

describe('scanBatches', () => {
  it('visits every batch in order, including one larger than a read chunk', async () => {
    const batches = storedBatches(10, [[2, 10], [3, 600_000], [1, 10], [2, 10]]); // the 2nd spans > 1 MiB
    expect(batches[1]!.length).toBeGreaterThan(scanChunkBytes);
    const bytes = concat(batches);
    for (const verifyCrc of [true, false]) {
      const { end, offsets, positions } = await scanFile(bytes, 10, verifyCrc);
      expect(end).toEqual({ position: bytes.length, nextOffset: 18, problem: null });
      expect(offsets).toEqual([10, 12, 15, 16]);
      expect(positions[2]).toBe(batches[0]!.length + batches[1]!.length);
    }
  });

  it('stops at a torn batch', async () => {
    const batches = storedBatches(0, [[2, 10], [2, 10]]);
    const bytes = concat(batches).subarray(0, batches[0]!.length + 70);
    const { end } = await scanFile(bytes, 0, true);
    expect(end).toMatchObject({ position: batches[0]!.length, nextOffset: 2 });
    expect(end.problem).toMatch(/runs past the end/);
    const shortHeader = await scanFile(concat(batches).subarray(0, batches[0]!.length + 20), 0, false);
    expect(shortHeader.end.problem).toMatch(/less than a batch header/);
  });

  it('finds a flipped bit in the records only when checking CRCs', async () => {
    const batches = storedBatches(0, [[2, 10], [2, 10], [2, 10]]);
    const bytes = concat(batches);
    bytes[batches[0]!.length + 80]! ^= 0x01;
    expect((await scanFile(bytes, 0, true)).end).toMatchObject({ position: batches[0]!.length, nextOffset: 2, problem: expect.stringMatching(/CRC/) });
    expect((await scanFile(bytes, 0, false)).end.problem).toBeNull();
  });

  it('stops where offsets do not continue', async () => {
    const batches = [...storedBatches(0, [[2, 10]]), ...storedBatches(3, [[1, 10]])];
    const { end } = await scanFile(concat(batches), 0, false);
    expect(end).toEqual({ position: batches[0]!.length, nextOffset: 2, problem: 'batch base offset 3, expected 2' });
  });

  it('refuses a length field beyond maxBatchBytes before reading that far', async () => {
    const batches = storedBatches(0, [[1, 10]]);
    const bytes = concat(batches);
    bytes.writeInt32BE(0x7fff_0000, 8);
    const { end } = await scanFile(bytes, 0, true);
    expect(end).toMatchObject({ position: 0, problem: expect.stringMatching(/length field/) });
  });
});
