/**
 * Retention: which whole segments to delete, oldest first. Never the active
 * (newest) segment, which takes appends; never from the middle, so the log
 * stays one contiguous range of offsets (Kafka deletes the same way).
 *
 * - by size: while the log is larger than `retentionBytes`, the oldest
 *   segment goes (so afterwards the log fits, unless the active segment
 *   alone is larger);
 * - by age: while the oldest segment's largest timestamp is older than
 *   `nowMs - retentionMs`, it goes. A segment with a newer record stays, and
 *   so does everything after it.
 *
 * 0 disables either rule. Pure: the log deletes the files.
 */
export interface RetentionPolicy {
  retentionBytes: number;
  retentionMs: number;
}

export interface RetainedSegment {
  sizeBytes: number;
  /** Largest batch timestamp in the segment (epoch ms). */
  maxTimestamp: number;
}

/** How many of the oldest `segments` (oldest first, active last) to delete. */
export function expiredSegmentCount(segments: readonly RetainedSegment[], policy: RetentionPolicy, nowMs: number): number {
  let totalBytes = 0;
  for (const segment of segments) totalBytes += segment.sizeBytes;
  let count = 0;
  while (count < segments.length - 1) {
    const oldest = segments[count]!;
    const overSize = policy.retentionBytes > 0 && totalBytes > policy.retentionBytes;
    const tooOld = policy.retentionMs > 0 && oldest.maxTimestamp < nowMs - policy.retentionMs;
    if (!overSize && !tooOld) break;
    totalBytes -= oldest.sizeBytes;
    count++;
  }
  return count;
}
