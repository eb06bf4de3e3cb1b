/**
 * Fetch from one segment: find the batch that holds an offset, starting at
 * the position the offset index gives, and return whole batches from there.
 *
 * One fs.read into one buffer usually does it: the buffer covers maxBytes
 * plus the distance from the index entry to the wanted batch (at most about
 * indexIntervalBytes). Only when the wanted batch is larger than what was read
 * does a second read fetch it whole. No allocation per batch.
 */
import { batchHeaderBytes, batchLogOverheadBytes } from '../protocol/record-batch.js';
import { readFully } from './file-io.js';
import { assert, StorageInvariantError } from './assert.js';
import type { IndexEntry } from './offset-index.js';

export interface ReadResult {
  /** Whole batches back to back (may be empty). */
  records: Uint8Array;
  /** Base offset of the first batch returned (≤ the offset asked for). */
  startOffset: number;
  /** Offset after the last batch returned: where the next read continues. */
  endOffset: number;
}

export interface SegmentReadRequest {
  fd: number;
  /** Index entry at or before `offset`. */
  from: IndexEntry;
  /** Readable end of the segment, snapshotted before any await. */
  endPosition: number;
  offset: number;
  maxBytes: number;
  /** Bytes between index entries (how far the wanted batch may lie past `from`). */
  indexIntervalBytes: number;
}

/**
 * The index sent the read to a position where the expected batch does not
 * start: the index file (trusted on open, only its shape and last entry are
 * checked) is damaged. The owner rebuilds the index and retries.
 */
export class StaleIndexError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StaleIndexError';
  }
}

interface Located {
  /** Position in the buffer of the batch holding the offset, or of the first header not fully read. */
  at: number;
  baseOffset: number;
  sizeBytes: number;
  complete: boolean;
}

export async function readSegment(request: SegmentReadRequest): Promise<ReadResult> {
  let position = request.from.position;
  let expectedOffset = request.from.offset;
  let windowBytes = Math.max(request.maxBytes, 0) + request.indexIntervalBytes + batchHeaderBytes;
  for (;;) {
    assert(position < request.endPosition, `offset ${request.offset} lies past the end of its segment`);
    const buffer = Buffer.allocUnsafe(Math.min(windowBytes, request.endPosition - position));
    const bytesRead = await readFully(request.fd, buffer, position);
    assert(bytesRead === buffer.length, 'segment file is shorter than its recorded size');
    if (position === request.from.position && readBaseOffset(buffer, 0) !== request.from.offset) {
      throw new StaleIndexError(`index entry for offset ${request.from.offset} points at position ${position}, where offset ${readBaseOffset(buffer, 0)} starts`);
    }
    const located = locate(buffer, request.offset, expectedOffset);
    if (located.complete) return wholeBatches(buffer, located.at, request.maxBytes);
    assert(located.at > 0 || position + buffer.length < request.endPosition, `batch at position ${position} runs past the end of its segment`);
    position += located.at;
    expectedOffset = located.baseOffset;
    windowBytes = Math.max(located.sizeBytes, request.maxBytes);
  }
}

function locate(buffer: Buffer, offset: number, firstOffset: number): Located {
  let at = 0;
  let baseOffset = firstOffset;
  while (at + batchHeaderBytes <= buffer.length) {
    if (readBaseOffset(buffer, at) !== baseOffset) throw discontinuity(at, baseOffset); // not assert(): no message string per batch
    const sizeBytes = batchSize(buffer, at);
    const lastOffset = baseOffset + buffer.readInt32BE(at + lastOffsetDeltaField);
    if (lastOffset >= offset) return { at, baseOffset, sizeBytes, complete: at + sizeBytes <= buffer.length };
    baseOffset = lastOffset + 1;
    at += sizeBytes;
  }
  return { at, baseOffset, sizeBytes: batchHeaderBytes, complete: false };
}

/** The batch at `start` (whole, whatever its size) and the whole batches after it that fit in maxBytes. */
function wholeBatches(buffer: Buffer, start: number, maxBytes: number): ReadResult {
  const startOffset = readBaseOffset(buffer, start);
  let end = start;
  let endOffset = startOffset;
  while (end + batchHeaderBytes <= buffer.length) {
    const sizeBytes = batchSize(buffer, end);
    if (end + sizeBytes > buffer.length || (end > start && end + sizeBytes - start > maxBytes)) break;
    if (readBaseOffset(buffer, end) !== endOffset) throw discontinuity(end, endOffset);
    endOffset += buffer.readInt32BE(end + lastOffsetDeltaField) + 1;
    end += sizeBytes;
  }
  return { records: buffer.subarray(start, end), startOffset, endOffset };
}

function discontinuity(at: number, expectedOffset: number): StorageInvariantError {
  return new StorageInvariantError(`batch at buffer position ${at} does not start at offset ${expectedOffset}`);
}

// Field positions of the batch header (record-batch.ts), read with Buffer
// methods: batchSizeAt / readBatchHeader would allocate a DataView per batch.
const lengthField = 8;
const lastOffsetDeltaField = 23;

function batchSize(buffer: Buffer, at: number): number {
  return buffer.readInt32BE(at + lengthField) + batchLogOverheadBytes;
}

function readBaseOffset(buffer: Buffer, at: number): number {
  return buffer.readInt32BE(at) * 0x1_0000_0000 + buffer.readUInt32BE(at + 4);
}
