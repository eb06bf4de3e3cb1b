/**
 * SegmentDescriptorCache: sealed segments keep at most maxOpen files open,
 * over every log sharing the cache, whatever segmentBytes, segmentMs and
 * retention are. Real logs in temp dirs; open files counted in /proc/self/fd.
 */
import fs from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SegmentDescriptorCache, type CachedDescriptor } from '../../src/storage/descriptor-cache.js';
import type { PartitionLog } from '../../src/storage/index.js';
import { openFilesUnder } from '../helpers/open-files.js';
import { concat, logOptions, makeBatch, openLog, readAll, segmentFiles, testClock, testDir, type TestClock } from './fixtures.js';

afterEach(() => vi.restoreAllMocks());

const maxOpen = 8;
const segmentCount = 200;

/** `count` one-batch segments (each batch rolls) and the batches, oldest first. */
function appendSegments(log: PartitionLog, clock: TestClock, count: number): Uint8Array[] {
  const stored: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    clock.nowMs += 2; // past segmentMs: 1
    const batch = makeBatch(1, { seed: i });
    log.append(batch);
    stored.push(batch.slice());
  }
  return stored;
}

describe('SegmentDescriptorCache', () => {
  /** An idle segment stand-in that records its release. */
  const idleSegment = (name: string, released: string[]): CachedDescriptor => ({
    releaseDescriptor: () => released.push(name) > 0,
  });

  it('closes the least recently used past maxOpen, skipping held ones, and closes those once released', () => {
    const cache = new SegmentDescriptorCache(2);
    const released: string[] = [];
    const held = { busy: true, releaseDescriptor: () => !held.busy && released.push('held') > 0 };
    const [b, c] = [idleSegment('b', released), idleSegment('c', released)];
    for (const segment of [held, b, c]) cache.touch(segment);
    cache.touch(b); // b is used again: c is now the least recently used idle one
    cache.trim();
    expect(released).toEqual(['c']);
    expect(cache.openCount).toBe(2);
    cache.touch(idleSegment('d', released));
    cache.trim();
    expect(released).toEqual(['c', 'b']); // still held: over the bound by one until it is let go
    expect(cache.openCount).toBe(2);
    cache.touch(idleSegment('e', released));
    held.busy = false;
    cache.trim();
    expect(released).toEqual(['c', 'b', 'held']);
    expect(cache.openCount).toBe(2);
  });

  it('refuses a bound that is not a positive integer', () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) expect(() => new SegmentDescriptorCache(bad)).toThrow(/maxOpen/);
  });
});

describe('a log of tiny segments with no retention', () => {
  it.each([
    ['segmentBytes', { segmentBytes: 1 }],
    ['segmentMs', { segmentMs: 1 }],
  ])('keeps at most maxOpen sealed segments open when every batch rolls by %s', async (_, rolls) => {
    const dir = await testDir();
    const clock = testClock();
    const descriptorCache = new SegmentDescriptorCache(maxOpen);
    const log = await openLog(dir, logOptions(clock, { ...rolls, retentionMs: 0, retentionBytes: 0, descriptorCache }));
    const stored = appendSegments(log, clock, segmentCount);
    await log.durable();
    expect(segmentFiles(dir)).toHaveLength(segmentCount);
    const active = `${dir}/${segmentFiles(dir).at(-1)}`;
    const newestSealed = segmentFiles(dir).slice(-1 - maxOpen, -1).map((name) => `${dir}/${name}`);
    // The newest sealed ones stay open for the consumers reading just behind the end.
    expect(openFilesUnder(dir)).toEqual([...newestSealed, active].sort());
    // Every segment is read again: closed ones are opened, and closed again behind the read.
    expect(await readAll(log)).toEqual(concat(stored));
    expect(descriptorCache.openCount).toBe(maxOpen);
    expect(openFilesUnder(dir)).toHaveLength(maxOpen + 1);
  });

  it('opens within the bound again after a restart', async () => {
    const dir = await testDir();
    const clock = testClock();
    const options = logOptions(clock, { segmentBytes: 1, retentionMs: 0, descriptorCache: new SegmentDescriptorCache(maxOpen) });
    const first = await openLog(dir, options);
    const stored = appendSegments(first, clock, segmentCount);
    await first.close();
    const descriptorCache = new SegmentDescriptorCache(maxOpen);
    const log = await openLog(dir, { ...options, descriptorCache });
    expect(openFilesUnder(dir)).toHaveLength(maxOpen + 1);
    expect(await readAll(log)).toEqual(concat(stored));
    expect(descriptorCache.openCount).toBe(maxOpen);
  });
});

