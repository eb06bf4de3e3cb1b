import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { readBatchHeader, decodeRecords } from '../../src/protocol/record-batch.js';
import { ActorMqError } from '../../src/protocol/errors.js';
import { PartitionLog } from '../../src/storage/index.js';
import { concat, logOptions, makeBatch, openLog, readAll, segmentFiles, testClock, testDir } from './fixtures.js';

describe('PartitionLog', () => {
  afterEach(() => vi.restoreAllMocks());

  it('makes the directories it creates durable in their parents, so a power loss cannot take a new partition with its first segment', async () => {
    const root = fs.realpathSync(await testDir());
    const synced: string[] = [];
    const fsyncSync = fs.fsyncSync;
    vi.spyOn(fs, 'fsyncSync').mockImplementation((fd: number) => {
      fsyncSync(fd);
      synced.push(fs.readlinkSync(`/proc/self/fd/${fd}`));
    });
    await openLog(path.join(root, 'logs', 'orders', '0'), logOptions(testClock()));
    for (const parent of [root, path.join(root, 'logs'), path.join(root, 'logs', 'orders')]) expect(synced).toContain(parent);
  });

  it('assigns contiguous offsets and reads every byte back across several segments', async () => {
    const dir = await testDir();
    const log = await openLog(dir, logOptions(testClock(), { segmentBytes: 1024, indexIntervalBytes: 256 }));
    const stored: Uint8Array[] = [];
    let expectedBase = 0;
    for (let i = 0; i < 40; i++) {
      const batch = makeBatch(1 + (i % 4), { seed: i });
      const result = log.append(batch, 3);
      expect(result).toMatchObject({ baseOffset: expectedBase, lastOffset: expectedBase + (i % 4) });
      expectedBase = result.lastOffset + 1;
      stored.push(batch.slice());
    }
    expect(segmentFiles(dir).length).toBeGreaterThan(3);
    expect(log.endOffset).toBe(expectedBase);
    expect(log.sizeBytes).toBe(concat(stored).length);
    expect(await readAll(log)).toEqual(concat(stored));
    const header = readBatchHeader(stored[5]!);
    expect(header.leaderEpoch).toBe(3);
    expect(decodeRecords(stored[5]!)[0]!.offset).toBe(header.baseOffset);
  });

  it('reopens with the same offsets and identical bytes', async () => {
    const dir = await testDir();
    const clock = testClock();
    const options = logOptions(clock, { segmentBytes: 1500, indexIntervalBytes: 200 });
    const first = await PartitionLog.open(dir, options);
    for (let i = 0; i < 30; i++) first.append(makeBatch(2, { seed: i }));
    await first.durable();
    const before = { start: first.startOffset, end: first.endOffset, size: first.sizeBytes, bytes: await readAll(first) };
    await first.close();
    await first.close(); // idempotent

    const reopened = await openLog(dir, options);
    expect({ start: reopened.startOffset, end: reopened.endOffset, size: reopened.sizeBytes, bytes: await readAll(reopened) }).toEqual(before);
    expect(reopened.recovery).toMatchObject({ truncations: [], indexesRebuilt: 0, segments: segmentFiles(dir).length });
    expect(reopened.append(makeBatch(1)).baseOffset).toBe(before.end);
  });

  it('reads from the batch holding an offset in the middle of it', async () => {
    const dir = await testDir();
    const log = await openLog(dir, logOptions(testClock(), { indexIntervalBytes: 100 }));
    const batches = [makeBatch(5, { seed: 1 }), makeBatch(5, { seed: 2 }), makeBatch(5, { seed: 3 })];
    for (const batch of batches) log.append(batch);
    const result = await log.read(7, 1); // offset 7 is the third record of the second batch
    expect(result.startOffset).toBe(5);
    expect(result.endOffset).toBe(10);
    expect(Buffer.from(result.records)).toEqual(Buffer.from(batches[1]!));
  });

  it('returns whole batches up to maxBytes, and at least one batch however large', async () => {
    const dir = await testDir();
    const log = await openLog(dir, logOptions(testClock(), { indexIntervalBytes: 64 }));
    const big = makeBatch(3, { valueBytes: 3000 });
    const small = [makeBatch(1, { seed: 1 }), makeBatch(1, { seed: 2 }), makeBatch(1, { seed: 3 })];
    log.append(big);
    for (const batch of small) log.append(batch);
    const one = await log.read(0, 10);
    expect(one.records.length).toBe(big.length);
    expect(one.endOffset).toBe(3);
    const two = await log.read(3, small[0]!.length + small[1]!.length + 5);
    expect(Buffer.from(two.records)).toEqual(concat(small.slice(0, 2)));
    expect(two.endOffset).toBe(5);
  });

  it('gives an empty result at endOffset and OFFSET_OUT_OF_RANGE outside the log', async () => {
    const dir = await testDir();
    const log = await openLog(dir, logOptions(testClock()));
    log.append(makeBatch(2));
    expect(await log.read(2, 1000)).toEqual({ records: new Uint8Array(0), startOffset: 2, endOffset: 2 });
    for (const offset of [3, -1, 1.5, Number.NaN]) {
      const failure = await log.read(offset, 1000).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(ActorMqError);
      expect((failure as ActorMqError).code).toBe('OFFSET_OUT_OF_RANGE');
    }
  });

  it('rolls when the next batch would pass segmentBytes', async () => {
    const dir = await testDir();
    const batch = makeBatch(1);
    const log = await openLog(dir, logOptions(testClock(), { segmentBytes: batch.length * 3 }));
    for (let i = 0; i < 7; i++) log.append(makeBatch(1));
    expect(segmentFiles(dir)).toEqual(['00000000000000000000.log', '00000000000000000003.log', '00000000000000000006.log']);
    expect(fs.statSync(`${dir}/00000000000000000000.log`).size).toBe(batch.length * 3);
  });

  it('gives a batch larger than segmentBytes a segment of its own', async () => {
    const dir = await testDir();
    const log = await openLog(dir, logOptions(testClock(), { segmentBytes: 500 }));
    log.append(makeBatch(1));
    log.append(makeBatch(2, { valueBytes: 600 }));
    log.append(makeBatch(1));
    expect(segmentFiles(dir)).toEqual(['00000000000000000000.log', '00000000000000000001.log', '00000000000000000003.log']);
  });

  it('rolls when the active segment is older than segmentMs, by the injected clock', async () => {
    const dir = await testDir();
    const clock = testClock();
    const log = await openLog(dir, logOptions(clock, { segmentMs: 60_000 }));
    log.append(makeBatch(1, { timestamp: clock.nowMs }));
    clock.nowMs += 60_000;
    log.append(makeBatch(1, { timestamp: clock.nowMs }));
    expect(segmentFiles(dir)).toHaveLength(1); // not past the age yet
    clock.nowMs += 1;
    log.append(makeBatch(1, { timestamp: clock.nowMs }));
    expect(segmentFiles(dir)).toEqual(['00000000000000000000.log', '00000000000000000002.log']);
  });

  it('counts a reopened segment’s age from its first batch', async () => {
    const dir = await testDir();
    const clock = testClock();
    const options = logOptions(clock, { segmentMs: 60_000 });
    const first = await PartitionLog.open(dir, options);
    first.append(makeBatch(1, { timestamp: clock.nowMs }));
    await first.close();
    clock.nowMs += 60_001;
    const reopened = await openLog(dir, options);
    reopened.append(makeBatch(1, { timestamp: clock.nowMs }));
    expect(segmentFiles(dir)).toHaveLength(2);
  });

  it('returns the headers of the batches from an offset on, oldest first, and tells its owner the end at each roll', async () => {
    const dir = await testDir();
    const batch = makeBatch(1);
    const log = await openLog(dir, logOptions(testClock(), { segmentBytes: batch.length * 2 }));
    const rolls: number[] = [];
    log.onRoll = (endOffset) => rolls.push(endOffset);
    for (let i = 0; i < 5; i++) log.append(makeBatch(1));
    // segments: [0,1] [2,3] [4]
    expect(rolls).toEqual([2, 4]);
    expect((await log.batchHeadersFrom(2)).map((header) => header.baseOffset)).toEqual([2, 3, 4]);
    expect((await log.batchHeadersFrom(3)).map((header) => header.baseOffset)).toEqual([3, 4]);
    expect((await log.batchHeadersFrom(0)).map((header) => header.baseOffset)).toEqual([0, 1, 2, 3, 4]);
    expect(await log.batchHeadersFrom(5)).toEqual([]);
  });

  it('refuses use after close with NOT_READY', async () => {
    const dir = await testDir();
    const log = await PartitionLog.open(dir, logOptions(testClock()));
    await log.close();
    expect(() => log.append(makeBatch(1))).toThrow(expect.objectContaining({ code: 'NOT_READY' }));
    await expect(log.read(0, 10)).rejects.toMatchObject({ code: 'NOT_READY' });
    await expect(log.durable()).rejects.toMatchObject({ code: 'NOT_READY' });
  });

  it('rejects options that break its limits', async () => {
    const dir = await testDir();
    await expect(PartitionLog.open(dir, logOptions(testClock(), { segmentBytes: 2 ** 32 }))).rejects.toThrow(/segmentBytes/);
    await expect(PartitionLog.open(dir, logOptions(testClock(), { indexIntervalBytes: 0 }))).rejects.toThrow(/indexIntervalBytes/);
    await expect(PartitionLog.open(dir, logOptions(testClock(), { retentionMs: -1 }))).rejects.toThrow(/retentionMs/);
  });
});
