/**
 * Record batch: the unit on the wire and on disk (Kafka v2 layout).
 *
 * All integers big-endian. Header, 61 bytes:
 *
 *   offset size field
 *        0    8 baseOffset       int64, assigned by the broker on append
 *        8    4 batchLength      int32, bytes after this field (total - 12)
 *       12    4 leaderEpoch      int32, assigned by the broker on append
 *       16    1 magic            int8, always 2
 *       17    4 crc              uint32, CRC-32 of bytes 21..end
 *       21    2 attributes       int16, bit 4 transactional, bit 5 control;
 *                                bits 0-2 compression (only 0 = none)
 *       23    4 lastOffsetDelta  int32, recordCount - 1
 *       27    8 baseTimestamp    int64, epoch ms of the first record
 *       35    8 maxTimestamp     int64, largest record timestamp
 *       43    8 producerId       int64, -1 when not idempotent
 *       51    2 producerEpoch    int16, -1 when not idempotent
 *       53    4 baseSequence     int32, -1 when not idempotent
 *       57    4 recordCount      int32
 *       61      records
 *
 * Because the CRC starts at `attributes`, the broker assigns baseOffset and
 * leaderEpoch by patching bytes in place, without recomputing it.
 *
 * Record (zigzag varints, as in Kafka):
 *   length varint (bytes after this field), attributes int8
 *   (bit 0 value is msgpack, else raw bytes; bit 1 key is UTF-8 text),
 *   timestampDelta varint, offsetDelta varint,
 *   keyLength varint (-1 = no key), key, valueLength varint, value,
 *   headerCount varint, then per header: keyLength, key, valueLength, value
 *   (UTF-8 strings).
 */
import { crc32 } from './crc32.js';
import { encodeUtf8, encodeValue, decodeUtf8Range, decodeValue } from './value-codec.js';
import { writeZigzag, zigzagSize, readZigzag, type Cursor } from './varint.js';

export const batchHeaderBytes = 61;
/** baseOffset + batchLength: the part not counted by batchLength. */
export const batchLogOverheadBytes = 12;
export const batchMagic = 2;
const crcStart = 21;

export const batchAttribute = { transactional: 0x10, control: 0x20, compressionMask: 0x07 } as const;
export const recordAttribute = { msgpackValue: 0x01, textKey: 0x02 } as const;

export interface BatchHeader {
  baseOffset: number;
  batchLength: number;
  leaderEpoch: number;
  magic: number;
  crc: number;
  attributes: number;
  lastOffsetDelta: number;
  baseTimestamp: number;
  maxTimestamp: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
}

export interface RecordInput {
  key?: string | Uint8Array | null;
  value: unknown;
  headers?: Record<string, string>;
  timestamp?: number;
}

export interface DecodedRecord {
  offset: number;
  timestamp: number;
  key: string | Uint8Array | null;
  value: unknown;
  headers: Record<string, string>;
}

export interface BatchProducer {
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
}

const noProducer: BatchProducer = { producerId: -1, producerEpoch: -1, baseSequence: -1 };

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function readInt64(dv: DataView, pos: number): number {
  return dv.getInt32(pos) * 0x1_0000_0000 + dv.getUint32(pos + 4);
}

function writeInt64(dv: DataView, pos: number, value: number): void {
  const high = Math.floor(value / 0x1_0000_0000);
  dv.setInt32(pos, high);
  dv.setUint32(pos + 4, value - high * 0x1_0000_0000);
}

/**
 * Per-record results of the encoder's sizing pass, kept in arrays reused
 * across calls (grown on demand) so encoding allocates nothing per record
 * beyond what encoding a non-byte value, a text key or headers takes. The
 * arrays of references are cleared after each call so they pin nothing.
 */
const scratch = {
  values: [] as Array<Uint8Array | undefined>,
  keys: [] as Array<Uint8Array | null | undefined>,
  headers: [] as Array<Uint8Array[] | undefined>,
  bodyBytes: new Int32Array(1024),
  attributes: new Uint8Array(1024),
};
const noHeaders: Uint8Array[] = [];

