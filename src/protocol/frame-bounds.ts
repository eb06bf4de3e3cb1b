/**
 * Bounds that keep the broker's pushes within maxFrameBytes, computed once
 * from the limits (assertLimitsConsistent checks they leave room).
 *
 * A deliver frame is its head (group, member id, topic, partition, ranges,
 * deliveryCount; see codec.encodeHeadBefore) and then the records as read
 * from the log. A read returns whole batches up to its maxBytes, past it
 * only when the first batch alone is larger, and no batch is larger than
 * maxBatchBytes; `ranges` names at most two integers per offset.
 */
import { encodeHeadBefore } from './codec.js';
import { arrayHeaderGrowthBytes, widestInteger } from './answer-room.js';

/** Largest records payload a delivery reads: larger reads copy and hold more than a member's window usually takes. */
export const maxDeliverReadBytes = 1024 * 1024;
/** An offset alone in `ranges` is a pair [offset, offset] of integers of up to 9 bytes (uint 64) each. */
export const rangeBytesPerOffset = 18;

export interface DeliverBounds {
  /** maxBytes of a delivery's read. */
  readMaxBytes: number;
  /** Offsets one deliver frame may name in `ranges` (a first delivery of `partition` or `none` ordering names one range). */
  maxRangedOffsets: number;
}

/** Bytes of a deliver frame besides its records and the items of its ranges, with integers at their widest. */
export function deliverHeadBytes(group: string, memberId: string, topic: string): number {
  const frame = { type: 'deliver', group, memberId, topic, partition: widestInteger, ranges: [], deliveryCount: widestInteger, records: new Uint8Array(0) };
  return encodeHeadBefore(frame).length + arrayHeaderGrowthBytes;
}

/**
 * Records take at least half of what the head leaves of the frame (the
 * read never asks for more than maxDeliverReadBytes), ranges the rest
 * beside the largest records a read returns. `headBytes`: the head with
 * the longest names the broker allows.
 */
export function deliverBounds(maxFrameBytes: number, maxBatchBytes: number, headBytes: number): DeliverBounds {
  const roomBytes = maxFrameBytes - headBytes;
  const readMaxBytes = Math.min(maxDeliverReadBytes, Math.max(maxBatchBytes, Math.floor(roomBytes / 2)));
  const recordsMaxBytes = Math.max(readMaxBytes, maxBatchBytes);
  return { readMaxBytes, maxRangedOffsets: Math.floor((roomBytes - recordsMaxBytes) / rangeBytesPerOffset) };
}
