/**
 * Recovery: what `PartitionLog.open` finds on disk, checked and repaired.
 *
 * Policy (nats-server's "walk the last block, truncate, report what was lost"):
 * - The last segment is scanned batch by batch with `checkBatch` (header,
 *   length, CRC) and contiguous offsets, and truncated at the first unsound
 *   batch: a torn tail after a crash, or a flipped bit. Then it is synced:
 *   what a killed process left in the page cache is not yet on disk.
 * - Sealed segments are trusted, after a cheap check: the index has a sound
 *   shape, the batches from its last entry to the end of the file are
 *   sound, and they end at the last offset the time index records. A sealed
 *   segment that fails (index or time index missing or wrong, file cut short)
 *   is scanned like the last one.
 * - Offsets are one contiguous range: the first segment that does not start
 *   where the previous one ends (as after a truncation) and all after it
 *   are deleted.
 * - Every index of a scanned segment is compared with the one rebuilt by the
 *   scan and rewritten when it differs (`indexesRebuilt`). A sealed index
 *   whose middle entries are wrong passes this check; the first read it
 *   misleads notices (the batch there has another offset) and the log
 *   rebuilds it then (see PartitionLog.read).
 * Each cut is reported (`truncations`) and logged with what was lost.
 *
 * Cost: opening reads the whole last segment (≤ segmentBytes) and, per
 * sealed segment, two small files and about one index interval of its tail.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../logger.js';
import { OffsetIndex } from './offset-index.js';
import type { SegmentDescriptorCache } from './descriptor-cache.js';
import { loadTimeIndex, writeTimeIndex } from './time-index.js';
import { scanBatches } from './scan.js';
import {
  LogSegment, indexSuffix, logSuffix, parseLogFileName, segmentFileName, timeIndexSuffix, type SegmentState,
} from './segment.js';
import { fsyncDirectory, unlinkIfExists } from './file-io.js';

export interface Truncation {
  /** Segment file name, e.g. `00000000000000001000.log`. */
  segment: string;
  truncatedAtPosition: number;
  truncatedBytes: number;
  /** First offset no longer in the log (the next append gets it again). */
  firstLostOffset: number;
}

export interface RecoveryReport {
  /** Segments in the log after recovery. */
  segments: number;
  batchesScanned: number;
  truncations: Truncation[];
  indexesRebuilt: number;
}

export interface RecoveryOptions {
  indexIntervalBytes: number;
  maxBatchBytes: number;
  maxRecordsPerBatch: number;
  /** Sealed segments hand their descriptor to it as soon as they are recovered, so opening a long log stays within its bound. */
  descriptorCache: SegmentDescriptorCache;
  clock: () => number;
  logger: Logger;
}

export interface RecoveredLog {
  /** Oldest first; the last takes appends. */
  segments: LogSegment[];
  report: RecoveryReport;
}

type SegmentCheck = { ok: true; state: SegmentState } | { ok: false; reason: string };

export async function recoverLog(dir: string, options: RecoveryOptions): Promise<RecoveredLog> {
  const report: RecoveryReport = { segments: 0, batchesScanned: 0, truncations: [], indexesRebuilt: 0 };
  const segments: LogSegment[] = [];
  try {
    const lastScanned = await recoverChain(dir, listBaseOffsets(dir, options.logger), segments, options, report);
    if (!lastScanned) {
      // A sealed segment became the last (the ones after it did not continue
      // the log): the active segment's index must come from a scan, as appends extend it.
      const sealed = segments.pop()!;
      await sealed.close();
      segments.push((await recoverSegment(dir, sealed.baseOffset, true, options, report)).segment);
    }
  } catch (error) {
    await Promise.allSettled(segments.map((segment) => segment.close()));
    throw error;
  }
  if (segments.length === 0) segments.push(LogSegment.create(dir, 0, options.indexIntervalBytes));
  // A time index left from an earlier seal would go stale as the active segment grows.
  unlinkIfExists(segments.at(-1)!.sidePath(timeIndexSuffix));
  report.segments = segments.length;
  return { segments, report };
}

