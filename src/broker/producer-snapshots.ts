/**
 * Snapshots of a partition's idempotent-producer state, taken whenever its
 * log rolls a segment (Kafka's approach): a restart loads the newest
 * snapshot the recovered log still covers and replays only the batch
 * headers stored after it, so the state is whole however many segments the
 * partition rolled while a producer was still retrying (rebuilding from the
 * newest segments alone forgot producers, and stored their retries twice).
 *
 * `<dir>/<offset, 20 digits>.producers`: a CRC-32 (4 bytes, big-endian) of
 * the msgpack body that follows; the state as of `offset`, the log's end
 * when it rolled — every batch below it is in sealed, synced segments.
 * Written atomically (temp file, fsync, rename, directory fsync); the newest
 * two are kept. A snapshot past the recovered log's end (its tail was lost)
 * describes a history the log no longer has: it is deleted, never loaded.
 */
import fs from 'node:fs';
import { join } from 'node:path';
import { crc32 } from '../protocol/crc32.js';
import { decodeValue, encodeValue } from '../protocol/value-codec.js';
import { writeFileDurable } from '../storage/durable-file.js';
import type { ProducerTableState } from './producer-state.js';

const suffix = '.producers';
const kept = 2;

export interface ProducerSnapshot { offset: number; state: ProducerTableState }

function snapshotPath(dir: string, offset: number): string {
  return join(dir, `${String(offset).padStart(20, '0')}${suffix}`);
}

/** Offsets of the snapshots in `dir`, newest first. */
function snapshotOffsets(dir: string): number[] {
  return fs.readdirSync(dir)
    .filter((name) => name.endsWith(suffix) && /^\d{20}$/.test(name.slice(0, -suffix.length)))
    .map((name) => Number(name.slice(0, -suffix.length)))
    .sort((a, b) => b - a);
}

export async function writeProducerSnapshot(dir: string, snapshot: ProducerSnapshot): Promise<void> {
  const body = encodeValue(snapshot.state).bytes;
  const bytes = new Uint8Array(4 + body.length);
  new DataView(bytes.buffer).setUint32(0, crc32(body));
  bytes.set(body, 4);
  await writeFileDurable(snapshotPath(dir, snapshot.offset), bytes);
  for (const offset of snapshotOffsets(dir).slice(kept)) fs.rmSync(snapshotPath(dir, offset), { force: true });
}

/**
 * The newest sound snapshot at or below `endOffset`, after deleting those
 * past it; undefined when there is none (the caller replays the whole log).
 */
export function readProducerSnapshot(dir: string, endOffset: number): ProducerSnapshot | undefined {
  for (const offset of snapshotOffsets(dir)) {
    const path = snapshotPath(dir, offset);
    if (offset > endOffset) {
      fs.rmSync(path, { force: true });
      continue;
    }
    const bytes = fs.readFileSync(path);
    if (bytes.length < 4 || crc32(bytes.subarray(4)) !== bytes.readUInt32BE(0)) continue; // torn or damaged: an older one will do
    return { offset, state: decodeValue(bytes.subarray(4), true) as ProducerTableState };
  }
  return undefined;
}
