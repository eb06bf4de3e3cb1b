/**
 * PartitionLog.rewriteFrom: after a failed fdatasync, the unsynced tail is
 * written again (same bytes, same places) and synced, so pages the kernel
 * marked clean without writing them reach the disk. Real files; fs calls
 * are spied on (and passed through) to see what was written and synced.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { logOptions, makeBatch, openLog, segmentFiles, testClock, testDir } from './fixtures.js';

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

function spyOnWritesAndSyncs() {
  const writes = vi.spyOn(fs, 'writeSync');
  const syncs = vi.spyOn(fs, 'fdatasync');
  return {
    /** Per file: [first position, end position] of the bytes written. */
    writtenRanges: () => {
      const ranges = new Map<string, [number, number]>();
      for (const [fd, , , length, position] of writes.mock.calls as unknown as Array<[number, Uint8Array, number, number, number]>) {
        const name = fileOf(fd);
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
    // The second segment from (at most) offset 6's batch, the third whole; the first untouched.
    const ranges = spies.writtenRanges();
    expect(Object.keys(ranges).sort()).toEqual([second, third]);
    expect(ranges[second]![0]).toBeLessThanOrEqual(2 * batchBytes);
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

  it('rejects when the sync after the rewrite fails', async () => {
    const { log } = await threeSegments();
    vi.spyOn(fs, 'fdatasync').mockImplementationOnce(((_fd: number, callback: (error: Error | null) => void) => callback(new Error('EIO: injected'))) as typeof fs.fdatasync);
    await expect(log.rewriteFrom(10)).rejects.toThrow('EIO: injected');
  });
});
