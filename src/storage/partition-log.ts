/**
 * PartitionLog: the durable log of one partition — a directory of segments
 * named by base offset (segment.ts has the file formats, recovery.ts what
 * opening repairs, flush.ts when appends become durable, retention.ts which
 * segments go).
 *
 * One owner per directory: the partition actor calls it from one event loop;
 * nothing here locks the directory against a second process.
 *
 * Hot path: `append` is O(1) JS work per batch (a header read, two patches, a
 * positional writeSync, an index entry every indexIntervalBytes); no record
 * is decoded. Reads go to the segment holding the offset.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../logger.js';
import { ActorMqError } from '../protocol/errors.js';
import { defaultBrokerLimits } from '../protocol/limits.js';
import {
  batchLogOverheadBytes, readBatchHeader, writeBaseOffset, writeLeaderEpoch, type BatchHeader,
} from '../protocol/record-batch.js';
import { LogSegment } from './segment.js';
import type { SegmentDescriptorCache } from './descriptor-cache.js';
import { GroupCommit, type FlushMode } from './flush.js';
import { recoverLog, type RecoveryReport } from './recovery.js';
import { expiredSegmentCount } from './retention.js';
import { scanBatches } from './scan.js';
import { StaleIndexError, type ReadResult } from './read.js';
import { assert } from './assert.js';
import { fsyncDirectory } from './file-io.js';

export type { ReadResult } from './read.js';
export type { RecoveryReport, Truncation } from './recovery.js';

export interface LogOptions {
  /** Roll to a new segment before one would grow past this. */
  segmentBytes: number;
  /** Roll to a new segment once the active one is older than this (counted from its first batch). */
  segmentMs: number;
  /** Delete oldest segments while the log is larger; 0 = unlimited. */
  retentionBytes: number;
  /** Delete oldest segments whose newest record is older than this; 0 = forever. */
  retentionMs: number;
  /** Bytes of log between offset index entries. */
  indexIntervalBytes: number;
  flush: FlushMode;
  /** How often `interval` mode syncs. */
  flushIntervalMs: number;
  /** Limits recovery checks stored batches against (the broker's batch limits). */
  maxBatchBytes: number;
  maxRecordsPerBatch: number;
  /** Keeps the descriptors of sealed segments open within its bound; one per broker, shared by all its logs. */
  descriptorCache: SegmentDescriptorCache;
  /** Epoch ms; injected so tests control segment age and retention. */
  clock: () => number;
  logger: Logger;
}

const dayMs = 24 * 60 * 60 * 1000;

export const defaultLogOptions: Omit<LogOptions, 'descriptorCache' | 'clock' | 'logger'> = {
  segmentBytes: 64 * 1024 * 1024, // 64 MiB: recovery scans at most this much on open
  segmentMs: 7 * dayMs, // so a quiet partition still rolls, and retention by age can delete
  retentionBytes: 0,
  retentionMs: 7 * dayMs, // Kafka's default
  indexIntervalBytes: 4096, // a fetch scans at most ~4 KiB past its index entry
  flush: 'sync', // acknowledge only after fdatasync (group commit)
  flushIntervalMs: 1000,
  maxBatchBytes: defaultBrokerLimits.maxBatchBytes,
  maxRecordsPerBatch: defaultBrokerLimits.maxRecordsPerBatch,
};

/** Positions in the index are uint32; like Kafka, stay within int32 to leave room for the last batch. */
const segmentBytesMax = 2 ** 31 - 1;
/** Relative offsets in the index are uint32: roll before a segment would span more. */
const relativeOffsetMax = 0xffff_ffff;

export interface AppendResult {
  baseOffset: number;
  lastOffset: number;
  maxTimestamp: number;
}

export class PartitionLog {
  /**
   * Called after each roll with the log's end then: every batch below it is
   * in sealed, synced segments. Runs inside the append that rolled, before
   * that batch is written, so the owner's state still matches the log's end.
   */
  onRoll: ((endOffset: number) => void) | undefined;
  private sealedBytes = 0;
  private closing: Promise<void> | null = null;
  private readonly retiring = new Set<Promise<void>>();
  private readonly flusher: GroupCommit;

  private constructor(
    readonly dir: string,
    private readonly options: LogOptions,
    /** Oldest first; the last one takes appends. Never empty. */
    private readonly segments: LogSegment[],
    readonly recovery: RecoveryReport,
    private readonly logger: Logger,
  ) {
    for (const segment of segments.slice(0, -1)) this.sealedBytes += segment.sizeBytes;
    this.flusher = new GroupCommit({ ...options, syncData: (slot) => this.active.syncData(slot), endOffset: () => this.endOffset, logger });
  }

