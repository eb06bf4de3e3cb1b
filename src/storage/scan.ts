/**
 * Batch scan: walks the batches of one segment file in order and stops at the
 * first one that is not sound, saying where and why. Recovery scans with CRC
 * checks (`checkBatch`); `recentBatchHeaders` and the check of a sealed
 * segment's tail read headers only.
 *
 * Beyond the batch itself, a sound batch starts exactly at the offset after
 * the previous one: baseOffset is outside the CRC, so contiguity is what
 * catches a damaged offset field.
 *
 * The file is read in chunks of `scanChunkBytes` into one reused buffer
 * (grown only to hold a batch larger than a chunk, at most maxBatchBytes).
 */
import {
  batchHeaderBytes, batchMagic, batchSizeAt, checkBatch, readBatchHeader,
  type BatchCheckLimits, type BatchHeader,
} from '../protocol/record-batch.js';
import { readFully } from './file-io.js';

/** 1 MiB: a 64 MiB segment scans in 64 reads, and a scan holds at most this (or one batch) in memory. */
export const scanChunkBytes = 1024 * 1024;

export interface ScanRange {
  fd: number;
  fromPosition: number;
  /** File position where the scan stops (exclusive): the file size, or a snapshot of it. */
  endPosition: number;
  /** Base offset the batch at fromPosition must have. */
  firstOffset: number;
}

export interface ScannedBatch {
  position: number;
  sizeBytes: number;
  header: BatchHeader;
}

export interface ScanEnd {
  /** Where the scan stopped: endPosition, or the start of the first unsound batch. */
  position: number;
  /** Offset the next batch would have had. */
  nextOffset: number;
  /** Why the batch at `position` is unsound, or null when the scan reached endPosition. */
  problem: string | null;
}

export async function scanBatches(
  range: ScanRange,
  limits: BatchCheckLimits,
  verifyCrc: boolean,
  visit: (batch: ScannedBatch) => void,
): Promise<ScanEnd> {
  const window = new ScanWindow(range.fd, range.endPosition);
  let position = range.fromPosition;
  let nextOffset = range.firstOffset;
  while (position < range.endPosition) {
    const batch = await nextBatch(window, position, limits, verifyCrc);
    if (typeof batch === 'string') return { position, nextOffset, problem: batch };
    if (batch.header.baseOffset !== nextOffset) {
      return { position, nextOffset, problem: `batch base offset ${batch.header.baseOffset}, expected ${nextOffset}` };
    }
    visit(batch);
    nextOffset = batch.header.baseOffset + batch.header.lastOffsetDelta + 1;
    position += batch.sizeBytes;
  }
  return { position, nextOffset, problem: null };
}

/** The batch at `position`, or why it is unsound. */
async function nextBatch(window: ScanWindow, position: number, limits: BatchCheckLimits, verifyCrc: boolean): Promise<ScannedBatch | string> {
  if (!(await window.holds(position, batchHeaderBytes))) return `${window.endPosition - position} bytes left, less than a batch header`;
  const sizeBytes = batchSizeAt(window.buffer, window.local(position));
  if (sizeBytes < batchHeaderBytes || sizeBytes > limits.maxBatchBytes) return `batch length field gives ${sizeBytes} bytes`;
  if (!verifyCrc) {
    if (sizeBytes > window.endPosition - position) return `batch of ${sizeBytes} bytes runs past the end (torn write)`;
    const header = readBatchHeader(window.buffer, window.local(position));
    const problem = headerProblem(header, limits);
    return problem ?? { position, sizeBytes, header };
  }
  if (!(await window.holds(position, sizeBytes))) return `batch of ${sizeBytes} bytes runs past the end (torn write)`;
  const check = checkBatch(window.buffer.subarray(0, window.local(position) + sizeBytes), window.local(position), limits, true);
  return check.ok ? { position, sizeBytes, header: check.header } : check.reason;
}

/** The header checks of `checkBatch` that do not need the records (sealed segments are trusted). */
function headerProblem(header: BatchHeader, limits: BatchCheckLimits): string | null {
  if (header.magic !== batchMagic) return `magic ${header.magic}, expected ${batchMagic}`;
  if (header.recordCount < 1 || header.recordCount > limits.maxRecordsPerBatch || header.lastOffsetDelta !== header.recordCount - 1) {
    return `record count ${header.recordCount} with last offset delta ${header.lastOffsetDelta}`;
  }
  return null;
}

/** A buffer holding file bytes [start, start + filled). */
class ScanWindow {
  buffer = Buffer.allocUnsafe(0);
  private start = 0;
  private filled = 0;

  constructor(
    private readonly fd: number,
    readonly endPosition: number,
  ) {}

  local(position: number): number {
    return position - this.start;
  }

  /** Makes bytes [position, position + bytes) available, reading a new chunk if needed; false past the end. */
  async holds(position: number, bytes: number): Promise<boolean> {
    if (position + bytes > this.endPosition) return false;
    if (position >= this.start && position + bytes <= this.start + this.filled) return true;
    const readBytes = Math.min(Math.max(scanChunkBytes, bytes), this.endPosition - position);
    if (this.buffer.length < readBytes) this.buffer = Buffer.allocUnsafe(readBytes);
    this.start = position;
    this.filled = await readFully(this.fd, this.buffer.subarray(0, readBytes), position);
    return bytes <= this.filled;
  }
}
