import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { expiredSegmentCount } from '../../src/storage/retention.js';
import { PartitionLog } from '../../src/storage/index.js';
import { concat, logOptions, makeBatch, openLog, readAll, segmentFiles, testClock, testDir } from './fixtures.js';

const hourMs = 60 * 60 * 1000;

describe('expiredSegmentCount', () => {
  const segments = [
    { sizeBytes: 100, maxTimestamp: 1_000 },
    { sizeBytes: 100, maxTimestamp: 5_000 },
    { sizeBytes: 100, maxTimestamp: 2_000 },
    { sizeBytes: 50, maxTimestamp: 9_000 }, // active
  ];

  it('deletes oldest segments until the log fits retentionBytes', () => {
    expect(expiredSegmentCount(segments, { retentionBytes: 350, retentionMs: 0 }, 0)).toBe(0);
    expect(expiredSegmentCount(segments, { retentionBytes: 349, retentionMs: 0 }, 0)).toBe(1);
    expect(expiredSegmentCount(segments, { retentionBytes: 150, retentionMs: 0 }, 0)).toBe(2);
  });

  it('never deletes the active segment', () => {
    expect(expiredSegmentCount(segments, { retentionBytes: 1, retentionMs: 1 }, 1e9)).toBe(3);
    expect(expiredSegmentCount([{ sizeBytes: 10, maxTimestamp: 0 }], { retentionBytes: 1, retentionMs: 1 }, 1e9)).toBe(0);
  });

  it('deletes by age only a prefix of segments older than the horizon', () => {
    expect(expiredSegmentCount(segments, { retentionBytes: 0, retentionMs: 1_000 }, 2_500)).toBe(1);
    // segment 3 (2_000) is old enough but segment 2 (5_000) is not: deletion stops there
    expect(expiredSegmentCount(segments, { retentionBytes: 0, retentionMs: 1_000 }, 5_500)).toBe(1);
    expect(expiredSegmentCount(segments, { retentionBytes: 0, retentionMs: 1_000 }, 6_001)).toBe(3);
  });

  it('does nothing with both rules disabled', () => {
    expect(expiredSegmentCount(segments, { retentionBytes: 0, retentionMs: 0 }, 1e12)).toBe(0);
  });
});

describe('PartitionLog retention', () => {
  it('deletes whole oldest segments by size and moves startOffset', async () => {
    const dir = await testDir();
    const batchBytes = makeBatch(1).length;
    const log = await openLog(dir, logOptions(testClock(), { segmentBytes: batchBytes * 2, retentionBytes: batchBytes * 3, retentionMs: 0 }));
    const stored: Uint8Array[] = [];
    for (let i = 0; i < 7; i++) {
      const batch = makeBatch(1, { seed: i });
      log.append(batch);
      stored.push(batch.slice());
    }
    // segments [0,1] [2,3] [4,5] [6]: 7 batches; keep at most 3 batches' worth
    expect(log.applyRetention()).toEqual({ deletedSegments: 2, deletedBytes: batchBytes * 4 });
    expect(log.startOffset).toBe(4);
    expect(log.sizeBytes).toBe(batchBytes * 3);
    expect(segmentFiles(dir)).toEqual(['00000000000000000004.log', '00000000000000000006.log']);
    expect(segmentFiles(dir, '.index')).toEqual(['00000000000000000004.index', '00000000000000000006.index']);
    expect(await readAll(log)).toEqual(concat(stored.slice(4)));
    await expect(log.read(3, 100)).rejects.toMatchObject({ code: 'OFFSET_OUT_OF_RANGE' });
    expect(log.applyRetention()).toEqual({ deletedSegments: 0, deletedBytes: 0 });
  });

  it('deletes segments whose newest record is older than retentionMs, also after a reopen', async () => {
    const dir = await testDir();
    const clock = testClock();
    const batchBytes = makeBatch(1).length;
    const options = logOptions(clock, { segmentBytes: batchBytes * 2, retentionMs: 24 * hourMs });
    const first = await PartitionLog.open(dir, options);
    const start = clock.nowMs;
    for (let i = 0; i < 6; i++) first.append(makeBatch(1, { timestamp: start + i * hourMs }));
    // segments [0,1] [2,3] [4,5]; newest timestamps start+1h, start+3h, start+5h
    await first.close();
    const log = await openLog(dir, options);
    clock.nowMs = start + 25 * hourMs; // horizon start+1h: nothing strictly older
    expect(log.applyRetention().deletedSegments).toBe(0);
    clock.nowMs = start + 28 * hourMs; // horizon start+4h: segments 0 and 2 go, the active stays
    expect(log.applyRetention().deletedSegments).toBe(2);
    expect(log.startOffset).toBe(4);
    clock.nowMs = start + 100 * hourMs;
    expect(log.applyRetention().deletedSegments).toBe(0);
    expect(log.endOffset).toBe(6);
  });

  it('lets a read in flight finish on a segment retention deletes', async () => {
    const dir = await testDir();
    const batch = makeBatch(1, { valueBytes: 100_000 });
    const log = await openLog(dir, logOptions(testClock(), { segmentBytes: batch.length, retentionBytes: 1, retentionMs: 0 }));
    log.append(batch);
    const stored = batch.slice();
    log.append(makeBatch(1));
    const reading = log.read(0, 1 << 20);
    expect(log.applyRetention().deletedSegments).toBe(1);
    expect(fs.existsSync(`${dir}/00000000000000000000.log`)).toBe(false);
    expect(Buffer.from((await reading).records)).toEqual(Buffer.from(stored));
  });
});