  /** Creates the directory if needed, recovers what is there, and opens the newest segment for appends. */
  static async open(dir: string, options: LogOptions): Promise<PartitionLog> {
    checkLogOptions(options);
    const firstCreated = await fs.promises.mkdir(dir, { recursive: true });
    if (firstCreated !== undefined) syncCreatedDirectories(firstCreated, dir);
    const logger = options.logger.child({ log: dir });
    const { segments, report } = await recoverLog(dir, { ...options, logger });
    const log = new PartitionLog(dir, options, segments, report, logger);
    const summary = { ...report, truncations: report.truncations.length, startOffset: log.startOffset, endOffset: log.endOffset };
    if (report.truncations.length > 0) logger.warn('log recovered with data loss', summary);
    else logger.info('log opened', summary);
    return log;
  }

  /**
   * Opens the log again after a storage fault, as a restart would, and, when
   * `syncedEndOffset` is given (where the failed log's last good sync
   * started: its durableEndOffset), first writes back and syncs everything
   * the reopened log holds from there (rewriteFrom). If that fails the log is
   * closed again and the error thrown: the owner retries from the same offset.
   */
  static async reopen(dir: string, options: LogOptions, syncedEndOffset: number | undefined): Promise<PartitionLog> {
    const log = await PartitionLog.open(dir, options);
    if (syncedEndOffset === undefined) return log;
    if (syncedEndOffset > log.endOffset) log.logger.error('the reopened log lacks records it had synced; the disk lost them', { endOffset: log.endOffset, syncedEndOffset });
    else if (syncedEndOffset < log.endOffset) log.logger.warn('rewriting the log after its last good sync', { fromOffset: syncedEndOffset, endOffset: log.endOffset });
    try {
      await log.rewriteFrom(syncedEndOffset);
    } catch (error) {
      await log.close().catch(() => undefined);
      throw error;
    }
    return log;
  }

  get startOffset(): number {
    return this.segments[0]!.baseOffset;
  }

  get endOffset(): number {
    return this.active.nextOffset;
  }

  /** Where the newest sealed segment starts (undefined while the log has one segment). */
  get newestSealedBaseOffset(): number | undefined {
    return this.segments.length > 1 ? this.segments[this.segments.length - 2]!.baseOffset : undefined;
  }

  get sizeBytes(): number {
    return this.sealedBytes + this.active.sizeBytes;
  }

  /**
   * Validated batch bytes from the wire (the broker already ran checkBatch).
   * Patches baseOffset (and leaderEpoch) in place and writes the bytes to the
   * page cache, rolling first if the active segment is full or old. Throws on
   * I/O error; the batch is then not in the log.
   */
  append(batch: Uint8Array, leaderEpoch?: number): AppendResult {
    this.assertWritable();
    const header = readBatchHeader(batch, 0);
    assert(header.batchLength + batchLogOverheadBytes === batch.length, 'append takes exactly one whole batch');
    const nowMs = this.options.clock();
    const baseOffset = this.active.nextOffset;
    const lastOffset = baseOffset + header.lastOffsetDelta;
    if (this.shouldRoll(batch.length, lastOffset, nowMs)) this.roll();
    writeBaseOffset(batch, 0, baseOffset);
    if (leaderEpoch !== undefined) writeLeaderEpoch(batch, 0, leaderEpoch);
    this.active.append(batch, lastOffset, header.maxTimestamp, nowMs);
    this.flusher.noteAppend();
    return { baseOffset, lastOffset, maxTimestamp: header.maxTimestamp };
  }

  /** Resolves once every batch appended before the call is durable (see flush.ts). */
  durable(): Promise<void> {
    if (this.closing) return Promise.reject(closedError());
    return this.flusher.durable();
  }

  /**
   * Writes every batch from the one holding `offset` to the end again, in
   * place, and syncs it (in either flush mode). For a log reopened after a
   * failed fdatasync, from where the last good sync started (the failed
   * log's durableEndOffset): Linux may have marked the unsynced pages clean
   * without writing them, so a read still shows them and a plain sync skips
   * them. Rewritten they are dirty again, and the sync writes what a read
   * shows. Until it resolves, durableEndOffset is at most `offset`; if it
   * rejects, the log has failed like after any failed sync.
   */
  async rewriteFrom(offset: number): Promise<void> {
    this.assertWritable();
    if (offset >= this.endOffset) return;
    this.flusher.distrustFrom(offset);
    const first = this.segments.indexOf(this.segmentFor(Math.max(offset, this.startOffset)));
    try {
      for (const segment of this.segments.slice(first)) {
        // Retention may have deleted it meanwhile: what it held is no longer in the log to make durable.
        if (segment.baseOffset < this.startOffset) continue;
        await this.rewriteSegment(segment, offset);
      }
    } catch (error) {
      this.flusher.fail(error); // part of the tail may be rewritten, none of it is known to be on disk
      throw error;
    }
    this.flusher.noteAppend();
    await this.flusher.synced();
  }

