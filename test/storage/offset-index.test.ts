import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { OffsetIndex, indexEntryBytes } from '../../src/storage/offset-index.js';
import { testDir } from './fixtures.js';

interface Batch { offset: number; position: number; sizeBytes: number }

/** Contiguous batches of the given sizes and record counts, from `baseOffset`. */
function layout(baseOffset: number, shapes: ReadonlyArray<{ sizeBytes: number; records: number }>): Batch[] {
  let offset = baseOffset;
  let position = 0;
  return shapes.map(({ sizeBytes, records }) => {
    const batch = { offset, position, sizeBytes };
    offset += records;
    position += sizeBytes;
    return batch;
  });
}

describe('OffsetIndex', () => {
  it('adds an entry for a batch starting at least intervalBytes after the last entry', () => {
    const index = new OffsetIndex('/nonexistent/x.index', 100, 1000);
    for (const batch of layout(100, [600, 600, 300, 200, 999, 1].map((sizeBytes) => ({ sizeBytes, records: 2 })))) {
      index.onBatch(batch.offset, batch.position);
    }
    // positions 0, 600, 1200, 1500, 1700, 2699: entries at 1200 (≥1000 after 0) and 2699 (≥1000 after 1200)
    expect(index.entryCount).toBe(2);
    expect(index.lookup(104)).toEqual({ offset: 104, position: 1200 });
    expect(index.lookup(103)).toEqual({ offset: 100, position: 0 });
    expect(index.lastEntry()).toEqual({ offset: 110, position: 2699 });
  });

  it('finds the indexed batch at or before any offset (checked against a linear search)', () => {
    const shapes = fc.array(fc.record({ sizeBytes: fc.integer({ min: 61, max: 5000 }), records: fc.integer({ min: 1, max: 50 }) }), { minLength: 1, maxLength: 300 });
    fc.assert(
      fc.property(shapes, fc.integer({ min: 1, max: 4096 }), fc.nat(), (batchShapes, intervalBytes, pick) => {
        const batches = layout(7, batchShapes);
        const index = new OffsetIndex('/nonexistent/x.index', 7, intervalBytes);
        const indexed: Batch[] = [];
        let lastPosition = 0;
        for (const batch of batches) {
          index.onBatch(batch.offset, batch.position);
          if (batch.position - lastPosition >= intervalBytes) {
            indexed.push(batch);
            lastPosition = batch.position;
          }
        }
        const end = batches.at(-1)!.offset + batchShapes.at(-1)!.records;
        const offset = 7 + (pick % (end - 7));
        const expected = indexed.filter((batch) => batch.offset <= offset).at(-1) ?? { offset: 7, position: 0 };
        expect(index.lookup(offset)).toEqual({ offset: expected.offset, position: expected.position });
      }),
    );
  });

  it('persists entries behind and loads them back', async () => {
    const filePath = path.join(await testDir(), '00000000000000000050.index');
    const index = new OffsetIndex(filePath, 50, 10);
    const batches = layout(50, Array.from({ length: 2000 }, () => ({ sizeBytes: 100, records: 3 })));
    for (const batch of batches) {
      index.onBatch(batch.offset, batch.position);
      index.persistIfBehind();
    }
    expect(fs.statSync(filePath).size).toBe(1536 * indexEntryBytes); // three groups of 512 written behind
    index.persist();
    expect(fs.statSync(filePath).size).toBe(1999 * indexEntryBytes);
    const loaded = OffsetIndex.load(filePath, 50, 10, 200_000);
    if (!loaded.ok) throw new Error(loaded.reason);
    expect(loaded.index.entryCount).toBe(1999);
    expect(loaded.index.lookup(50 + 3 * 777 + 1)).toEqual({ offset: 50 + 3 * 777, position: 77_700 });
    expect(loaded.index.rewriteIfStale()).toBe(false);
  });

  it('refuses a missing, torn, unordered or oversized file', async () => {
    const dir = await testDir();
    const filePath = path.join(dir, 'x.index');
    const entries = (pairs: number[][]) => Buffer.concat(pairs.map(([relative, position]) => {
      const entry = Buffer.alloc(8);
      entry.writeUInt32BE(relative!, 0);
      entry.writeUInt32BE(position!, 4);
      return entry;
    }));
    expect(OffsetIndex.load(filePath, 0, 10, 1000)).toMatchObject({ ok: false, reason: 'index file is missing' });
    const cases = [
      entries([[1, 100]]).subarray(0, 5),
      entries([[2, 100], [1, 200]]),
      entries([[1, 100], [2, 100]]),
      entries([[0, 100]]),
      entries([[1, 1000]]),
    ];
    for (const bytes of cases) {
      fs.writeFileSync(filePath, bytes);
      expect(OffsetIndex.load(filePath, 0, 10, 1000).ok).toBe(false);
    }
    fs.writeFileSync(filePath, entries([[1, 100], [5, 999]]));
    expect(OffsetIndex.load(filePath, 0, 10, 1000).ok).toBe(true);
  });

  it('rewrites a file that does not hold its entries', async () => {
    const filePath = path.join(await testDir(), 'x.index');
    const index = new OffsetIndex(filePath, 0, 10);
    index.onBatch(4, 20);
    fs.writeFileSync(filePath, Buffer.alloc(8));
    expect(index.rewriteIfStale()).toBe(true);
    expect(fs.readFileSync(filePath)).toEqual(Buffer.from([0, 0, 0, 4, 0, 0, 0, 20]));
    expect(index.rewriteIfStale()).toBe(false);
  });
});