/** Sizes record `index`, leaving its encoded parts in `scratch`; returns its body size. */
function sizeRecord(record: RecordInput, index: number, timestampDelta: number): number {
  let attributes = 0;
  let value: Uint8Array;
  if (record.value instanceof Uint8Array) value = record.value;
  else {
    value = encodeValue(record.value).bytes;
    attributes = recordAttribute.msgpackValue;
  }
  let key: Uint8Array | null = null;
  if (typeof record.key === 'string') {
    key = encodeUtf8(record.key);
    attributes |= recordAttribute.textKey;
  } else if (record.key instanceof Uint8Array) {
    key = record.key;
  }
  let headers = noHeaders;
  if (record.headers) {
    headers = [];
    for (const name in record.headers) headers.push(encodeUtf8(name), encodeUtf8(record.headers[name]!));
  }
  let bodyBytes = 1 + zigzagSize(timestampDelta) + zigzagSize(index);
  bodyBytes += key ? zigzagSize(key.length) + key.length : 1;
  bodyBytes += zigzagSize(value.length) + value.length + zigzagSize(headers.length / 2);
  for (const part of headers) bodyBytes += zigzagSize(part.length) + part.length;
  scratch.values[index] = value;
  scratch.keys[index] = key;
  scratch.headers[index] = headers;
  scratch.attributes[index] = attributes;
  scratch.bodyBytes[index] = bodyBytes;
  return bodyBytes;
}

function writeBytes(out: Uint8Array, pos: number, bytes: Uint8Array): number {
  pos = writeZigzag(out, pos, bytes.length);
  out.set(bytes, pos);
  return pos + bytes.length;
}

/**
 * Encodes records into one batch with baseOffset 0; the broker assigns the
 * real offset. `now` is the timestamp of records that carry none.
 */
export function encodeRecordBatch(
  records: readonly RecordInput[],
  options: { now: number; producer?: BatchProducer; transactional?: boolean; control?: boolean },
): Uint8Array {
  const count = records.length;
  if (count === 0) throw new RangeError('a record batch holds at least one record');
  let baseTimestamp = Infinity;
  let maxTimestamp = -Infinity;
  for (let i = 0; i < count; i++) {
    const ts = records[i]!.timestamp ?? options.now;
    if (ts < baseTimestamp) baseTimestamp = ts;
    if (ts > maxTimestamp) maxTimestamp = ts;
  }
  if (scratch.bodyBytes.length < count) {
    scratch.bodyBytes = new Int32Array(count);
    scratch.attributes = new Uint8Array(count);
  }
  let total = batchHeaderBytes;
  try {
    for (let i = 0; i < count; i++) {
      const bodyBytes = sizeRecord(records[i]!, i, (records[i]!.timestamp ?? options.now) - baseTimestamp);
      total += zigzagSize(bodyBytes) + bodyBytes;
    }
    const out = new Uint8Array(total);
    let pos = batchHeaderBytes;
    for (let i = 0; i < count; i++) {
      const key = scratch.keys[i]!;
      const headers = scratch.headers[i]!;
      pos = writeZigzag(out, pos, scratch.bodyBytes[i]!);
      out[pos++] = scratch.attributes[i]!;
      pos = writeZigzag(out, pos, (records[i]!.timestamp ?? options.now) - baseTimestamp);
      pos = writeZigzag(out, pos, i);
      pos = key ? writeBytes(out, pos, key) : writeZigzag(out, pos, -1);
      pos = writeBytes(out, pos, scratch.values[i]!);
      pos = writeZigzag(out, pos, headers.length / 2);
      for (const part of headers) pos = writeBytes(out, pos, part);
    }
    writeBatchHeader(out, count, baseTimestamp, maxTimestamp, options);
    return out;
  } finally {
    scratch.values.fill(undefined, 0, count);
    scratch.keys.fill(undefined, 0, count);
    scratch.headers.fill(undefined, 0, count);
  }
}

/** Receives one record's framing: where its key, value and headers lie (`tailStart`..`end`), its attributes and timestamp delta. */
type RecordFrameVisitor = (tailStart: number, end: number, attributes: number, timestampDelta: number) => void;

/** Walks the records of a batch by their framing only; throws RangeError where a record runs past the batch. Returns how many. */
function walkRecordFrames(batch: Uint8Array, visit: RecordFrameVisitor): number {
  const cursor: Cursor = { buf: batch, pos: batchHeaderBytes, end: batch.length };
  let records = 0;
  while (cursor.pos < batch.length) {
    const length = readZigzag(cursor);
    const end = cursor.pos + length;
    if (length < 3 || end > batch.length) throw new RangeError(`record ${records} declares ${length} bytes, ${batch.length - cursor.pos} left in the batch`);
    cursor.end = end;
    const attributes = batch[cursor.pos++]!;
    const timestampDelta = readZigzag(cursor);
    readZigzag(cursor); // offset delta
    visit(cursor.pos, end, attributes, timestampDelta);
    cursor.pos = end;
    cursor.end = batch.length;
    records++;
  }
  return records;
}

