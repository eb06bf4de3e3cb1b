import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { PartitionLog, type LogOptions } from '../../src/storage/index.js';
import {
  captureLogger, concat, filePath, logOptions, makeBatch, openLog, readAll, segmentFiles, testClock, testDir,
} from './fixtures.js';

/** Writes `count` batches of 2 records each (offsets 2i, 2i+1), closes, and returns the stored bytes. */
async function writeLog(dir: string, options: LogOptions, count: number): Promise<Uint8Array[]> {
  const log = await PartitionLog.open(dir, options);
  const stored: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const batch = makeBatch(2, { seed: i });
    log.append(batch);
    stored.push(batch.slice());
  }
  await log.close();
  return stored;
}

/** A closed log of several segments, with the first (sealed) segment's index file and bytes. */
async function logWithSealedIndex() {
  const dir = await testDir();
  const options = logOptions(testClock(), { indexIntervalBytes: 100, segmentBytes: 1200 });
  const stored = await writeLog(dir, options, 20);
  const indexPath = filePath(dir, segmentFiles(dir, '.index')[0]!);
  return { dir, options, stored, indexPath, index: fs.readFileSync(indexPath) };
}

/** Paths of the files fdatasync'ed from now on (either call; the path is read from the descriptor). */
function recordSyncs(): string[] {
  const synced: string[] = [];
  const pathOf = (fd: number) => fs.readlinkSync(`/proc/self/fd/${fd}`);
  const realSync = fs.fdatasync;
  const realSyncSync = fs.fdatasyncSync;
  vi.spyOn(fs, 'fdatasync').mockImplementation(((fd: number, callback: (error: Error | null) => void) => {
    const file = pathOf(fd);
    realSync(fd, (error) => {
      if (!error) synced.push(file);
      callback(error);
    });
  }) as typeof fs.fdatasync);
  vi.spyOn(fs, 'fdatasyncSync').mockImplementation((fd: number) => {
    realSyncSync(fd);
    synced.push(pathOf(fd));
  });
  return synced;
}

function lastSegment(dir: string): string {
  return filePath(dir, segmentFiles(dir).at(-1)!);
}

