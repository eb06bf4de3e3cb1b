/**
 * Reads the records of one `deliver` frame, once: whole stored batches, of
 * which only the records whose offsets fall in the frame's ranges are for
 * this member (a batch may start before the first of them, and in key mode
 * hold records of other members). Each batch's header and CRC are checked
 * before its records are decoded. Every offset of the ranges ends up in
 * exactly one of three places, so none can be left unacknowledged:
 * - `record`: a message for the handler;
 * - `skip`: a record of a control batch (a transaction marker), not a message;
 * - `broken`: its batch is corrupt or missing from the frame.
 */
import { batchAttribute, batchHeaderBytes, batchSizeAt, checkBatch, visitRecords, type RecordVisitor } from '../protocol/record-batch.js';

export interface InboundSink {
  record: RecordVisitor;
  skip(offset: number): void;
  broken(offset: number, reason: string): void;
}

/** The frame's batches were checked by the broker when stored; no limit beyond the frame itself applies here. */
const readLimits = { maxBatchBytes: Number.MAX_SAFE_INTEGER, maxRecordsPerBatch: Number.MAX_SAFE_INTEGER };

export function readDelivery(records: Uint8Array, ranges: readonly number[], sink: InboundSink): void {
  const walker = new RangeWalker(ranges);
  const missing = (offset: number): void => sink.broken(offset, 'missing from its batch');
  const visit: RecordVisitor = (offset, timestamp, key, value, headers) => {
    walker.reach(offset, missing);
    if (walker.take(offset)) sink.record(offset, timestamp, key, value, headers);
  };
  for (let pos = 0; pos < records.length && !walker.done;) {
    const check = records.length - pos >= batchHeaderBytes ? checkBatch(records, pos, readLimits, false) : undefined;
    if (!check?.ok) {
      walker.rest((offset) => sink.broken(offset, `corrupt batch: ${check?.reason ?? 'truncated header'}`));
      return;
    }
    const { header } = check;
    const lastOffset = header.baseOffset + header.lastOffsetDelta;
    if ((header.attributes & batchAttribute.control) !== 0) {
      walker.through(lastOffset, (offset) => sink.skip(offset));
    } else {
      try {
        visitRecords(records, pos, { copyBytes: false, ranges }, visit);
      } catch (error) {
        walker.through(lastOffset, (offset) => sink.broken(offset, `undecodable record: ${(error as Error).message}`));
      }
      walker.through(lastOffset, missing);
    }
    pos += batchSizeAt(records, pos);
  }
  walker.rest((offset) => sink.broken(offset, 'missing from the frame'));
}

/** Walks the offsets of inclusive ranges [from, to, …] in ascending order. */
class RangeWalker {
  private index = 0;
  /** The next offset of the ranges not yet accounted for. */
  private next: number;

  constructor(private readonly ranges: readonly number[]) {
    this.next = ranges.length > 0 ? ranges[0]! : 0;
  }

  get done(): boolean {
    return this.index >= this.ranges.length;
  }

  /** Accounts for `offset` when it is the next one; false when it is not in the ranges. */
  take(offset: number): boolean {
    if (this.done || offset !== this.next) return false;
    this.advance();
    return true;
  }

  /** Hands every offset of the ranges below `offset` to `each`. */
  reach(offset: number, each: (offset: number) => void): void {
    while (!this.done && this.next < offset) {
      each(this.next);
      this.advance();
    }
  }

  /** Hands every offset of the ranges up to and including `offset` to `each`. */
  through(offset: number, each: (offset: number) => void): void {
    this.reach(offset + 1, each);
  }

  rest(each: (offset: number) => void): void {
    this.reach(Number.MAX_SAFE_INTEGER, each);
  }

  private advance(): void {
    if (this.next < this.ranges[this.index + 1]!) this.next++;
    else {
      this.index += 2;
      if (!this.done) this.next = this.ranges[this.index]!;
    }
  }
}