/**
 * Recovers segments, oldest first, into `segments` while they continue the
 * log, and deletes the rest (a truncated segment ends before the next one
 * starts, so this also drops everything after a cut). Returns whether the
 * last one kept was scanned.
 */
async function recoverChain(dir: string, baseOffsets: number[], segments: LogSegment[], options: RecoveryOptions, report: RecoveryReport): Promise<boolean> {
  let lastScanned = true;
  for (let at = 0; at < baseOffsets.length; at++) {
    const baseOffset = baseOffsets[at]!;
    const expected = segments.at(-1)?.nextOffset ?? baseOffset;
    if (baseOffset !== expected) {
      options.logger.warn('segment does not continue the log', { segment: segmentFileName(baseOffset, logSuffix), expectedBaseOffset: expected });
      dropSegments(dir, baseOffsets.slice(at), report, options.logger);
      break;
    }
    const recovered = await recoverSegment(dir, baseOffset, at === baseOffsets.length - 1, options, report);
    // The one before is continued, so sealed for good: it goes to the cache now, and a long log opens within the cache's bound.
    segments.at(-1)?.useDescriptorCache(options.descriptorCache);
    segments.push(recovered.segment);
    lastScanned = recovered.scanned;
  }
  return lastScanned;
}

/** Base offsets of the `.log` files, ascending; index files without a log are deleted. */
function listBaseOffsets(dir: string, logger: Logger): number[] {
  const names = fs.readdirSync(dir);
  const baseOffsets = names.map(parseLogFileName).filter((offset) => offset !== undefined);
  const logNames = new Set(names.filter((name) => name.endsWith(logSuffix)));
  for (const name of names) {
    const stem = name.endsWith(indexSuffix) ? name.slice(0, -indexSuffix.length) : name.endsWith(timeIndexSuffix) ? name.slice(0, -timeIndexSuffix.length) : null;
    if (stem !== null && parseLogFileName(stem + logSuffix) !== undefined && !logNames.has(stem + logSuffix)) {
      logger.info('deleting index without segment', { file: name });
      unlinkIfExists(path.join(dir, name));
    }
  }
  return baseOffsets.sort((a, b) => a - b);
}

async function recoverSegment(dir: string, baseOffset: number, isLast: boolean, options: RecoveryOptions, report: RecoveryReport) {
  const fd = fs.openSync(path.join(dir, segmentFileName(baseOffset, logSuffix)), 'r+');
  try {
    if (!isLast) {
      const check = await checkSealed(dir, baseOffset, fd, options, report);
      if (check.ok) return { segment: new LogSegment(dir, baseOffset, fd, check.state), scanned: false };
      options.logger.warn('sealed segment failed its check; scanning it', { segment: segmentFileName(baseOffset, logSuffix), reason: check.reason });
    }
    return await scanSegment(dir, baseOffset, fd, isLast, options, report);
  } catch (error) {
    fs.closeSync(fd);
    throw error;
  }
}

/** Trusts a sealed segment whose index, time index and tail agree. */
async function checkSealed(dir: string, baseOffset: number, fd: number, options: RecoveryOptions, report: RecoveryReport): Promise<SegmentCheck> {
  const sizeBytes = fs.fstatSync(fd).size;
  const indexPath = path.join(dir, segmentFileName(baseOffset, indexSuffix));
  const loaded = OffsetIndex.load(indexPath, baseOffset, options.indexIntervalBytes, sizeBytes);
  if (!loaded.ok) return loaded;
  const timeIndex = loadTimeIndex(path.join(dir, segmentFileName(baseOffset, timeIndexSuffix)), baseOffset);
  if (!timeIndex.ok) return timeIndex;
  const from = loaded.index.lastEntry();
  const range = { fd, fromPosition: from.position, endPosition: sizeBytes, firstOffset: from.offset };
  const end = await scanBatches(range, options, false, () => report.batchesScanned++);
  if (end.problem !== null) return { ok: false, reason: `at position ${end.position}: ${end.problem}` };
  if (end.nextOffset !== timeIndex.seal.lastOffset + 1) {
    return { ok: false, reason: `segment ends before offset ${end.nextOffset}, time index says ${timeIndex.seal.lastOffset + 1}` };
  }
  const state = { sizeBytes, nextOffset: end.nextOffset, maxTimestamp: timeIndex.seal.maxTimestamp, rollStartMs: undefined, index: loaded.index };
  return { ok: true, state };
}