function ignoreFrame(): void {}

/**
 * Why the records of a checked batch cannot be walked (a record length
 * running past the batch, a count other than the header's), or undefined:
 * checkBatch checks the header and CRC only; mergeBatches needs this too.
 */
export function recordFramingError(batch: Uint8Array): string | undefined {
  let records: number;
  try {
    records = walkRecordFrames(batch, ignoreFrame);
  } catch (error) {
    return (error as Error).message;
  }
  const declared = readBatchHeader(batch).recordCount;
  return records === declared ? undefined : `batch holds ${records} records, its header says ${declared}`;
}

/** The most a record's framing can grow when mergeBatches re-bases it: timestamp delta 1 → 8 bytes, offset delta 1 → 4, length +1. */
export const mergedRecordGrowthBytes = 7 + 3 + 1;

/**
 * One batch holding the records of `batches` in order, byte for byte: each
 * record's key, value and headers are copied as they are (never decoded and
 * re-encoded), only its timestamp and offset deltas are rewritten against
 * the new batch. At most `batchHeaderBytes + Σ (batch - header) +
 * mergedRecordGrowthBytes × records` long. The batches passed checkBatch
 * and recordFramingError.
 */
export function mergeBatches(batches: readonly Uint8Array[], options: { producer?: BatchProducer; transactional?: boolean }): Uint8Array {
  let baseTimestamp = Infinity;
  let maxTimestamp = -Infinity;
  let count = 0;
  for (const batch of batches) {
    const header = readBatchHeader(batch);
    baseTimestamp = Math.min(baseTimestamp, header.baseTimestamp);
    maxTimestamp = Math.max(maxTimestamp, header.maxTimestamp);
    count += header.recordCount;
  }
  if (count === 0) throw new RangeError('a record batch holds at least one record');
  // Sized in a first pass; each record's frame is kept as [tail start, tail end, timestamp delta, attributes].
  const frames = new Float64Array(count * 4);
  let total = batchHeaderBytes;
  let index = 0;
  for (const batch of batches) {
    const rebase = readBatchHeader(batch).baseTimestamp - baseTimestamp;
    walkRecordFrames(batch, (tailStart, end, attributes, timestampDelta) => {
      const delta = timestampDelta + rebase;
      const body = 1 + zigzagSize(delta) + zigzagSize(index) + (end - tailStart);
      total += zigzagSize(body) + body;
      frames[index * 4] = tailStart;
      frames[index * 4 + 1] = end;
      frames[index * 4 + 2] = delta;
      frames[index * 4 + 3] = attributes;
      index++;
    });
  }
  const out = new Uint8Array(total);
  let pos = batchHeaderBytes;
  index = 0;
  for (const batch of batches) {
    const records = readBatchHeader(batch).recordCount;
    for (let i = 0; i < records; i++, index++) {
      const tailStart = frames[index * 4]!;
      const tailEnd = frames[index * 4 + 1]!;
      const timestampDelta = frames[index * 4 + 2]!;
      pos = writeZigzag(out, pos, 1 + zigzagSize(timestampDelta) + zigzagSize(index) + (tailEnd - tailStart));
      out[pos++] = frames[index * 4 + 3]!;
      pos = writeZigzag(out, pos, timestampDelta);
      pos = writeZigzag(out, pos, index);
      out.set(batch.subarray(tailStart, tailEnd), pos);
      pos += tailEnd - tailStart;
    }
  }
  writeBatchHeader(out, count, baseTimestamp, maxTimestamp, options);
  return out;
}

function writeBatchHeader(out: Uint8Array, count: number, baseTimestamp: number, maxTimestamp: number, options: { producer?: BatchProducer; transactional?: boolean; control?: boolean }): void {
  const producer = options.producer ?? noProducer;
  let attributes = 0;
  if (options.transactional) attributes |= batchAttribute.transactional;
  if (options.control) attributes |= batchAttribute.control;
  const dv = view(out);
  writeInt64(dv, 0, 0);
  dv.setInt32(8, out.length - batchLogOverheadBytes);
  dv.setInt32(12, 0);
  dv.setInt8(16, batchMagic);
  dv.setInt16(21, attributes);
  dv.setInt32(23, count - 1);
  writeInt64(dv, 27, baseTimestamp);
  writeInt64(dv, 35, maxTimestamp);
  writeInt64(dv, 43, producer.producerId);
  dv.setInt16(51, producer.producerEpoch);
  dv.setInt32(53, producer.baseSequence);
  dv.setInt32(57, count);
  dv.setUint32(17, crc32(out.subarray(crcStart)));
}

