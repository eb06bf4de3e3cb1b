/**
 * Message values and keys. A `Uint8Array` value travels as its bytes; any
 * other value is msgpack-encoded and decoded back to the same value — except
 * that an object key `__proto__` comes back as `__proto_` (msgpackr's guard
 * against prototype pollution; docs/protocol.md says so). Keys are
 * strings (UTF-8) or bytes; a record attribute bit says which, so a string
 * key comes back as a string and a byte key as a `Uint8Array`.
 */
import { Packr } from 'msgpackr';

// Plain maps and no record structures: values must decode without shared state.
const valuePackr = new Packr({ useRecords: false, moreTypes: true });
const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

export function encodeValue(value: unknown): { bytes: Uint8Array; msgpack: boolean } {
  if (value instanceof Uint8Array) return { bytes: value, msgpack: false };
  return { bytes: valuePackr.pack(value), msgpack: true };
}

export function decodeValue(bytes: Uint8Array, msgpack: boolean): unknown {
  return msgpack ? valuePackr.unpack(bytes) : bytes;
}

export function encodeUtf8(text: string): Uint8Array {
  return utf8Encoder.encode(text);
}

/** Short ASCII strings (most keys and header names) are built in JS: a TextDecoder call costs more than the loop. */
const asciiFastPathBytes = 32;

export function decodeUtf8(bytes: Uint8Array): string {
  return decodeUtf8Range(bytes, 0, bytes.length);
}

/** Decodes bytes[start, end) without making a view for short ASCII text. */
export function decodeUtf8Range(bytes: Uint8Array, start: number, end: number): string {
  if (end - start <= asciiFastPathBytes) {
    let text = '';
    for (let i = start; i < end; i++) {
      const byte = bytes[i]!;
      if (byte >= 0x80) return utf8Decoder.decode(bytes.subarray(start, end));
      text += String.fromCharCode(byte);
    }
    return text;
  }
  return utf8Decoder.decode(bytes.subarray(start, end));
}
