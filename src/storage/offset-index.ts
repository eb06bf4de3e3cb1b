/**
 * OffsetIndex: the sparse offset index of one segment, `<baseOffset>.index`.
 *
 * File format: entries back to back, 8 bytes each, big-endian:
 *
 *   offset size field
 *        0    4 relativeOffset  uint32, batch baseOffset - segment baseOffset
 *        4    4 position        uint32, byte position of that batch in the .log
 *
 * Rule (deterministic, so an index can be rebuilt from its segment and
 * compared byte for byte): a batch gets an entry when it starts at least
 * `indexIntervalBytes` after the last indexed batch, or after position 0 when
 * there is none. The batch at position 0 is never indexed: a lookup below the
 * first entry starts at the segment's beginning.
 *
 * Entries live in memory; the file is written behind them in groups of
 * `persistEntriesMax` and when the segment is sealed or closed. The file is
 * never synced: after a crash it may lag or be torn, and recovery rebuilds
 * it (see recovery.ts), so it is a cache, never the source of truth.
 */
import fs from 'node:fs';
import { readBytesIfExists, writeFully } from './file-io.js';
import { assert } from './assert.js';

export const indexEntryBytes = 8;
/** 512 entries = one 4 KiB write per ~2 MiB of log at the default interval: O(1) amortised per append. */
const persistEntriesMax = 512;
const initialEntriesMax = 64;

export interface IndexEntry {
  /** Base offset of the indexed batch. */
  offset: number;
  position: number;
}

export type IndexLoad = { ok: true; index: OffsetIndex } | { ok: false; reason: string };

export class OffsetIndex {
  /** relativeOffset, position pairs; grows by doubling (bounded by segmentBytes / indexIntervalBytes). */
  private entries = new Uint32Array(2 * initialEntriesMax);
  private count = 0;
  private persistedCount = 0;

  constructor(
    readonly filePath: string,
    readonly baseOffset: number,
    readonly intervalBytes: number,
  ) {}

  /**
   * Loads an existing file and checks its shape against a segment of
   * `segmentBytes`: whole entries, strictly increasing, inside the segment.
   * Whether entries point at real batches is checked by the caller.
   */
  static load(filePath: string, baseOffset: number, intervalBytes: number, segmentBytes: number): IndexLoad {
    const bytes = readBytesIfExists(filePath);
    if (bytes === null) return { ok: false, reason: 'index file is missing' };
    if (bytes.length % indexEntryBytes !== 0) return { ok: false, reason: `index size ${bytes.length} is not a multiple of ${indexEntryBytes}` };
    const index = new OffsetIndex(filePath, baseOffset, intervalBytes);
    let previous: IndexEntry = { offset: baseOffset, position: 0 };
    for (let at = 0; at < bytes.length; at += indexEntryBytes) {
      const entry = { offset: baseOffset + bytes.readUInt32BE(at), position: bytes.readUInt32BE(at + 4) };
      if (entry.offset <= previous.offset || entry.position <= previous.position || entry.position >= segmentBytes) {
        return { ok: false, reason: `index entry ${at / indexEntryBytes} (offset ${entry.offset}, position ${entry.position}) is out of order or past the segment` };
      }
      index.push(entry.offset, entry.position);
      previous = entry;
    }
    index.persistedCount = index.count;
    return { ok: true, index };
  }

  get entryCount(): number {
    return this.count;
  }

  /** Called for every batch of the segment, in order, whether appended or scanned. */
  onBatch(batchBaseOffset: number, position: number): void {
    const lastPosition = this.count === 0 ? 0 : this.entries[2 * this.count - 1]!;
    if (position - lastPosition >= this.intervalBytes) this.push(batchBaseOffset, position);
  }

  /** Writes entries behind once enough are pending (the append path calls this). */
  persistIfBehind(): void {
    if (this.count - this.persistedCount >= persistEntriesMax) this.persist();
  }

  /** The indexed batch with the largest base offset ≤ `offset` (or the segment start). */
  lookup(offset: number): IndexEntry {
    const relative = offset - this.baseOffset;
    let low = 0;
    let high = this.count - 1;
    let found = -1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      if (this.entries[2 * middle]! <= relative) {
        found = middle;
        low = middle + 1;
      } else {
        high = middle - 1;
      }
    }
    return this.entryAt(found);
  }

  lastEntry(): IndexEntry {
    return this.entryAt(this.count - 1);
  }

  /** Writes the entries not yet in the file. */
  persist(): void {
    if (this.persistedCount === this.count) return;
    const fd = fs.openSync(this.filePath, fs.constants.O_WRONLY | fs.constants.O_CREAT);
    try {
      writeFully(fd, this.toBytes(this.persistedCount), this.persistedCount * indexEntryBytes);
    } finally {
      fs.closeSync(fd);
    }
    this.persistedCount = this.count;
  }

  /** Makes the file hold exactly these entries (after a rebuild); true when it had to be rewritten. */
  rewriteIfStale(): boolean {
    const bytes = readBytesIfExists(this.filePath);
    const stale = bytes === null || !bytes.equals(this.toBytes(0));
    if (stale) fs.writeFileSync(this.filePath, this.toBytes(0));
    this.persistedCount = this.count;
    return stale;
  }

  private entryAt(slot: number): IndexEntry {
    if (slot < 0) return { offset: this.baseOffset, position: 0 };
    return { offset: this.baseOffset + this.entries[2 * slot]!, position: this.entries[2 * slot + 1]! };
  }

  private push(offset: number, position: number): void {
    const relative = offset - this.baseOffset;
    assert(relative > 0 && relative <= 0xffff_ffff && position <= 0xffff_ffff, 'index entry fits in uint32 fields');
    if (2 * this.count === this.entries.length) {
      const grown = new Uint32Array(this.entries.length * 2);
      grown.set(this.entries);
      this.entries = grown;
    }
    this.entries[2 * this.count] = relative;
    this.entries[2 * this.count + 1] = position;
    this.count++;
  }

  private toBytes(fromEntry: number): Buffer {
    const bytes = Buffer.allocUnsafe((this.count - fromEntry) * indexEntryBytes);
    for (let slot = fromEntry; slot < this.count; slot++) {
      const at = (slot - fromEntry) * indexEntryBytes;
      bytes.writeUInt32BE(this.entries[2 * slot]!, at);
      bytes.writeUInt32BE(this.entries[2 * slot + 1]!, at + 4);
    }
    return bytes;
  }
}
