/**
 * LogSegment: one file of a partition log, `<baseOffset>.log`, with its
 * offset index `<baseOffset>.index` and, once sealed, its time index
 * `<baseOffset>.timeindex`. baseOffset is written with 20 zero-padded digits,
 * so names sort like offsets (Kafka's naming).
 *
 * File format: record batches back to back, exactly the bytes that came on
 * the wire, with baseOffset (and leaderEpoch) patched in by the log. No
 * header, no padding: a segment is valid up to the end of its last sound
 * batch (see scan.ts for "sound").
 *
 * Writes are positional `fs.writeSync` calls into the page cache at the
 * recorded size, so a failed or torn write is overwritten by the next append
 * and never shifts later data. Durability comes from `syncData` (group
 * commit) or `seal` (roll). Recovery policy: see recovery.ts.
 *
 * Descriptors: the segment that takes appends keeps its descriptor open
 * until it is closed. Once sealed, a SegmentDescriptorCache decides: the
 * descriptor is opened on use and closed when it has been idle longest
 * (descriptor-cache.ts). Reads and syncs in flight hold it (`users`), so it
 * is closed (by the cache, or after a retire) only after they finish and is
 * never reused under them. A second, read-only descriptor is opened on the
 * first sync in slot 1 (two group-commit syncs at once, flush.ts) and closed
 * with the first, or once the sealed segment is idle.
 */
import fs from 'node:fs';
import path from 'node:path';
import { OffsetIndex } from './offset-index.js';
import type { CachedDescriptor, SegmentDescriptorCache } from './descriptor-cache.js';
import { writeTimeIndex } from './time-index.js';
import { readSegment, StaleIndexError, type ReadResult } from './read.js';
import { scanBatches } from './scan.js';
import { batchHeaderBytes, batchLogOverheadBytes, readBatchHeader, type BatchCheckLimits } from '../protocol/record-batch.js';
import { fdatasync, fsyncDirectory, readFully, unlinkIfExists, writeFully } from './file-io.js';
import { assert } from './assert.js';

const offsetDigits = 20;
export const logSuffix = '.log';
export const indexSuffix = '.index';
export const timeIndexSuffix = '.timeindex';
const logFileNamePattern = /^(\d{20})\.log$/;
/** A rewrite (`rewriteFrom`) reads and writes back this much at a time. */
const rewriteChunkBytes = 1024 * 1024;

export function segmentFileName(baseOffset: number, suffix: string): string {
  return String(baseOffset).padStart(offsetDigits, '0') + suffix;
}

/** Base offset of a `.log` file name, or undefined for any other file. */
export function parseLogFileName(name: string): number | undefined {
  const match = logFileNamePattern.exec(name);
  return match ? Number(match[1]) : undefined;
}

export interface SegmentState {
  sizeBytes: number;
  nextOffset: number;
  /** Largest batch maxTimestamp in the segment; -1 when empty. */
  maxTimestamp: number;
  /** Time the segment's age counts from (first append); undefined while empty. */
  rollStartMs: number | undefined;
  index: OffsetIndex;
}

export class LogSegment implements CachedDescriptor {
  readonly logPath: string;
  private state: SegmentState;
  /** Undefined while a sealed segment's descriptor is closed: the next use opens it. */
  private fd: number | undefined;
  /** Set once sealed: it closes the descriptor when idle. */
  private descriptorCache: SegmentDescriptorCache | undefined;
  private users = 0;
  private closeRequested = false;
  private retired = false;
  private closed: Promise<void> | null = null;
  private settleClose: (error: unknown) => void = () => {};
  /** Descriptors for sync slots above 0, opened on first use (each slot needs its own open file description). */
  private readonly syncDescriptors: number[] = [];

  constructor(
    readonly dir: string,
    readonly baseOffset: number,
    fd: number,
    state: SegmentState,
  ) {
    this.logPath = path.join(dir, segmentFileName(baseOffset, logSuffix));
    this.fd = fd;
    this.state = state;
  }

  /** A new, empty segment; its name is made durable before it is used. */
  static create(dir: string, baseOffset: number, indexIntervalBytes: number): LogSegment {
    const fd = fs.openSync(path.join(dir, segmentFileName(baseOffset, logSuffix)), 'wx+');
    const index = new OffsetIndex(path.join(dir, segmentFileName(baseOffset, indexSuffix)), baseOffset, indexIntervalBytes);
    index.rewriteIfStale();
    fsyncDirectory(dir);
    return new LogSegment(dir, baseOffset, fd, { sizeBytes: 0, nextOffset: baseOffset, maxTimestamp: -1, rollStartMs: undefined, index });
  }