/** Reads the fixed header at `pos`; the caller has checked 61 bytes are there. */
export function readBatchHeader(bytes: Uint8Array, pos = 0): BatchHeader {
  const dv = view(bytes);
  return {
    baseOffset: readInt64(dv, pos),
    batchLength: dv.getInt32(pos + 8),
    leaderEpoch: dv.getInt32(pos + 12),
    magic: dv.getInt8(pos + 16),
    crc: dv.getUint32(pos + 17),
    attributes: dv.getInt16(pos + 21),
    lastOffsetDelta: dv.getInt32(pos + 23),
    baseTimestamp: readInt64(dv, pos + 27),
    maxTimestamp: readInt64(dv, pos + 35),
    producerId: readInt64(dv, pos + 43),
    producerEpoch: dv.getInt16(pos + 51),
    baseSequence: dv.getInt32(pos + 53),
    recordCount: dv.getInt32(pos + 57),
  };
}

/** Total bytes of the batch starting at `pos` (header length field + 12). */
export function batchSizeAt(bytes: Uint8Array, pos: number): number {
  return view(bytes).getInt32(pos + 8) + batchLogOverheadBytes;
}

export function writeBaseOffset(bytes: Uint8Array, pos: number, baseOffset: number): void {
  writeInt64(view(bytes), pos, baseOffset);
}

export function writeLeaderEpoch(bytes: Uint8Array, pos: number, leaderEpoch: number): void {
  view(bytes).setInt32(pos + 12, leaderEpoch);
}

export type BatchCheck =
  | { ok: true; header: BatchHeader }
  | { ok: false; code: 'CORRUPT_BATCH' | 'MESSAGE_TOO_LARGE'; reason: string };

export interface BatchCheckLimits {
  maxBatchBytes: number;
  maxRecordsPerBatch: number;
}

/**
 * Checks that `bytes[pos..]` starts with one well-formed batch: the header is
 * consistent, the declared length fits, the CRC matches. Records are not
 * decoded. With `exact`, the batch must end exactly at the end of `bytes`.
 */
export function checkBatch(bytes: Uint8Array, pos: number, limits: BatchCheckLimits, exact: boolean): BatchCheck {
  const available = bytes.length - pos;
  if (available < batchHeaderBytes) return { ok: false, code: 'CORRUPT_BATCH', reason: `${available} bytes is shorter than a batch header` };
  const header = readBatchHeader(bytes, pos);
  const size = header.batchLength + batchLogOverheadBytes;
  if (header.magic !== batchMagic) return { ok: false, code: 'CORRUPT_BATCH', reason: `magic ${header.magic}, expected ${batchMagic}` };
  if (size < batchHeaderBytes) return { ok: false, code: 'CORRUPT_BATCH', reason: `batch length ${header.batchLength} is below the header size` };
  if (size > limits.maxBatchBytes) return { ok: false, code: 'MESSAGE_TOO_LARGE', reason: `batch of ${size} bytes exceeds maxBatchBytes ${limits.maxBatchBytes}` };
  if (size > available || (exact && size !== available)) return { ok: false, code: 'CORRUPT_BATCH', reason: `batch declares ${size} bytes, ${available} present` };
  if (header.recordCount < 1 || header.lastOffsetDelta !== header.recordCount - 1) {
    return { ok: false, code: 'CORRUPT_BATCH', reason: `record count ${header.recordCount} does not match last offset delta ${header.lastOffsetDelta}` };
  }
  if (header.recordCount > limits.maxRecordsPerBatch) {
    return { ok: false, code: 'MESSAGE_TOO_LARGE', reason: `${header.recordCount} records exceed maxRecordsPerBatch ${limits.maxRecordsPerBatch}` };
  }
  if ((header.attributes & batchAttribute.compressionMask) !== 0) return { ok: false, code: 'CORRUPT_BATCH', reason: 'compressed batches are not supported' };
  const actual = crc32(bytes.subarray(pos + crcStart, pos + size));
  if (actual !== header.crc) return { ok: false, code: 'CORRUPT_BATCH', reason: `CRC ${actual.toString(16)} does not match header ${header.crc.toString(16)}` };
  return { ok: true, header };
}

