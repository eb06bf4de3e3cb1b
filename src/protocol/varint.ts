/**
 * Zigzag variable-length integers (protobuf / Kafka record encoding).
 * Values are JavaScript numbers up to ±2^53; the fast path covers the
 * common small values with 32-bit operations.
 */
export function zigzagSize(value: number): number {
  let zz = value >= 0 ? value * 2 : -value * 2 - 1;
  let size = 1;
  while (zz >= 0x80) {
    zz = Math.floor(zz / 128);
    size++;
  }
  return size;
}

/** Writes `value` at `pos`; returns the position after it. */
export function writeZigzag(buf: Uint8Array, pos: number, value: number): number {
  let zz = value >= 0 ? value * 2 : -value * 2 - 1;
  if (zz < 0x10000000) {
    while (zz >= 0x80) {
      buf[pos++] = (zz & 0x7f) | 0x80;
      zz >>>= 7;
    }
    buf[pos++] = zz;
    return pos;
  }
  while (zz >= 0x80) {
    buf[pos++] = (zz % 128) | 0x80;
    zz = Math.floor(zz / 128);
  }
  buf[pos++] = zz;
  return pos;
}

/** A cursor over bytes; `pos` advances as values are read. */
export interface Cursor {
  buf: Uint8Array;
  pos: number;
  end: number;
}

export function readZigzag(cursor: Cursor): number {
  let result = 0;
  let multiplier = 1;
  for (let i = 0; i < 8; i++) {
    if (cursor.pos >= cursor.end) throw new RangeError('varint runs past the end of the record');
    const byte = cursor.buf[cursor.pos++]!;
    result += (byte & 0x7f) * multiplier;
    if (byte < 0x80) return result % 2 === 0 ? result / 2 : -(result + 1) / 2;
    multiplier *= 128;
  }
  throw new RangeError('varint longer than 8 bytes');
}