  get sizeBytes(): number {
    return this.state.sizeBytes;
  }

  get nextOffset(): number {
    return this.state.nextOffset;
  }

  get maxTimestamp(): number {
    return this.state.maxTimestamp;
  }

  get rollStartMs(): number | undefined {
    return this.state.rollStartMs;
  }

  /** Writes one batch whose baseOffset is already patched to `nextOffset`. */
  append(batch: Uint8Array, lastOffset: number, maxTimestamp: number, nowMs: number): void {
    assert(this.descriptorCache === undefined && this.fd !== undefined, `segment ${this.baseOffset} is sealed`);
    const state = this.state;
    const position = state.sizeBytes;
    writeFully(this.fd, batch, position);
    state.index.onBatch(state.nextOffset, position);
    state.index.persistIfBehind();
    state.sizeBytes = position + batch.length;
    state.nextOffset = lastOffset + 1;
    if (maxTimestamp > state.maxTimestamp) state.maxTimestamp = maxTimestamp;
    state.rollStartMs ??= nowMs;
  }

  /** Whole batches from the one holding `offset` (which must lie in this segment). */
  async read(offset: number, maxBytes: number): Promise<ReadResult> {
    assert(offset >= this.baseOffset && offset < this.state.nextOffset, `offset ${offset} is not in segment ${this.baseOffset}`);
    const request = {
      from: this.state.index.lookup(offset),
      endPosition: this.state.sizeBytes,
      offset,
      maxBytes,
      indexIntervalBytes: this.state.index.intervalBytes,
    };
    return this.using((fd) => readSegment({ ...request, fd }));
  }

  /**
   * Replaces the index with one rebuilt from the batches (headers only), for
   * a sealed segment whose index file turned out damaged.
   */
  async rebuildIndex(limits: BatchCheckLimits): Promise<void> {
    const index = new OffsetIndex(this.sidePath(indexSuffix), this.baseOffset, this.state.index.intervalBytes);
    const range = { fromPosition: 0, endPosition: this.state.sizeBytes, firstOffset: this.baseOffset };
    const end = await this.using((fd) => scanBatches({ ...range, fd }, limits, false, (batch) => index.onBatch(batch.header.baseOffset, batch.position)));
    assert(end.problem === null && end.nextOffset === this.state.nextOffset, `segment ${this.baseOffset} changed under its index: ${end.problem}`);
    if (this.retired) return; // retention deleted the segment meanwhile: writing its index would leave an orphan file
    index.rewriteIfStale();
    this.state.index = index;
  }

  /**
   * Reads the bytes from the batch holding `offset` (or from the start when the
   * segment begins after it) to the end, and writes them back in place: they
   * are dirty pages again, so the next sync writes them (PartitionLog.rewriteFrom).
   */
  rewriteFrom(offset: number): Promise<void> {
    // One hold for the whole rewrite: no write goes to a descriptor closed (and perhaps reused) after its read.
    return this.using(async (fd) => {
      const from = offset <= this.baseOffset ? 0 : await this.positionOf(fd, offset);
      const chunk = new Uint8Array(Math.min(rewriteChunkBytes, Math.max(0, this.state.sizeBytes - from)));
      for (let position = from; position < this.state.sizeBytes; position += chunk.length) {
        const bytes = chunk.subarray(0, Math.min(chunk.length, this.state.sizeBytes - position));
        const read = await readFully(fd, bytes, position);
        assert(read === bytes.length, `segment ${this.baseOffset} is shorter than its ${this.state.sizeBytes} bytes`);
        writeFully(fd, bytes, position);
      }
    });
  }

  /**
   * File position of the batch holding `offset`: walks the batch headers from
   * the index entry at or before it (about indexIntervalBytes at most).
   * Throws StaleIndexError when the index led astray, as a read does.
   */
  private async positionOf(fd: number, offset: number): Promise<number> {
    assert(offset < this.state.nextOffset, `offset ${offset} is not in segment ${this.baseOffset}`);
    const header = new Uint8Array(batchHeaderBytes);
    let { position, offset: expectedOffset } = this.state.index.lookup(offset);
    for (;;) {
      assert(position + batchHeaderBytes <= this.state.sizeBytes, `segment ${this.baseOffset} ends before offset ${offset}`);
      await readFully(fd, header, position);
      const { baseOffset, lastOffsetDelta, batchLength } = readBatchHeader(header);
      if (baseOffset !== expectedOffset) throw new StaleIndexError(`segment ${this.baseOffset}: batch at position ${position} starts at offset ${baseOffset}, expected ${expectedOffset}`);
      if (baseOffset + lastOffsetDelta >= offset) return position;
      position += batchLength + batchLogOverheadBytes;
      expectedOffset = baseOffset + lastOffsetDelta + 1;
    }
  }