describe('logs sharing one cache', () => {
  it('share the bound: reading old segments of one closes the least recently used of the other', async () => {
    const [dirA, dirB] = [await testDir(), await testDir()];
    const clock = testClock();
    const descriptorCache = new SegmentDescriptorCache(4);
    const options = logOptions(clock, { segmentBytes: 1, retentionMs: 0, descriptorCache });
    const [logA, logB] = [await openLog(dirA, options), await openLog(dirB, options)];
    appendSegments(logA, clock, 20);
    appendSegments(logB, clock, 20);
    expect(openFilesUnder(dirA)).toHaveLength(1); // only the active segment: B's newer sealed ones took the cache
    expect(openFilesUnder(dirB)).toHaveLength(4 + 1);
    for (let offset = 0; offset < 3; offset++) await logA.read(offset, 1 << 20);
    expect(openFilesUnder(dirA)).toHaveLength(3 + 1);
    expect(openFilesUnder(dirB)).toHaveLength(1 + 1);
    expect(descriptorCache.openCount).toBe(4);
  });
});

describe('reads of recently read segments', () => {
  it('open no file: the active segment and cached sealed ones read through the descriptor they hold', async () => {
    const dir = await testDir();
    const clock = testClock();
    const log = await openLog(dir, logOptions(clock, { segmentBytes: 1, retentionMs: 0, descriptorCache: new SegmentDescriptorCache(maxOpen) }));
    appendSegments(log, clock, 50);
    const opened = vi.spyOn(fs, 'openSync');
    for (let round = 0; round < 10; round++) {
      for (let offset = log.endOffset - 1 - maxOpen; offset < log.endOffset; offset++) await log.read(offset, 1 << 20);
    }
    expect(opened).not.toHaveBeenCalled();
    await log.read(0, 1 << 20);
    expect(opened).toHaveBeenCalledTimes(1);
  });
});

describe('a sealed segment in use', () => {
  it('keeps its file open while read, even past the bound, and is closed once the read is done', async () => {
    const dir = await testDir();
    const clock = testClock();
    const descriptorCache = new SegmentDescriptorCache(1);
    const log = await openLog(dir, logOptions(clock, { segmentBytes: 1, retentionMs: 0, descriptorCache }));
    const stored = appendSegments(log, clock, 5);
    const reads = [0, 1, 2].map((offset) => log.read(offset, 1 << 20));
    expect(descriptorCache.openCount).toBe(3);
    expect((await Promise.all(reads)).map((read) => Buffer.from(read.records))).toEqual(stored.slice(0, 3).map((batch) => Buffer.from(batch)));
    expect(descriptorCache.openCount).toBe(1);
    expect(openFilesUnder(dir)).toHaveLength(1 + 1);
  });

  it('is deleted by retention whether its file is open or not, and leaves the cache', async () => {
    const dir = await testDir();
    const clock = testClock();
    const descriptorCache = new SegmentDescriptorCache(2);
    const batchBytes = makeBatch(1).length;
    const log = await openLog(dir, logOptions(clock, { segmentBytes: 1, retentionMs: 0, retentionBytes: 2 * batchBytes, descriptorCache }));
    const stored = appendSegments(log, clock, 10);
    expect(log.applyRetention().deletedSegments).toBe(8); // six closed ones and the two newest sealed, open
    expect(segmentFiles(dir)).toEqual(['00000000000000000008.log', '00000000000000000009.log']);
    expect(descriptorCache.openCount).toBe(1);
    expect(openFilesUnder(dir)).toHaveLength(2);
    expect(await readAll(log)).toEqual(concat(stored.slice(8)));
  });
});

describe('a segment sealed while group commit syncs it', () => {
  it('closes the second sync descriptor once the syncs are done', async () => {
    const dir = await testDir();
    const clock = testClock();
    const segmentBytes = 2 * makeBatch(1).length;
    const log = await openLog(dir, logOptions(clock, { segmentBytes, retentionMs: 0, descriptorCache: new SegmentDescriptorCache(maxOpen) }));
    log.append(makeBatch(1));
    const first = log.durable();
    log.append(makeBatch(1));
    const second = log.durable(); // the first sync does not cover it: a second one runs at once, in slot 1
    log.append(makeBatch(1)); // rolls while both run
    expect(openFilesUnder(dir).filter((file) => file.endsWith('00000000000000000000.log'))).toHaveLength(2);
    await Promise.all([first, second]);
    expect(openFilesUnder(dir)).toEqual(segmentFiles(dir).map((name) => `${dir}/${name}`));
  });
});