/** Scans every batch with its CRC, truncates at the first unsound one, rebuilds the index if needed. */
async function scanSegment(dir: string, baseOffset: number, fd: number, isLast: boolean, options: RecoveryOptions, report: RecoveryReport) {
  const name = segmentFileName(baseOffset, logSuffix);
  const sizeBytes = fs.fstatSync(fd).size;
  const index = new OffsetIndex(path.join(dir, segmentFileName(baseOffset, indexSuffix)), baseOffset, options.indexIntervalBytes);
  let maxTimestamp = -1;
  let firstTimestamp: number | undefined;
  const end = await scanBatches({ fd, fromPosition: 0, endPosition: sizeBytes, firstOffset: baseOffset }, options, true, (batch) => {
    index.onBatch(batch.header.baseOffset, batch.position);
    maxTimestamp = Math.max(maxTimestamp, batch.header.maxTimestamp);
    firstTimestamp ??= batch.header.maxTimestamp;
    report.batchesScanned++;
  });
  const truncated = end.position < sizeBytes;
  if (truncated) {
    const truncation = { segment: name, truncatedAtPosition: end.position, truncatedBytes: sizeBytes - end.position, firstLostOffset: end.nextOffset };
    options.logger.warn('truncated segment at its first unsound batch; data after it is lost', { ...truncation, reason: end.problem });
    report.truncations.push(truncation);
    fs.ftruncateSync(fd, end.position);
  }
  // The cut must be on disk before new appends reuse these offsets. And a
  // killed process leaves its unsynced appends in the page cache: the log
  // counts what it opens with as durable, so the last segment must reach the disk.
  if (truncated || isLast) fs.fdatasyncSync(fd);
  if (index.rewriteIfStale()) {
    options.logger.warn('offset index missing or stale; rebuilt from the segment', { segment: name, entries: index.entryCount });
    report.indexesRebuilt++;
  }
  // A sealed segment keeps its time index, so the next open can trust it (an empty one will not continue the log anyway).
  if (!isLast && !truncated && end.position > 0) {
    writeTimeIndex(path.join(dir, segmentFileName(baseOffset, timeIndexSuffix)), baseOffset, { maxTimestamp, lastOffset: end.nextOffset - 1 });
  }
  // Age counts from the first batch, but a timestamp from a fast producer clock must not postpone the roll.
  const rollStartMs = firstTimestamp === undefined ? undefined : Math.min(firstTimestamp, options.clock());
  const state: SegmentState = { sizeBytes: end.position, nextOffset: end.nextOffset, maxTimestamp, rollStartMs, index };
  return { segment: new LogSegment(dir, baseOffset, fd, state), scanned: true };
}

/** Deletes segments that can no longer be part of the log, reporting each as lost. */
function dropSegments(dir: string, baseOffsets: readonly number[], report: RecoveryReport, logger: Logger): void {
  for (const baseOffset of baseOffsets) {
    const name = segmentFileName(baseOffset, logSuffix);
    const truncation = { segment: name, truncatedAtPosition: 0, truncatedBytes: fs.statSync(path.join(dir, name)).size, firstLostOffset: baseOffset };
    logger.warn('deleting segment after the end of the log; its data is lost', truncation);
    report.truncations.push(truncation);
    for (const suffix of [logSuffix, indexSuffix, timeIndexSuffix]) unlinkIfExists(path.join(dir, segmentFileName(baseOffset, suffix)));
  }
  if (baseOffsets.length > 0) fsyncDirectory(dir);
}
