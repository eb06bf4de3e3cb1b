import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeBaseOffset } from '../../src/protocol/record-batch.js';
import { StaleIndexError, readSegment } from '../../src/storage/read.js';
import { StorageInvariantError } from '../../src/storage/assert.js';
import { concat, makeBatch, testDir } from './fixtures.js';

const openFds: number[] = [];
afterEach(() => {
  for (const fd of openFds.splice(0)) fs.closeSync(fd);
});

/** A segment file at base offset 100 holding the given batches; returns fd, bytes and batch positions. */
async function segmentFile(shapes: ReadonlyArray<[records: number, valueBytes: number]>) {
  let offset = 100;
  const batches = shapes.map(([records, valueBytes]) => {
    const batch = makeBatch(records, { valueBytes });
    writeBaseOffset(batch, 0, offset);
    offset += records;
    return batch;
  });
  const bytes = concat(batches);
  const filePath = path.join(await testDir(), 'segment.log');
  fs.writeFileSync(filePath, bytes);
  const positions = batches.map((_, i) => concat(batches.slice(0, i)).length);
  const fd = fs.openSync(filePath, 'r');
  openFds.push(fd);
  return { fd, filePath, bytes, batches, positions };
}

describe('readSegment', () => {
  it('walks from the index entry to the batch holding the offset', async () => {
    const file = await segmentFile([[2, 10], [2, 10], [2, 10], [2, 10]]);
    const result = await readSegment({ fd: file.fd, from: { offset: 100, position: 0 }, endPosition: file.bytes.length, offset: 105, maxBytes: 1, indexIntervalBytes: 4096 });
    expect(result).toMatchObject({ startOffset: 104, endOffset: 106 });
    expect(Buffer.from(result.records)).toEqual(Buffer.from(file.batches[2]!));
  });

  it('reads a batch larger than its first window whole', async () => {
    const file = await segmentFile([[1, 10], [1, 10], [3, 20_000], [1, 10]]);
    // window = maxBytes + interval + header ≈ 200 bytes: reaches batch 3's header but not its end
    const result = await readSegment({ fd: file.fd, from: { offset: 100, position: 0 }, endPosition: file.bytes.length, offset: 103, maxBytes: 10, indexIntervalBytes: 100 });
    expect(result).toMatchObject({ startOffset: 102, endOffset: 105 });
    expect(Buffer.from(result.records)).toEqual(Buffer.from(file.batches[2]!));
  });

  it('stops at the snapshotted end of the segment', async () => {
    const file = await segmentFile([[1, 10], [1, 10], [1, 10]]);
    const endPosition = file.positions[2]!;
    const result = await readSegment({ fd: file.fd, from: { offset: 100, position: 0 }, endPosition, offset: 100, maxBytes: 1 << 20, indexIntervalBytes: 4096 });
    expect(result).toMatchObject({ startOffset: 100, endOffset: 102 });
    expect(result.records.length).toBe(endPosition);
  });

  it('reports an index entry that does not point at its batch', async () => {
    const file = await segmentFile([[2, 10], [2, 10], [2, 10]]);
    const request = { fd: file.fd, from: { offset: 103, position: file.positions[1]! }, endPosition: file.bytes.length, offset: 104, maxBytes: 100, indexIntervalBytes: 4096 };
    await expect(readSegment(request)).rejects.toBeInstanceOf(StaleIndexError);
  });

  it('asserts that the batches after the entry continue its offsets', async () => {
    const file = await segmentFile([[2, 10], [2, 10]]);
    const request = { fd: file.fd, from: { offset: 100, position: 0 }, endPosition: file.bytes.length, offset: 103, maxBytes: 100, indexIntervalBytes: 4096 };
    const bytes = Buffer.from(file.bytes);
    bytes.writeUInt32BE(107, file.positions[1]! + 4); // second batch claims offset 107
    fs.writeFileSync(file.filePath, bytes);
    await expect(readSegment(request)).rejects.toBeInstanceOf(StorageInvariantError);
  });
});