  /** Runs `work` with the descriptor, held open until it settles (opened first when the cache had closed it). */
  async using<T>(work: (fd: number) => Promise<T>): Promise<T> {
    // After a close or retire only those holding it already may use it again (a rewrite holds it across its sync).
    assert(!this.closeRequested || this.users > 0, `segment ${this.baseOffset} used after close`);
    this.users++;
    try {
      return await work(this.openDescriptor());
    } finally {
      this.users--;
      if (this.users === 0) this.becameIdle();
    }
  }

  /**
   * From now on the segment is only read (sealed): `cache` closes its
   * descriptor when it has been idle longest, and the next use opens it again.
   */
  useDescriptorCache(cache: SegmentDescriptorCache): void {
    assert(this.descriptorCache === undefined && this.fd !== undefined, `segment ${this.baseOffset} already gave its descriptor to a cache`);
    this.descriptorCache = cache;
    cache.touch(this);
    if (this.users === 0) this.becameIdle();
  }

  releaseDescriptor(): boolean {
    if (this.users > 0) return false;
    this.closeDescriptors();
    return true;
  }

  /**
   * fdatasync off the event loop: covers every append made before the call.
   * Concurrent calls must use different slots (flush.ts says why).
   */
  syncData(slot = 0): Promise<void> {
    return this.using((fd) => fdatasync(slot === 0 ? fd : this.syncDescriptor(slot)));
  }

  private syncDescriptor(slot: number): number {
    // A file opened after a writeback error that nobody has seen yet still reports it (Linux errseq), so opening late is safe.
    this.syncDescriptors[slot - 1] ??= fs.openSync(this.logPath, 'r');
    return this.syncDescriptors[slot - 1]!;
  }

  /**
   * Makes the segment read-only for good: data synced (before the next
   * segment takes appends), index written, time index written.
   */
  seal(): void {
    assert(this.descriptorCache === undefined && this.fd !== undefined, `segment ${this.baseOffset} is sealed already`);
    fs.fdatasyncSync(this.fd);
    this.state.index.persist();
    writeTimeIndex(this.sidePath(timeIndexSuffix), this.baseOffset, { maxTimestamp: this.state.maxTimestamp, lastOffset: this.state.nextOffset - 1 });
  }

  /** Deletes the segment's files now (open descriptors keep reads working) and closes once idle. */
  retire(): Promise<void> {
    this.retired = true;
    unlinkIfExists(this.logPath);
    unlinkIfExists(this.sidePath(indexSuffix));
    unlinkIfExists(this.sidePath(timeIndexSuffix));
    return this.close();
  }

  /** Writes the index behind and closes the descriptor once no read or sync holds it. Idempotent. */
  close(): Promise<void> {
    if (this.closed) return this.closed;
    this.closeRequested = true;
    this.closed = new Promise((resolve, reject) => (this.settleClose = (error) => (error ? reject(error) : resolve())));
    if (this.users === 0) this.closeNow();
    return this.closed;
  }

  sidePath(suffix: string): string {
    return path.join(this.dir, segmentFileName(this.baseOffset, suffix));
  }

  /** The descriptor, opened again if the cache closed it; the caller holds it (`users`). */
  private openDescriptor(): number {
    if (this.fd !== undefined) {
      this.descriptorCache?.touch(this);
      return this.fd;
    }
    const cache = this.descriptorCache;
    assert(cache !== undefined, `segment ${this.baseOffset} takes appends and closed its descriptor`);
    this.fd = fs.openSync(this.logPath, 'r+');
    cache.touch(this);
    cache.trim(); // makes room now: this one is held, so it stays
    return this.fd;
  }

  private becameIdle(): void {
    if (this.closeRequested) return this.closeNow();
    if (this.descriptorCache === undefined) return;
    this.closeSyncDescriptors(); // only group commit on the active segment syncs in slots above 0
    this.descriptorCache.trim();
  }

  private closeNow(): void {
    let failure: unknown = null;
    try {
      if (!this.retired) this.state.index.persist();
    } catch (error) {
      failure = error;
    }
    this.closeDescriptors();
    this.descriptorCache?.forget(this);
    this.settleClose(failure);
  }

  private closeDescriptors(): void {
    this.closeSyncDescriptors();
    const fd = this.fd;
    this.fd = undefined; // forgotten first: a close that throws must not leave it to be closed twice
    if (fd !== undefined) fs.closeSync(fd);
  }

  private closeSyncDescriptors(): void {
    while (this.syncDescriptors.length > 0) fs.closeSync(this.syncDescriptors.pop()!);
  }
}