  /** Held across the rewrite and its sync, so neither retention nor the descriptor cache closes the file in between. */
  private rewriteSegment(segment: LogSegment, offset: number): Promise<void> {
    return segment.using(async () => {
      await this.withSoundIndex(segment, () => segment.rewriteFrom(offset));
      if (segment !== this.active) await segment.syncData(); // sealed: the group commit syncs only the active segment
    });
  }

  /**
   * Every offset below this is on disk: the log's end when the last good
   * sync started (or when it was opened). It stays put once a sync failed.
   */
  get durableEndOffset(): number {
    return this.flusher.durableEndOffset;
  }

  /**
   * Whole batches from the one holding `offset`, up to maxBytes (at least one
   * batch however large), all from one segment. offset == endOffset gives
   * none; outside [startOffset, endOffset] throws OFFSET_OUT_OF_RANGE.
   */
  async read(offset: number, maxBytes: number): Promise<ReadResult> {
    this.assertOpen();
    if (!Number.isSafeInteger(offset) || offset < this.startOffset || offset > this.endOffset) {
      throw new ActorMqError('OFFSET_OUT_OF_RANGE', `offset ${offset} is outside the log [${this.startOffset}, ${this.endOffset}]`);
    }
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) throw new ActorMqError('INVALID_REQUEST', `maxBytes ${maxBytes} is not a byte count`);
    if (offset === this.endOffset) return { records: new Uint8Array(0), startOffset: offset, endOffset: offset };
    const segment = this.segmentFor(offset);
    return this.withSoundIndex(segment, () => segment.read(offset, maxBytes));
  }

  /** Headers of the batches at or after `offset` (a segment's base offset, or the log's start), oldest first (rebuilds producer state). */
  async batchHeadersFrom(offset: number): Promise<BatchHeader[]> {
    this.assertOpen();
    const headers: BatchHeader[] = [];
    // One segment at a time, so a long log stays within the descriptor cache's bound.
    for (const segment of this.segments.filter((candidate) => candidate.nextOffset > offset)) {
      // Retention may have deleted it meanwhile: its batches are no longer in the log.
      if (segment.baseOffset < this.startOffset) continue;
      await this.segmentHeaders(segment, headers);
    }
    return headers.filter((header) => header.baseOffset >= offset);
  }

  /** Deletes whole oldest segments past retentionBytes / retentionMs (never the active one). */
  applyRetention(): { deletedSegments: number; deletedBytes: number } {
    this.assertOpen();
    const deleted = this.deleteOldest(expiredSegmentCount(this.segments, this.options, this.options.clock()));
    if (deleted.deletedSegments > 0) this.logger.info('retention deleted segments', { ...deleted, startOffset: this.startOffset });
    return deleted;
  }

  /** Deletes the sealed segments that hold only offsets below `offset` (an owner that knows nothing below it is needed). */
  deleteSegmentsBelow(offset: number): { deletedSegments: number; deletedBytes: number } {
    this.assertOpen();
    let count = 0;
    while (count < this.segments.length - 1 && this.segments[count]!.nextOffset <= offset) count++;
    return this.deleteOldest(count);
  }

  private deleteOldest(count: number): { deletedSegments: number; deletedBytes: number } {
    let deletedBytes = 0;
    for (const segment of this.segments.splice(0, count)) {
      deletedBytes += segment.sizeBytes;
      this.sealedBytes -= segment.sizeBytes;
      const retired = segment.retire().catch((error: unknown) => this.logger.error('closing a deleted segment failed', { error }));
      this.retiring.add(retired);
      void retired.then(() => this.retiring.delete(retired));
    }
    return { deletedSegments: count, deletedBytes };
  }

  /** Syncs what was appended and closes every file once reads in flight finish. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.closeFiles();
    return this.closing;
  }

  private get active(): LogSegment {
    return this.segments[this.segments.length - 1]!;
  }

  private async closeFiles(): Promise<void> {
    try {
      await this.flusher.close();
    } finally {
      await Promise.all([...this.segments.map((segment) => segment.close()), ...this.retiring]);
    }
  }

  private shouldRoll(batchBytes: number, lastOffset: number, nowMs: number): boolean {
    const active = this.active;
    if (active.sizeBytes === 0) return false; // a batch larger than segmentBytes gets a segment to itself
    return active.sizeBytes + batchBytes > this.options.segmentBytes
      || nowMs - (active.rollStartMs ?? nowMs) > this.options.segmentMs
      || lastOffset - active.baseOffset > relativeOffsetMax;
  }

  private roll(): void {
    const sealed = this.active;
    try {
      sealed.seal();
    } catch (error) {
      this.flusher.fail(error); // its unsynced appends may be lost: none may be acknowledged now
      throw error;
    }
    this.segments.push(LogSegment.create(this.dir, sealed.nextOffset, this.options.indexIntervalBytes));
    sealed.useDescriptorCache(this.options.descriptorCache);
    this.sealedBytes += sealed.sizeBytes;
    this.onRoll?.(sealed.nextOffset);
    this.logger.debug('rolled segment', { sealedBaseOffset: sealed.baseOffset, sealedBytes: sealed.sizeBytes, baseOffset: sealed.nextOffset });
  }

  /** The segment whose range holds `offset` (startOffset ≤ offset < endOffset). */
  private segmentFor(offset: number): LogSegment {
    let low = 0;
    let high = this.segments.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >>> 1;
      if (this.segments[middle]!.baseOffset <= offset) low = middle;
      else high = middle - 1;
    }
    return this.segments[low]!;
  }

  /** Runs `work` on `segment`, once more after rebuilding its index if the index led it astray. */
  /** Retention may delete a segment while a read waits: what it held is now below the log's start. */
  private assertNotDeleted(segment: LogSegment): void {
    if (!this.segments.includes(segment)) throw new ActorMqError('OFFSET_OUT_OF_RANGE', `segment ${segment.baseOffset} was deleted while being read; the log starts at ${this.startOffset}`);
  }

  private async withSoundIndex<T>(segment: LogSegment, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      // Only a sealed segment's index comes from disk; the active one's was rebuilt by recovery.
      if (!(error instanceof StaleIndexError) || segment === this.active) throw error;
      this.assertOpen();
      this.assertNotDeleted(segment);
      this.logger.warn('offset index does not match its segment; rebuilding it', { baseOffset: segment.baseOffset, reason: error.message });
      await segment.rebuildIndex(this.options);
      this.assertOpen();
      this.assertNotDeleted(segment); // and while its index was rebuilt
      return work();
    }
  }

  /** Appends the headers of `segment`'s batches to `headers`. */
  private async segmentHeaders(segment: LogSegment, headers: BatchHeader[]): Promise<void> {
    const range = { fromPosition: 0, endPosition: segment.sizeBytes, firstOffset: segment.baseOffset };
    const end = await segment.using((fd) => scanBatches({ ...range, fd }, this.options, false, (batch) => headers.push(batch.header)));
    assert(end.problem === null, `segment ${segment.baseOffset} unreadable after recovery: ${end.problem}`);
  }

  private assertOpen(): void {
    if (this.closing) throw closedError();
  }

  private assertWritable(): void {
    this.assertOpen();
    const failure = this.flusher.failed;
    if (failure !== null) throw new ActorMqError('STORAGE_ERROR', 'an earlier sync failed; reopen the log from disk', { cause: failure });
  }
}