describe('recovery', () => {
  afterEach(() => vi.restoreAllMocks());

  it('truncates a torn tail at the last whole batch and continues at the next offset', async () => {
    const dir = await testDir();
    const options = logOptions(testClock());
    const stored = await writeLog(dir, options, 5);
    const goodBytes = concat(stored.slice(0, 4)).length;
    fs.truncateSync(lastSegment(dir), goodBytes + 30); // half of batch 5 reached the disk

    const capture = captureLogger();
    const log = await openLog(dir, { ...options, logger: capture.logger });
    expect(log.recovery.truncations).toEqual([
      { segment: '00000000000000000000.log', truncatedAtPosition: goodBytes, truncatedBytes: 30, firstLostOffset: 8 },
    ]);
    expect(log.recovery.batchesScanned).toBe(4);
    expect(log.endOffset).toBe(8);
    expect(await readAll(log)).toEqual(concat(stored.slice(0, 4)));
    expect(fs.statSync(lastSegment(dir)).size).toBe(goodBytes);
    expect(capture.lines.some((line) => line.level === 'warn' && line.firstLostOffset === 8)).toBe(true);

    const next = makeBatch(1);
    expect(log.append(next).baseOffset).toBe(8);
    expect(await readAll(log, 8)).toEqual(Buffer.from(next));
  });

  it('truncates at a batch whose CRC no longer matches (bit flip), dropping what follows', async () => {
    const dir = await testDir();
    const options = logOptions(testClock());
    const stored = await writeLog(dir, options, 6);
    const flipAt = concat(stored.slice(0, 2)).length + 70; // inside batch 3's records
    const bytes = fs.readFileSync(lastSegment(dir));
    bytes[flipAt]! ^= 0x10;
    fs.writeFileSync(lastSegment(dir), bytes);

    const log = await openLog(dir, options);
    expect(log.recovery.truncations).toEqual([
      { segment: '00000000000000000000.log', truncatedAtPosition: concat(stored.slice(0, 2)).length, truncatedBytes: concat(stored.slice(2)).length, firstLostOffset: 4 },
    ]);
    expect(log.endOffset).toBe(4);
    expect(await readAll(log)).toEqual(concat(stored.slice(0, 2)));
  });

  it('truncates at a batch whose offset field was damaged (outside the CRC)', async () => {
    const dir = await testDir();
    const options = logOptions(testClock());
    const stored = await writeLog(dir, options, 3);
    const bytes = fs.readFileSync(lastSegment(dir));
    bytes[stored[0]!.length + 7]! ^= 0x01; // low byte of batch 2's baseOffset
    fs.writeFileSync(lastSegment(dir), bytes);
    const log = await openLog(dir, options);
    expect(log.recovery.truncations[0]).toMatchObject({ truncatedAtPosition: stored[0]!.length, firstLostOffset: 2 });
    expect(log.endOffset).toBe(2);
  });

  it('rebuilds a deleted index, and lookups stay right', async () => {
    const dir = await testDir();
    const options = logOptions(testClock(), { indexIntervalBytes: 100, segmentBytes: 1200 });
    const stored = await writeLog(dir, options, 20);
    const indexes = segmentFiles(dir, '.index');
    expect(indexes.length).toBeGreaterThan(1);
    for (const name of indexes) fs.unlinkSync(filePath(dir, name));

    const log = await openLog(dir, options);
    expect(log.recovery.indexesRebuilt).toBe(indexes.length);
    expect(log.recovery.truncations).toEqual([]);
    expect(segmentFiles(dir, '.index')).toEqual(indexes);
    for (let offset = 0; offset < log.endOffset; offset++) {
      const result = await log.read(offset, 1);
      expect(Buffer.from(result.records)).toEqual(Buffer.from(stored[Math.floor(offset / 2)]!));
    }
  });

  it('rebuilds an index whose file shape is broken', async () => {
    const { dir, options, stored, indexPath, index } = await logWithSealedIndex();
    fs.writeFileSync(indexPath, index.subarray(0, index.length - 3)); // torn last entry

    const log = await openLog(dir, options);
    expect(log.recovery.indexesRebuilt).toBe(1);
    expect(fs.readFileSync(indexPath)).toEqual(index);
    expect(await readAll(log, 0, 1)).toEqual(concat(stored));
  });

  it('rebuilds a sealed index whose middle entry is wrong when a read finds it out', async () => {
    const { dir, options, stored, indexPath, index } = await logWithSealedIndex();
    expect(index.length).toBeGreaterThanOrEqual(24);
    const damaged = Buffer.from(index);
    damaged.writeUInt32BE(index.readUInt32BE(12) + 3, 12); // second entry: mid-batch, still in order
    fs.writeFileSync(indexPath, damaged);

    const capture = captureLogger();
    const log = await openLog(dir, { ...options, logger: capture.logger });
    expect(log.recovery.indexesRebuilt).toBe(0); // sealed indexes are trusted on open: shape and last entry only
    for (let offset = 0; offset < log.endOffset; offset++) {
      const result = await log.read(offset, 1);
      expect(Buffer.from(result.records)).toEqual(Buffer.from(stored[Math.floor(offset / 2)]!));
    }
    expect(fs.readFileSync(indexPath)).toEqual(index);
    expect(capture.lines.filter((line) => line.msg === 'offset index does not match its segment; rebuilding it')).toHaveLength(1);
  });

  it('answers OFFSET_OUT_OF_RANGE when retention deletes a segment whose damaged index a read just found out', async () => {
    const { dir, options, indexPath, index } = await logWithSealedIndex();
    const damaged = Buffer.from(index);
    damaged.writeUInt32BE(index.readUInt32BE(12) + 3, 12); // second entry: mid-batch, still in order
    fs.writeFileSync(indexPath, damaged);
    const log = await openLog(dir, options);
    const misled = index.readUInt32BE(8); // the offset of the damaged entry: its read is led astray
    const secondSegmentBase = Number.parseInt(segmentFiles(dir, '.log')[1]!, 10);
    const reading = log.read(misled, 1);
    expect(log.deleteSegmentsBelow(secondSegmentBase).deletedSegments).toBe(1); // while the read is under way
    await expect(reading).rejects.toMatchObject({ code: 'OFFSET_OUT_OF_RANGE' });
    expect(log.startOffset).toBeGreaterThan(misled);
    await log.close();
  });

  it('answers OFFSET_OUT_OF_RANGE when retention deletes a segment while its damaged index is being rebuilt, and writes no index for it', async () => {
    const { dir, options, indexPath, index } = await logWithSealedIndex();
    const damaged = Buffer.from(index);
    damaged.writeUInt32BE(index.readUInt32BE(12) + 3, 12); // second entry: mid-batch, still in order
    fs.writeFileSync(indexPath, damaged);
    const secondSegmentBase = Number.parseInt(segmentFiles(dir, '.log')[1]!, 10);
    let deleted = -1;
    // The warning comes just before the rebuild starts; the deletion runs once the rebuild waits for its first read.
    const logger = createLogger('debug', (line) => {
      if ((JSON.parse(line) as { msg: string }).msg.startsWith('offset index does not match')) setImmediate(() => (deleted = log.deleteSegmentsBelow(secondSegmentBase).deletedSegments));
    });
    const log = await openLog(dir, { ...options, logger });
    await expect(log.read(index.readUInt32BE(8), 1)).rejects.toMatchObject({ code: 'OFFSET_OUT_OF_RANGE' });
    expect(deleted).toBe(1);
    expect(fs.existsSync(indexPath)).toBe(false);
    await log.append(makeBatch(1)); // the log is still sound
    await log.close();
  });

  it('scans a sealed segment whose time index is missing, without losing anything', async () => {
    const dir = await testDir();
    const options = logOptions(testClock(), { segmentBytes: 600 });
    const stored = await writeLog(dir, options, 12);
    const timeIndexes = segmentFiles(dir, '.timeindex');
    expect(timeIndexes).toHaveLength(segmentFiles(dir).length - 1); // every sealed segment has one, the active none
    fs.unlinkSync(filePath(dir, timeIndexes[0]!));

    const capture = captureLogger();
    const log = await openLog(dir, { ...options, logger: capture.logger });
    expect(log.recovery.truncations).toEqual([]);
    expect(await readAll(log)).toEqual(concat(stored));
    expect(segmentFiles(dir, '.timeindex')).toEqual(timeIndexes);
    expect(capture.lines.some((line) => line.msg === 'sealed segment failed its check; scanning it')).toBe(true);
  });

  it('cuts a damaged sealed segment and deletes the segments after it, reporting each', async () => {
    const dir = await testDir();
    const batchBytes = makeBatch(2).length;
    const options = logOptions(testClock(), { segmentBytes: batchBytes * 3 });
    await writeLog(dir, options, 8); // segments at offsets 0, 6, 12
    expect(segmentFiles(dir)).toHaveLength(3);
    fs.truncateSync(filePath(dir, '00000000000000000006.log'), batchBytes + 10);

    const log = await openLog(dir, options);
    expect(log.recovery.truncations).toEqual([
      { segment: '00000000000000000006.log', truncatedAtPosition: batchBytes, truncatedBytes: 10, firstLostOffset: 8 },
      { segment: '00000000000000000012.log', truncatedAtPosition: 0, truncatedBytes: batchBytes * 2, firstLostOffset: 12 },
    ]);
    expect(segmentFiles(dir)).toEqual(['00000000000000000000.log', '00000000000000000006.log']);
    expect(segmentFiles(dir, '.timeindex')).toEqual(['00000000000000000000.timeindex']);
    expect(log.endOffset).toBe(8);
    expect(log.append(makeBatch(1)).baseOffset).toBe(8);
  });

  it('ends the log where a sealed segment ends early at a batch boundary', async () => {
    const dir = await testDir();
    const batchBytes = makeBatch(2).length;
    const options = logOptions(testClock(), { segmentBytes: batchBytes * 3 });
    await writeLog(dir, options, 8);
    fs.truncateSync(filePath(dir, '00000000000000000000.log'), batchBytes * 2);
    const log = await openLog(dir, options);
    expect(log.endOffset).toBe(4);
    expect(log.recovery.truncations.map((cut) => cut.firstLostOffset)).toEqual([6, 12]);
  });

  it('scans a sealed segment that becomes the last, rebuilding its index', async () => {
    const dir = await testDir();
    const batchBytes = makeBatch(2).length;
    const options = logOptions(testClock(), { segmentBytes: batchBytes * 3, indexIntervalBytes: 1 });
    await writeLog(dir, options, 8); // segments at offsets 0, 6, 12
    fs.renameSync(filePath(dir, '00000000000000000012.log'), filePath(dir, '00000000000000000014.log'));
    const indexPath = filePath(dir, '00000000000000000006.index');
    const index = fs.readFileSync(indexPath);
    index.writeUInt32BE(index.readUInt32BE(4) + 1, 4); // first entry points mid-batch: only a scan notices
    fs.writeFileSync(indexPath, index);

    const log = await openLog(dir, options);
    expect(log.recovery.truncations).toEqual([{ segment: '00000000000000000014.log', truncatedAtPosition: 0, truncatedBytes: batchBytes * 2, firstLostOffset: 14 }]);
    expect(log.recovery.indexesRebuilt).toBe(1);
    expect(segmentFiles(dir, '.timeindex')).toEqual(['00000000000000000000.timeindex']);
    expect(log.endOffset).toBe(12);
    expect(log.append(makeBatch(1)).baseOffset).toBe(12);
    expect((await log.read(9, 1)).startOffset).toBe(8);
  });

  it('deletes index files left without a segment', async () => {
    const dir = await testDir();
    fs.writeFileSync(path.join(dir, '00000000000000000042.index'), Buffer.alloc(8));
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'kept');
    const log = await openLog(dir, logOptions(testClock()));
    expect(fs.readdirSync(dir).sort()).toEqual(['00000000000000000000.index', '00000000000000000000.log', 'notes.txt']);
    expect(log.recovery).toEqual({ segments: 1, batchesScanned: 0, truncations: [], indexesRebuilt: 0 });
  });

  it('recovers an empty file left by a crash right after a roll', async () => {
    const dir = await testDir();
    const options = logOptions(testClock(), { segmentBytes: makeBatch(2).length * 2 });
    const stored = await writeLog(dir, options, 4); // segments 0 and 4, both full
    fs.writeFileSync(filePath(dir, '00000000000000000008.log'), '');
    const log = await openLog(dir, options);
    expect(log.recovery.truncations).toEqual([]);
    expect(log.endOffset).toBe(8);
    expect(await readAll(log)).toEqual(concat(stored));
  });

  it('syncs a tail that a killed process left unsynced before it counts as durable', async () => {
    const dir = await testDir();
    const options = logOptions(testClock());
    const killed = await PartitionLog.open(dir, options);
    killed.append(makeBatch(2)); // in the page cache; the process dies before its group commit syncs it
    const image = await testDir();
    fs.cpSync(dir, image, { recursive: true }); // kill -9 keeps the page cache: the next start reads the batch
    await killed.close();

    const synced = recordSyncs();
    const log = await openLog(image, options);
    await log.durable();
    expect(log.durableEndOffset).toBe(2);
    // A power loss now must not take what the log calls durable (and the broker acknowledges, delivers, commits past).
    expect(synced).toContain(fs.realpathSync(lastSegment(image)));
  });
});
