import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeBaseOffset, readBatchHeader } from '../../src/protocol/record-batch.js';
import { LogSegment, parseLogFileName, segmentFileName } from '../../src/storage/segment.js';
import { loadTimeIndex } from '../../src/storage/time-index.js';
import { concat, makeBatch, testDir } from './fixtures.js';

/** Appends batches the way the log does: offset patched, then written. */
function appendAll(segment: LogSegment, batches: Uint8Array[], nowMs = 0): void {
  for (const batch of batches) {
    writeBaseOffset(batch, 0, segment.nextOffset);
    const header = readBatchHeader(batch);
    segment.append(batch, segment.nextOffset + header.lastOffsetDelta, header.maxTimestamp, nowMs);
  }
}

describe('segment file names', () => {
  it('are the base offset in 20 zero-padded digits', () => {
    expect(segmentFileName(1234, '.log')).toBe('00000000000000001234.log');
    expect(segmentFileName(2 ** 53 - 1, '.index')).toBe('00009007199254740991.index');
    expect(parseLogFileName('00000000000000001234.log')).toBe(1234);
    for (const name of ['1234.log', '00000000000000001234.index', '00000000000000001234.log.tmp', 'x0000000000000001234.log']) {
      expect(parseLogFileName(name)).toBeUndefined();
    }
  });
});

describe('LogSegment', () => {
  it('stores the batches back to back, exactly as given, and tracks its range', async () => {
    const dir = await testDir();
    const segment = LogSegment.create(dir, 500, 4096);
    const batches = [makeBatch(3, { timestamp: 50 }), makeBatch(1, { timestamp: 90 }), makeBatch(2, { timestamp: 70 })];
    appendAll(segment, batches, 123);
    expect(fs.readFileSync(segment.logPath)).toEqual(concat(batches));
    expect({ size: segment.sizeBytes, next: segment.nextOffset, maxTimestamp: segment.maxTimestamp, rollStartMs: segment.rollStartMs })
      .toEqual({ size: concat(batches).length, next: 506, maxTimestamp: 90, rollStartMs: 123 });
    const read = await segment.read(504, 1 << 20);
    expect(read).toMatchObject({ startOffset: 504, endOffset: 506 });
    expect(Buffer.from(read.records)).toEqual(Buffer.from(batches[2]!));
    await segment.close();
  });

  it('refuses to create over an existing file', async () => {
    const dir = await testDir();
    fs.writeFileSync(path.join(dir, segmentFileName(0, '.log')), 'x');
    expect(() => LogSegment.create(dir, 0, 4096)).toThrow(/EEXIST/);
  });

  it('writes its index and time index when sealed', async () => {
    const dir = await testDir();
    const segment = LogSegment.create(dir, 0, 100);
    appendAll(segment, [makeBatch(2, { timestamp: 7 }), makeBatch(2, { timestamp: 9 }), makeBatch(2, { timestamp: 8 })]);
    segment.seal();
    expect(fs.statSync(segment.sidePath('.index')).size).toBe(2 * 8);
    expect(loadTimeIndex(segment.sidePath('.timeindex'), 0)).toEqual({ ok: true, seal: { maxTimestamp: 9, lastOffset: 5 } });
    await segment.close();
  });

  it('deletes its files when retired, but closes only after reads in flight', async () => {
    const dir = await testDir();
    const segment = LogSegment.create(dir, 0, 100);
    const batch = makeBatch(4, { valueBytes: 50_000 });
    appendAll(segment, [batch]);
    const reading = segment.read(2, 1 << 20);
    const retired = segment.retire();
    expect(fs.readdirSync(dir)).toEqual([]);
    expect(Buffer.from((await reading).records)).toEqual(Buffer.from(batch));
    await retired;
    await expect(segment.read(0, 10)).rejects.toThrow(/used after close/);
  });
});