/**
 * Syncs the parent of each directory from `firstCreated` down to `dir`: a
 * segment's name is made durable in its directory (LogSegment.create), but
 * the directory's own name, and its parents', only by a sync of the parent.
 */
function syncCreatedDirectories(firstCreated: string, dir: string): void {
  const first = path.resolve(firstCreated);
  for (let created = path.resolve(dir); ; created = path.dirname(created)) {
    const parent = path.dirname(created);
    fsyncDirectory(parent);
    if (created === first || parent === created) return;
  }
}

function closedError(): ActorMqError {
  return new ActorMqError('NOT_READY', 'the partition log is closed');
}

/** Throws a RangeError naming the first option a log cannot run with; the broker checks topic settings with it before it stores them. */
export function checkLogOptions(options: LogOptions): void {
  const positive = ['segmentBytes', 'segmentMs', 'indexIntervalBytes', 'flushIntervalMs', 'maxBatchBytes', 'maxRecordsPerBatch'] as const;
  for (const name of positive) {
    if (!Number.isSafeInteger(options[name]) || options[name] <= 0) throw new RangeError(`log option ${name} must be a positive integer, got ${options[name]}`);
  }
  for (const name of ['retentionBytes', 'retentionMs'] as const) {
    if (!Number.isSafeInteger(options[name]) || options[name] < 0) throw new RangeError(`log option ${name} must be a non-negative integer (0 disables it), got ${options[name]}`);
  }
  if (options.segmentBytes > segmentBytesMax) throw new RangeError(`segmentBytes ${options.segmentBytes} exceeds ${segmentBytesMax}`);
  if (options.maxBatchBytes > segmentBytesMax) throw new RangeError(`maxBatchBytes ${options.maxBatchBytes} exceeds ${segmentBytesMax}`);
  if (options.flush !== 'sync' && options.flush !== 'interval') throw new RangeError(`log option flush must be 'sync' or 'interval', got ${String(options.flush)}`);
}