/** Reads a length (-1: null) and checks the bytes it announces are inside the record; returns the length. */
function readLength(cursor: Cursor): number {
  const length = readZigzag(cursor);
  if (length > 0 && cursor.pos + length > cursor.end) throw new RangeError('field runs past the end of the record');
  return length;
}

/**
 * `length` bytes at the cursor, as a copy or as a view. A plain Uint8Array
 * view, even over a Node Buffer: Buffer#subarray costs several times more,
 * and Buffer#slice does not copy.
 */
function takeBytes(cursor: Cursor, length: number, copy: boolean): Uint8Array {
  const { buf, pos } = cursor;
  cursor.pos += length;
  const bytes = new Uint8Array(buf.buffer, buf.byteOffset + pos, length);
  return copy ? Uint8Array.prototype.slice.call(bytes) : bytes;
}

function takeText(cursor: Cursor, length: number): string {
  const text = decodeUtf8Range(cursor.buf, cursor.pos, cursor.pos + length);
  cursor.pos += length;
  return text;
}

/** Receives one decoded record (no intermediate object: consumers build their own). */
export type RecordVisitor = (offset: number, timestamp: number, key: string | Uint8Array | null, value: unknown, headers: Record<string, string>) => void;

export interface VisitOptions {
  /**
   * Copy raw values and byte keys out of `bytes`. Without it they are views
   * into `bytes` — several times cheaper (a small copy allocates an
   * ArrayBuffer), but a value kept alive keeps the whole buffer alive.
   */
  copyBytes: boolean;
  /** Only records whose offsets fall in these inclusive ranges [from, to, …] (ascending) are decoded; the rest are skipped by length. */
  ranges?: readonly number[];
}

/** Decodes the records of the batch at `pos` and passes each to `visit`, in offset order. Throws RangeError on a malformed record. */
export function visitRecords(bytes: Uint8Array, pos: number, options: VisitOptions, visit: RecordVisitor): void {
  const header = readBatchHeader(bytes, pos);
  const cursor: Cursor = { buf: bytes, pos: pos + batchHeaderBytes, end: pos + header.batchLength + batchLogOverheadBytes };
  const { copyBytes, ranges } = options;
  let range = 0;
  for (let i = 0; i < header.recordCount; i++) {
    const length = readZigzag(cursor);
    const recordEnd = cursor.pos + length;
    if (recordEnd > cursor.end) throw new RangeError(`record ${i} runs past the end of the batch`);
    const attributes = bytes[cursor.pos++]!;
    const timestamp = header.baseTimestamp + readZigzag(cursor);
    const offset = header.baseOffset + readZigzag(cursor);
    if (ranges) {
      while (range < ranges.length && offset > ranges[range + 1]!) range += 2;
      if (range >= ranges.length) return;
      if (offset < ranges[range]!) {
        cursor.pos = recordEnd;
        continue;
      }
    }
    const keyLength = readLength(cursor);
    const key = keyLength < 0 ? null : attributes & recordAttribute.textKey ? takeText(cursor, keyLength) : takeBytes(cursor, keyLength, copyBytes);
    const valueLength = Math.max(0, readLength(cursor));
    const msgpack = (attributes & recordAttribute.msgpackValue) !== 0;
    const value = msgpack ? decodeValue(takeBytes(cursor, valueLength, false), true) : takeBytes(cursor, valueLength, copyBytes);
    const headerCount = readZigzag(cursor);
    const headers: Record<string, string> = {};
    for (let h = 0; h < headerCount; h++) {
      const name = takeText(cursor, Math.max(0, readLength(cursor)));
      const text = takeText(cursor, Math.max(0, readLength(cursor)));
      // Assigning `__proto__` would set the prototype instead of making a header.
      if (name === '__proto__') Object.defineProperty(headers, name, { value: text, enumerable: true, writable: true, configurable: true });
      else headers[name] = text;
    }
    if (cursor.pos !== recordEnd) throw new RangeError(`record ${i} length mismatch`);
    visit(offset, timestamp, key, value, headers);
  }
}

/** Decodes every record of the batch at `pos` (consumers and tools; not the broker's hot path). Bytes are copied out of `bytes`. */
export function decodeRecords(bytes: Uint8Array, pos = 0): DecodedRecord[] {
  const records: DecodedRecord[] = [];
  visitRecords(bytes, pos, { copyBytes: true }, (offset, timestamp, key, value, headers) => records.push({ offset, timestamp, key, value, headers }));
  return records;
}
