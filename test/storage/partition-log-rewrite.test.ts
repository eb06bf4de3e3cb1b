/**
 * PartitionLog.rewriteFrom: after a failed fdatasync, the unsynced tail is
 * written again (same bytes, same places) and synced, so pages the kernel
 * marked clean without writing them reach the disk. Real files; fs calls
 * are spied on (and passed through) to see what was written and synced.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { concat, logOptions, makeBatch, openLog, readAll, segmentFiles, testClock, testDir } from './fixtures.js';

afterEach(() => vi.restoreAllMocks());

/** Segment file name (`…0003.log`) of a descriptor. */
const fileOf = (fd: number) => path.basename(fs.readlinkSync(`/proc/self/fd/${fd}`));

/** Three segments of four batches each (each batch one record), all durable. */
async function threeSegments() {
  const dir = await testDir();
  const batchBytes = makeBatch(1, { valueBytes: 100 }).length;
  const log = await openLog(dir, logOptions(testClock(), { segmentBytes: 4 * batchBytes }));
  for (let i = 0; i < 12; i++) log.append(makeBatch(1, { valueBytes: 100, seed: i }));
  await log.durable();
  expect(segmentFiles(dir)).toHaveLength(3);
  return { dir, log, batchBytes };
}

function failNextSync(): void {
  vi.spyOn(fs, 'fdatasync').mockImplementationOnce(((_fd: number, callback: (error: Error | null) => void) => callback(new Error('EIO: injected'))) as typeof fs.fdatasync);
}

/** Spies on writes (named at call time: an index file written on the way is closed at once) and syncs. */
function spyOnWritesAndSyncs() {
  const writeSync = fs.writeSync;
  const written: Array<{ name: string; length: number; position: number }> = [];
  const writes = vi.spyOn(fs, 'writeSync').mockImplementation(((fd: number, bytes: Uint8Array, offset: number, length: number, position: number) => {
    written.push({ name: fileOf(fd), length, position });
    return writeSync(fd, bytes, offset, length, position);
  }) as typeof fs.writeSync);
  const syncs = vi.spyOn(fs, 'fdatasync');
  return {
    /** The last sync started after the last write (vitest numbers calls across spies). */
    syncedAfterLastWrite: () => Math.max(...syncs.mock.invocationCallOrder) > Math.max(...writes.mock.invocationCallOrder),
    /** Per segment file: [first position, end position] of the bytes written. */
    writtenRanges: () => {
      const ranges = new Map<string, [number, number]>();
      for (const { name, length, position } of written.filter((write) => write.name.endsWith('.log'))) {
        const [from, to] = ranges.get(name) ?? [position, position];
        ranges.set(name, [Math.min(from, position), Math.max(to, position + length)]);
      }
      return Object.fromEntries(ranges);
    },
    syncedFiles: () => syncs.mock.calls.map(([fd]) => fileOf(fd as number)),
  };
}

describe('PartitionLog.rewriteFrom', () => {
  it('writes every byte from the batch holding the offset to the end back in place, and syncs each segment it touched', async () => {
    const { dir, log, batchBytes } = await threeSegments();
    const [, second, third] = segmentFiles(dir) as [string, string, string];
    const before = segmentFiles(dir).map((name) => fs.readFileSync(path.join(dir, name)));
    const spies = spyOnWritesAndSyncs();
    await log.rewriteFrom(6); // the third batch of the second segment (offsets 4-7)
    // The second segment from offset 6's batch, the third whole; the first untouched.
    const ranges = spies.writtenRanges();
    expect(Object.keys(ranges).sort()).toEqual([second, third]);
    expect(ranges[second]![0]).toBe(2 * batchBytes); // exactly from offset 6's batch, not from the index entry before it
    expect(ranges[second]![1]).toBe(4 * batchBytes);
    expect(ranges[third]).toEqual([0, 4 * batchBytes]);
    expect(spies.syncedFiles().sort()).toEqual([second, third]);
    expect(segmentFiles(dir).map((name) => fs.readFileSync(path.join(dir, name)))).toEqual(before);
  });

  it('does nothing at the end of the log', async () => {
    const { log } = await threeSegments();
    const spies = spyOnWritesAndSyncs();
    await log.rewriteFrom(log.endOffset);
    expect(spies.writtenRanges()).toEqual({});
    expect(spies.syncedFiles()).toEqual([]);
  });

  it('rejects when the sync after the rewrite fails, and the log counts nothing from the offset on as durable', async () => {
    const { log } = await threeSegments();
    expect(log.durableEndOffset).toBe(12);
    failNextSync();
    await expect(log.rewriteFrom(10)).rejects.toThrow('EIO: injected');
    expect(log.durableEndOffset).toBe(10);
    expect(() => log.append(makeBatch(1))).toThrow(expect.objectContaining({ code: 'STORAGE_ERROR' }));
  });

  it('syncs in interval mode too, where durable() does not wait for a sync', async () => {
    const dir = await testDir();
    const log = await openLog(dir, logOptions(testClock(), { flush: 'interval', flushIntervalMs: 60_000 }));
    for (let i = 0; i < 3; i++) log.append(makeBatch(1, { seed: i }));
    await log.durable();
    expect(log.durableEndOffset).toBe(0); // acknowledged, not synced
    const spies = spyOnWritesAndSyncs();
    await log.rewriteFrom(1);
    expect(spies.syncedFiles()).toEqual([segmentFiles(dir)[0]]);
    expect(log.durableEndOffset).toBe(3);
  });

  it('finds the batch through a damaged index of a sealed segment (rebuilding it), as a read does', async () => {
    const dir = await testDir();
    const batchBytes = makeBatch(1, { valueBytes: 100 }).length;
    const options = logOptions(testClock(), { segmentBytes: 4 * batchBytes, indexIntervalBytes: batchBytes });
    const first = await openLog(dir, options);
    for (let i = 0; i < 6; i++) first.append(makeBatch(1, { valueBytes: 100, seed: i }));
    await first.close();
    const [sealed] = segmentFiles(dir) as [string];
    // Entries for offsets 1, 2, 3 at one batch apart; the middle one now points inside batch 2 (still in order, so recovery keeps it).
    const indexPath = path.join(dir, sealed.replace('.log', '.index'));
    const index = fs.readFileSync(indexPath);
    expect(index.readUInt32BE(8)).toBe(2);
    index.writeUInt32BE(2 * batchBytes + 1, 12);
    fs.writeFileSync(indexPath, index);
    const log = await openLog(dir, options);
    const spies = spyOnWritesAndSyncs();
    await log.rewriteFrom(2);
    expect(spies.writtenRanges()[sealed]).toEqual([2 * batchBytes, 4 * batchBytes]);
    expect(fs.readFileSync(indexPath).readUInt32BE(12)).toBe(2 * batchBytes);
  });
});

