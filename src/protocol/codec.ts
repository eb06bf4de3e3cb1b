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
