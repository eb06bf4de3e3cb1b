/**
 * Coalesces acknowledgements. Per partition, acked offsets collect as
 * inclusive ranges [from, to, …] (consecutive offsets extend the last range,
 * so in-order acks cost one comparison each); each flush sends one ack frame
 * per partition that has any. A flush happens `flushDelayMs` after the first
 * pending ack, at once when `maxPendingAcks` are pending, and on demand
 * before a release or a leave, which must reach the broker after the acks
 * (frames of one connection are handled in the order sent).
 */

/** The acks of one partition waiting for the next flush. */
export class PendingAcks {
  ranges: number[] = [];
  /** False once an offset arrived below the last range (key and none ordering): the flush sorts. */
  sorted = true;
  queued = false;

  constructor(readonly topic: string, readonly partition: number) {}
}

export type SendAcks = (topic: string, partition: number, ranges: number[]) => void;

/** How long the first pending ack may wait for company. */
const flushDelayMs = 1;

export class AckBatcher {
  private readonly dirty: PendingAcks[] = [];
  private pending = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly send: SendAcks, private readonly maxPendingAcks: number) {}

  add(acks: PendingAcks, offset: number): void {
    const ranges = acks.ranges;
    const last = ranges.length - 1;
    if (last > 0 && ranges[last] === offset - 1) ranges[last] = offset;
    else {
      if (last > 0 && offset < ranges[last]!) acks.sorted = false;
      ranges.push(offset, offset);
    }
    if (!acks.queued) {
      acks.queued = true;
      this.dirty.push(acks);
    }
    if (++this.pending >= this.maxPendingAcks) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), flushDelayMs);
  }

  /** Sends every pending ack now. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = 0;
    for (const acks of this.dirty.splice(0)) this.sendOne(acks);
  }

  /** Sends the pending acks of one partition now (before its release). */
  flushPartition(acks: PendingAcks): void {
    if (!acks.queued) return;
    this.dirty.splice(this.dirty.indexOf(acks), 1);
    this.pending -= countOffsets(acks.ranges);
    this.sendOne(acks);
  }

  /** Forgets everything pending (the membership ended: these acks can no longer be made). */
  clear(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = 0;
    for (const acks of this.dirty.splice(0)) reset(acks);
  }

  private sendOne(acks: PendingAcks): void {
    const ranges = acks.sorted ? acks.ranges : mergeRanges(acks.ranges);
    reset(acks);
    this.send(acks.topic, acks.partition, ranges);
  }
}

function reset(acks: PendingAcks): void {
  acks.ranges = [];
  acks.sorted = true;
  acks.queued = false;
}

function countOffsets(ranges: readonly number[]): number {
  let count = 0;
  for (let i = 0; i < ranges.length; i += 2) count += ranges[i + 1]! - ranges[i]! + 1;
  return count;
}

/** Sorts disjoint inclusive ranges and joins the ones that touch. */
export function mergeRanges(ranges: readonly number[]): number[] {
  const pairs: Array<[number, number]> = [];
  for (let i = 0; i < ranges.length; i += 2) pairs.push([ranges[i]!, ranges[i + 1]!]);
  pairs.sort((a, b) => a[0] - b[0]);
  const merged: number[] = [];
  for (const [from, to] of pairs) {
    if (merged.length > 0 && merged[merged.length - 1] === from - 1) merged[merged.length - 1] = to;
    else merged.push(from, to);
  }
  return merged;
}
