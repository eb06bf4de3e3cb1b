/**
 * What a group has done with one partition between its committed offset and
 * the next offset never delivered: which offsets are out with which member
 * (and how often they were handed over), which wait for a redelivery, which
 * are acked. The committed offset is the lowest offset not yet acked.
 *
 * First deliveries are recorded as chunks (one per deliver frame), so the
 * common case — contiguous delivery, contiguous acks — costs O(1) per frame,
 * not per message. Redeliveries are single offsets in a map; they are rare.
 */
import { ActorMqError } from '../../protocol/errors.js';

interface Chunk {
  from: number;
  to: number;
  deliveryCount: number;
  /** Owner of every offset, or, in key mode, of each offset (index offset - from). */
  member: string | string[];
  /** Offsets in the chunk not yet acked or taken out. */
  open: number;
  /** 1 where an offset is acked or taken out; allocated on the first partial change. */
  closed: Uint8Array | undefined;
}

export interface Redelivery { deliveryCount: number; dueAtMs: number }
export interface TakenBack { offset: number; deliveryCount: number; member: string }

export class DeliveryLedger {
  private readonly chunks: Chunk[] = [];
  private head = 0;
  /** Single offsets redelivered and out with a member. */
  private readonly redelivered = new Map<number, { member: string; deliveryCount: number }>();
  /** Offsets waiting to be delivered again, with the count the next hand-over will have. */
  readonly waiting = new Map<number, Redelivery>();

  constructor(public next: number) {}

  /** Records a first delivery of [from, to]; `member` is one id or one per offset (key mode). */
  deliver(from: number, to: number, member: string | string[]): void {
    if (from !== this.next) throw new Error(`ledger: delivery from ${from} but next is ${this.next}`);
    this.chunks.push({ from, to, deliveryCount: 1, member, open: to - from + 1, closed: undefined });
    this.next = to + 1;
  }

  redeliver(offset: number, member: string): number {
    const entry = this.waiting.get(offset);
    if (!entry) throw new Error(`ledger: offset ${offset} is not waiting`);
    this.waiting.delete(offset);
    this.redelivered.set(offset, { member, deliveryCount: entry.deliveryCount });
    return entry.deliveryCount;
  }

  /** Acks [from, to] for `member`; every offset must be out with that member. Returns how many were acked. */
  ack(member: string, from: number, to: number): number {
    for (let offset = from; offset <= to;) offset = this.checkOutWith(member, offset, to);
    for (let offset = from; offset <= to;) offset = this.close(offset, to);
    this.dropClosedChunks();
    return to - from + 1;
  }

  /** Takes one offset back from `member` after a failed hand-over; returns its delivery count. */
  fail(member: string, offset: number): number {
    if (!this.isOutWith(offset, member)) throw new ActorMqError('NOT_DELIVERED', `offset ${offset} is not in flight to member ${member}`);
    const deliveryCount = this.deliveryCountOf(offset);
    this.close(offset, offset);
    this.dropClosedChunks();
    return deliveryCount;
  }

  /** Schedules `offset` for delivery again with `deliveryCount` at `dueAtMs`. */
  schedule(offset: number, deliveryCount: number, dueAtMs: number): void {
    this.waiting.set(offset, { deliveryCount, dueAtMs });
  }

  /** The offset left the waiting list for good (moved to the dead-letter topic). */
  settle(offset: number): void {
    this.waiting.delete(offset);
  }

  /** Skips offsets that retention deleted before they were delivered. */
  skipTo(offset: number): void {
    if (offset > this.next) this.next = offset;
  }

  /** Takes back every offset out with `member` (release, leave, loss). */
  takeBack(member: string): TakenBack[] {
    const taken: TakenBack[] = [];
    for (const [offset, entry] of this.redelivered) {
      if (entry.member === member) taken.push({ offset, deliveryCount: entry.deliveryCount, member });
    }
    for (let i = this.head; i < this.chunks.length; i++) {
      const chunk = this.chunks[i]!;
      if (chunk.open === 0) continue;
      for (let offset = chunk.from; offset <= chunk.to; offset++) {
        if (this.chunkOwner(chunk, offset) === member && !this.isClosed(chunk, offset)) taken.push({ offset, deliveryCount: chunk.deliveryCount, member });
      }
    }
    for (const { offset } of taken) this.close(offset, offset);
    this.dropClosedChunks();
    return taken;
  }

