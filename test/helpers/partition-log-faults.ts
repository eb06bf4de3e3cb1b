/**
 * Faults and a journal at one partition log's fs boundary: `fs.fdatasync`
 * and `fs.writeSync` (storage calls both through the module object at call
 * time) are spied on for the segment files in `<dataDir>/logs/<topic>/<partition>/`;
 * every other file writes and syncs as usual.
 *
 * - `failNextSync({ dropUnsynced })`: the next sync of a segment fails with
 *   EIO. With `dropUnsynced` the bytes written since the file's last good
 *   sync are cut from it first, as a failed writeback may lose them; without,
 *   they stay readable (the page cache kept them: the fsyncgate case).
 * - `journal`: every segment write and sync, in the order they started,
 *   with the file name, so a test sees what was written again and whether a
 *   sync followed.
 *
 * Call `vi.restoreAllMocks()` after the test.
 */
import fs from 'node:fs';
import { basename, join, sep } from 'node:path';
import { vi } from 'vitest';

type SyncCallback = (error: Error | null) => void;

export type JournalEntry =
  | { kind: 'write'; file: string; position: number; length: number }
  /** Logged when the sync starts; `ok` is undefined until it ends. */
  | { kind: 'sync'; file: string; ok: boolean | undefined };

export class PartitionLogFaults {
  readonly journal: JournalEntry[] = [];
  private readonly failures: Array<{ dropUnsynced: boolean }> = [];
  /** Per segment file: its size when its last good sync started. */
  private readonly syncedBytes = new Map<string, number>();
  readonly dir: string;
  private readonly realSync = fs.fdatasync;
  private readonly realWrite = fs.writeSync;

  /** Spies from now on; what the partition's segment files hold now counts as synced. */
  constructor(dataDir: string, topic: string, partition: number) {
    this.dir = join(dataDir, 'logs', topic, String(partition));
    for (const name of fs.readdirSync(this.dir)) if (name.endsWith('.log')) this.syncedBytes.set(join(this.dir, name), fs.statSync(join(this.dir, name)).size);
    vi.spyOn(fs, 'fdatasync').mockImplementation(((fd: number, callback: SyncCallback) => {
      const file = fs.readlinkSync(`/proc/self/fd/${fd}`);
      if (!this.isSegment(file)) return this.realSync(fd, callback);
      const failure = this.failures.shift();
      if (failure) this.fail(file, failure.dropUnsynced, callback);
      else this.syncThrough(file, fd, callback);
    }) as typeof fs.fdatasync);
    vi.spyOn(fs, 'writeSync').mockImplementation(((fd: number, bytes: Uint8Array, offset: number, length: number, position: number) => {
      const file = fs.readlinkSync(`/proc/self/fd/${fd}`);
      if (this.isSegment(file)) this.journal.push({ kind: 'write', file: basename(file), position, length });
      return this.realWrite(fd, bytes, offset, length, position);
    }) as typeof fs.writeSync);
  }

  failNextSync(options: { dropUnsynced?: boolean } = {}): void {
    this.failures.push({ dropUnsynced: options.dropUnsynced ?? false });
  }

  /** Size of a segment file when its last good sync started. */
  syncedSize(file: string): number {
    return this.syncedBytes.get(join(this.dir, file)) ?? 0;
  }

  private isSegment(file: string): boolean {
    return file.startsWith(this.dir + sep) && file.endsWith('.log');
  }

  private fail(file: string, dropUnsynced: boolean, callback: SyncCallback): void {
    if (dropUnsynced) fs.truncateSync(file, this.syncedBytes.get(file) ?? 0); // by path: a sync slot's descriptor is read-only
    this.journal.push({ kind: 'sync', file: basename(file), ok: false });
    setImmediate(() => callback(Object.assign(new Error('EIO: i/o error, fdatasync (injected)'), { code: 'EIO' })));
  }

  private syncThrough(file: string, fd: number, callback: SyncCallback): void {
    const sizeBytes = fs.fstatSync(fd).size; // what this sync covers: appends after it started are not
    const entry: JournalEntry = { kind: 'sync', file: basename(file), ok: undefined };
    this.journal.push(entry);
    this.realSync(fd, (error) => {
      if (!error) this.syncedBytes.set(file, Math.max(this.syncedBytes.get(file) ?? 0, sizeBytes));
      entry.ok = !error;
      callback(error);
    });
  }
}
