/**
 * A record batch being built for one partition, and the size arithmetic
 * behind it. `bytes` is an upper bound of what `encodeRecordBatch` will
 * produce for the records, so a batch is sealed before it can outgrow
 * maxBatchBytes and is never split after the fact. The bound is exact except
 * for two varint slacks: each record's length prefix is sized as if its
 * timestamp delta took 8 bytes, and once a record carries its own timestamp
 * every record's delta counts 8 bytes (deltas are relative to the batch's
 * earliest timestamp, which a caller's timestamp can move far back).
 */
import type { ActorMqError } from '../protocol/errors.js';
import { batchHeaderBytes } from '../protocol/record-batch.js';
import { zigzagSize } from '../protocol/varint.js';
import type { PartitionState } from './partition-state.js';
import type { SendCall } from './send-call.js';
import type { Message } from './types.js';

/** A timestamp delta takes 1 byte when zero and up to 8 as a zigzag varint of a 53-bit number. */
const timestampSlackBytes = 7;

/** Bytes of one encoded record, given its body (everything after the length prefix except the offset delta). */
function recordBytes(body: number, index: number): number {
  const withOffsetDelta = body + zigzagSize(index);
  return zigzagSize(withOffsetDelta + timestampSlackBytes) + withOffsetDelta;
}

/** Upper bound of a batch holding only this record: what must fit under maxBatchBytes for the message to be sendable at all. */
export function singleRecordBatchBytes(body: number, timestamped: boolean): number {
  return batchHeaderBytes + recordBytes(body, 0) + (timestamped ? timestampSlackBytes : 0);
}

/** UTF-8 length of `text` without encoding it; a lone surrogate counts 3 bytes, like the U+FFFD TextEncoder writes for it. */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/**
 * Body bytes of a record (attributes, a 1-byte timestamp delta, key, value,
 * headers; not the offset delta, which depends on the batch). `keyLength` is
 * -1 without a key; `valueLength` the encoded value's length.
 */
export function recordBodyBytes(keyLength: number, valueLength: number, headers: Message['headers']): number {
  let body = 2 + (keyLength < 0 ? 1 : zigzagSize(keyLength) + keyLength) + zigzagSize(valueLength) + valueLength;
  let count = 0;
  for (const name in headers) {
    const nameBytes = utf8Length(name);
    const textBytes = utf8Length(headers[name]!);
    body += zigzagSize(nameBytes) + nameBytes + zigzagSize(textBytes) + textBytes;
    count++;
  }
  return body + zigzagSize(count);
}

export class ProducerBatch {
  /** The messages themselves, passed to encodeRecordBatch as they are. */
  readonly records: Message[] = [];
  /** For each record, its index in its call's results. */
  private readonly slots: number[] = [];
  /** Calls owning the records, run-length encoded: calls[k] owns the records before callEnds[k] not owned by calls[k - 1]. */
  private readonly calls: SendCall[] = [];
  private readonly callEnds: number[] = [];
  private recordBytesTotal = 0;
  private timestamped = false;
  /** Upper bound of the encoded batch size. */
  bytes = 0;
  /** Set at the first send; a resend transmits these same bytes, so the broker recognises a duplicate. */
  encoded: Uint8Array | null = null;
  /** Sends so far; drives the retry backoff. */
  attempts = 0;
  inFlight = false;
  /** Acknowledged or failed: every call has its outcome. */
  done = false;

  constructor(readonly state: PartitionState, readonly createdAtMs: number) {}

  /**
   * Appends a record whose body is `body` bytes, unless the batch would then
   * exceed `maxBytes` or `maxRecords`; an empty batch always takes it (the
   * caller has checked the record alone fits). Returns the bytes the batch
   * grew by, or -1 when the record does not fit.
   */
  tryAppend(message: Message, body: number, timestamped: boolean, call: SendCall, slot: number, maxBytes: number, maxRecords: number): number {
    const index = this.records.length;
    const nowTimestamped = this.timestamped || timestamped;
    const recordTotal = this.recordBytesTotal + recordBytes(body, index);
    const bytes = batchHeaderBytes + recordTotal + (nowTimestamped ? timestampSlackBytes * (index + 1) : 0);
    if (index > 0 && (bytes > maxBytes || index >= maxRecords)) return -1;
    const growth = bytes - this.bytes;
    this.recordBytesTotal = recordTotal;
    this.timestamped = nowTimestamped;
    this.bytes = bytes;
    this.records.push(message);
    this.slots.push(slot);
    if (this.calls[this.calls.length - 1] === call) this.callEnds[this.callEnds.length - 1] = index + 1;
    else {
      this.calls.push(call);
      this.callEnds.push(index + 1);
    }
    return growth;
  }

  /** The broker stored the records from `baseOffset` on: give each call its results. */
  complete(baseOffset: number): void {
    this.done = true;
    const topic = this.state.topic.name;
    const partition = this.state.partition;
    let start = 0;
    for (let k = 0; k < this.calls.length; k++) {
      const call = this.calls[k]!;
      const end = this.callEnds[k]!;
      if (!call.settled) {
        for (let i = start; i < end; i++) call.results[this.slots[i]!] = { topic, partition, offset: baseOffset + i };
        call.delivered(end - start);
      }
      start = end;
    }
  }

  /** Every call with a record here fails (a call is all or nothing). */
  fail(error: ActorMqError): void {
    this.done = true;
    for (const call of this.calls) call.fail(error);
  }
}