  /** Lowest offset not yet acked: everything below it is done. */
  committed(): number {
    let lowest = this.next;
    const chunk = this.chunks[this.head];
    if (chunk) lowest = Math.min(lowest, this.firstOpen(chunk));
    for (const offset of this.redelivered.keys()) if (offset < lowest) lowest = offset;
    for (const offset of this.waiting.keys()) if (offset < lowest) lowest = offset;
    return lowest;
  }

  memberOf(offset: number): string | undefined {
    const single = this.redelivered.get(offset);
    if (single) return single.member;
    const chunk = this.findChunk(offset);
    return chunk && !this.isClosed(chunk, offset) ? this.chunkOwner(chunk, offset) : undefined;
  }

  /** Checks offsets from `offset` (up to `to`) within one chunk are out with `member`; returns the next offset to check. */
  private checkOutWith(member: string, offset: number, to: number): number {
    const chunk = this.redelivered.has(offset) ? undefined : this.findChunk(offset);
    if (chunk && chunk.closed === undefined && chunk.open > 0 && chunk.member === member) return Math.min(to, chunk.to) + 1;
    if (!this.isOutWith(offset, member)) throw new ActorMqError('NOT_DELIVERED', `offset ${offset} is not in flight to member ${member}`);
    return offset + 1;
  }

  private isOutWith(offset: number, member: string): boolean {
    return this.memberOf(offset) === member;
  }

  private deliveryCountOf(offset: number): number {
    return this.redelivered.get(offset)?.deliveryCount ?? this.findChunk(offset)!.deliveryCount;
  }

  /** Closes offsets from `offset` up to `to` within one chunk (or one redelivered offset); returns the next offset. */
  private close(offset: number, to: number): number {
    if (this.redelivered.delete(offset)) return offset + 1;
    const chunk = this.findChunk(offset)!;
    const end = Math.min(to, chunk.to);
    if (!chunk.closed && offset === chunk.from && end === chunk.to) {
      chunk.open = 0; // the common case: a whole chunk acked at once
      return end + 1;
    }
    chunk.closed ??= new Uint8Array(chunk.to - chunk.from + 1);
    for (let o = offset; o <= end; o++) {
      if (chunk.closed[o - chunk.from] === 0) {
        chunk.closed[o - chunk.from] = 1;
        chunk.open--;
      } else {
        // Closed in its chunk when it failed or was taken back; a range acked over it closes its redelivery.
        this.redelivered.delete(o);
      }
    }
    return end + 1;
  }

  private chunkOwner(chunk: Chunk, offset: number): string {
    return typeof chunk.member === 'string' ? chunk.member : chunk.member[offset - chunk.from]!;
  }

  private isClosed(chunk: Chunk, offset: number): boolean {
    if (chunk.open === 0) return true;
    return chunk.closed !== undefined && chunk.closed[offset - chunk.from] === 1;
  }

  private firstOpen(chunk: Chunk): number {
    if (!chunk.closed) return chunk.from;
    for (let offset = chunk.from; offset <= chunk.to; offset++) if (chunk.closed[offset - chunk.from] === 0) return offset;
    return chunk.to + 1;
  }

  /** Binary search over the live chunks (sorted, disjoint). */
  private findChunk(offset: number): Chunk | undefined {
    let low = this.head;
    let high = this.chunks.length - 1;
    while (low <= high) {
      const middle = (low + high) >> 1;
      const chunk = this.chunks[middle]!;
      if (offset < chunk.from) high = middle - 1;
      else if (offset > chunk.to) low = middle + 1;
      else return chunk;
    }
    return undefined;
  }

  private dropClosedChunks(): void {
    while (this.head < this.chunks.length && this.chunks[this.head]!.open === 0) this.head++;
    // Compact now and then so the array does not grow with history.
    if (this.head > 1024 && this.head * 2 > this.chunks.length) {
      this.chunks.splice(0, this.head);
      this.head = 0;
    }
  }
}
