/**
 * TimeIndex: `<baseOffset>.timeindex`, the largest timestamp of a sealed
 * segment, so that opening the log need not re-read sealed segments to know
 * their age (retention by time needs it).
 *
 * File format: entries back to back, 12 bytes each, big-endian (Kafka's time
 * index entry):
 *
 *   offset size field
 *        0    8 timestamp       int64, largest batch maxTimestamp so far (epoch ms)
 *        8    4 relativeOffset  uint32, last offset it covers - segment baseOffset
 *
 * Kafka writes entries sparsely to answer offset-for-time queries; we write
 * one, when the segment is sealed (rolled), and read the last. The active
 * segment has none: recovery scans it anyway. The file is not synced; when it
 * is missing or does not agree with the segment's last offset, recovery scans
 * the segment instead and writes it again.
 */
import fs from 'node:fs';
import { readBytesIfExists } from './file-io.js';

const timeIndexEntryBytes = 12;

export interface SegmentSeal {
  maxTimestamp: number;
  lastOffset: number;
}

export type TimeIndexLoad = { ok: true; seal: SegmentSeal } | { ok: false; reason: string };

export function writeTimeIndex(filePath: string, baseOffset: number, seal: SegmentSeal): void {
  const bytes = Buffer.allocUnsafe(timeIndexEntryBytes);
  bytes.writeBigInt64BE(BigInt(seal.maxTimestamp), 0);
  bytes.writeUInt32BE(seal.lastOffset - baseOffset, 8);
  fs.writeFileSync(filePath, bytes);
}

export function loadTimeIndex(filePath: string, baseOffset: number): TimeIndexLoad {
  const bytes = readBytesIfExists(filePath);
  if (bytes === null) return { ok: false, reason: 'time index file is missing' };
  if (bytes.length === 0 || bytes.length % timeIndexEntryBytes !== 0) {
    return { ok: false, reason: `time index size ${bytes.length} is not a positive multiple of ${timeIndexEntryBytes}` };
  }
  const last = bytes.length - timeIndexEntryBytes;
  return { ok: true, seal: { maxTimestamp: Number(bytes.readBigInt64BE(last)), lastOffset: baseOffset + bytes.readUInt32BE(last + 8) } };
}
