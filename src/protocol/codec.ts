/**
 * Frame codec: one msgpack map per WebSocket binary message. Plain maps (no
 * msgpackr records), so any msgpack library can speak the protocol; byte
 * fields are msgpack bin and decode to Uint8Array.
 */
import { Packr, Unpackr } from 'msgpackr';

const framePackr = new Packr({ useRecords: false });
// mapsAsObjects: maps decode to plain objects; int64AsType number: offsets are numbers.
const frameUnpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'number' });

export function encodeFrame(frame: object): Uint8Array {
  return framePackr.pack(frame);
}

/** Throws on bytes that are not exactly one msgpack value. */
export function decodeFrame(bytes: Uint8Array): unknown {
  return frameUnpackr.unpack(bytes);
}

const recordsKey = new Uint8Array([0xa7, ...new TextEncoder().encode('records')]); // fixstr 7
const binHeaderBytes = 5; // bin 32: 0xc6 + uint32 length

/**
 * A frame with a large byte field, as the head of one msgpack map whose last
 * value is `records`: the caller sends the head and then the records bytes
 * themselves as the rest of the same WebSocket message (two fragments), so
 * the records — up to a megabyte per delivery — are never copied into a
 * frame buffer. Head + records decode to exactly what `encodeFrame(frame)`
 * does (the key order differs).
 */
export function encodeHeadBefore(frame: { records: Uint8Array }): Uint8Array {
  const { records, ...fields } = frame;
  const map = framePackr.pack(fields);
  // The map msgpackr wrote with one more entry: the records key and bin 32 header come last.
  const head = new Uint8Array(map.length + recordsKey.length + binHeaderBytes);
  const view = new DataView(head.buffer);
  head.set(map);
  view.setUint16(1, mapEntries(map) + 1);
  let pos = map.length;
  head.set(recordsKey, pos);
  pos += recordsKey.length;
  head[pos] = 0xc6;
  view.setUint32(pos + 1, records.length);
  return head;
}

/** Entries of the msgpack map at the start of `bytes`: msgpackr writes every object as a map 16 (unless told variableMapSize). */
function mapEntries(bytes: Uint8Array): number {
  if (bytes[0] !== 0xde) throw new RangeError(`expected a map 16 from msgpackr, got 0x${bytes[0]!.toString(16)}`);
  const count = (bytes[1]! << 8) | bytes[2]!;
  if (count === 0xffff) throw new RangeError('a frame with records has fewer than 65,535 other fields');
  return count;
}