// The broker's owners rewrite before they hand the reopened log out (PartitionLog.reopen), so their
// retention cannot reach it yet; the log must not rely on that, as reads and batchHeadersFrom do not.
describe('PartitionLog.rewriteFrom under retention', () => {
  it('finishes when retention deletes the segment it is rewriting and the ones it has not reached, and the log stays writable', async () => {
    const dir = await testDir();
    const clock = testClock();
    const hourMs = 60 * 60 * 1000;
    const batchBytes = makeBatch(1).length;
    const log = await openLog(dir, logOptions(clock, { segmentBytes: 2 * batchBytes, retentionMs: hourMs }));
    const stored: Uint8Array[] = [];
    for (let i = 0; i < 6; i++) {
      const batch = makeBatch(1, { seed: i, timestamp: clock.nowMs });
      log.append(batch);
      stored.push(batch.slice());
    }
    await log.durable();
    expect(segmentFiles(dir)).toHaveLength(3); // [0, 1] [2, 3] [4, 5]
    const rewrite = log.rewriteFrom(0); // now reading the first segment back
    clock.nowMs += 2 * hourMs;
    expect(log.applyRetention().deletedSegments).toBe(2);
    await expect(rewrite).resolves.toBeUndefined();
    expect(log.durableEndOffset).toBe(6);
    expect(segmentFiles(dir)).toEqual(['00000000000000000004.log']);
    const next = makeBatch(1, { seed: 6, timestamp: clock.nowMs });
    log.append(next);
    await log.durable();
    expect(await readAll(log)).toEqual(concat([...stored.slice(4), next]));
  });
});

describe('a log reopened after a failed fdatasync', () => {
  it('knows where its last good sync started, and rewrites exactly the tail after it', async () => {
    const dir = await testDir();
    const batchBytes = makeBatch(1, { valueBytes: 100 }).length;
    const failed = await openLog(dir, logOptions(testClock()));
    for (let i = 0; i < 3; i++) failed.append(makeBatch(1, { valueBytes: 100, seed: i }));
    await failed.durable();
    for (let i = 3; i < 5; i++) failed.append(makeBatch(1, { valueBytes: 100, seed: i }));
    failNextSync();
    await expect(failed.durable()).rejects.toThrow('EIO: injected');
    vi.restoreAllMocks();
    expect(failed.durableEndOffset).toBe(3);
    await failed.close();
    expect(failed.durableEndOffset).toBe(3); // closing a failed log syncs nothing
    const log = await openLog(dir, logOptions(testClock()));
    expect(log.endOffset).toBe(5); // a fresh read shows the tail whose sync failed
    const spies = spyOnWritesAndSyncs();
    await log.rewriteFrom(failed.durableEndOffset);
    const [segment] = segmentFiles(dir) as [string];
    expect(spies.writtenRanges()).toEqual({ [segment]: [3 * batchBytes, 5 * batchBytes] });
    expect(spies.syncedFiles()).toEqual([segment]);
    expect(spies.syncedAfterLastWrite()).toBe(true);
    expect(log.durableEndOffset).toBe(5);
  });
});
