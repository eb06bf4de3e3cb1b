/**
 * Faults at the half log's fs boundary: `fs.fdatasync` (storage calls it
 * through the module object at call time) is spied on for the files under
 * `<dataDir>/internal/transactions/`; every other file syncs as usual.
 * Scripted steps apply to the half log's syncs in order:
 *
 * - `failSync({ covering, dropUnsynced })`: the first sync whose unsynced
 *   bytes hold a record matching `covering` (any sync without it) fails
 *   with EIO. With `dropUnsynced` the bytes written since the file's last
 *   good sync are cut from it first, as a failed writeback may lose them;
 *   without, they stay in the file (the sync failed, the data got there).
 * - `holdSync()`: the next sync waits until the returned function is called.
 *
 * `failNextWrite()` makes the next write into a half-log segment file fail
 * before any byte is written (`fs.writeSync`, as storage appends).
 * `crashImage()` copies the data dir as a crash at that moment could leave it.
 *
 * Call `vi.restoreAllMocks()` after the test.
 */
import fs from 'node:fs';
import { basename, join, sep } from 'node:path';
import { vi } from 'vitest';
import type { HalfRecord } from '../../src/broker/transactions/half-log.js';
import { batchSizeAt, decodeRecords } from '../../src/protocol/record-batch.js';

type SyncCallback = (error: Error | null) => void;
type Step =
  | { kind: 'fail'; covering: ((record: HalfRecord) => boolean) | undefined; dropUnsynced: boolean }
  | { kind: 'hold'; released: Promise<void> };

export const isOutcome = (record: HalfRecord) => record.k === 'o';
export const isHalfMessage = (record: HalfRecord) => record.k === 'h';

export class HalfLogFaults {
  /** Failures injected so far. */
  failures = 0;
  /** Half-log syncs held now (`holdSync`). */
  held = 0;
  private readonly steps: Step[] = [];
  /** Per segment file: its size when its last good sync started. */
  private readonly syncedBytes = new Map<string, number>();
  private readonly dir: string;
  private readonly realSync = fs.fdatasync;

  /** Spies on fdatasync from now on; what the half log's files hold now counts as synced. */
  constructor(dataDir: string) {
    this.dir = join(dataDir, 'internal', 'transactions');
    for (const name of fs.readdirSync(this.dir)) if (name.endsWith('.log')) this.syncedBytes.set(join(this.dir, name), fs.statSync(join(this.dir, name)).size);
    vi.spyOn(fs, 'fdatasync').mockImplementation(((fd: number, callback: SyncCallback) => {
      const file = fs.readlinkSync(`/proc/self/fd/${fd}`);
      if (!this.isSegment(file) || !this.applyStep(file, fd, callback)) this.syncThrough(file, fd, callback);
    }) as typeof fs.fdatasync);
  }

  failSync(options: { covering?: (record: HalfRecord) => boolean; dropUnsynced?: boolean } = {}): void {
    this.steps.push({ kind: 'fail', covering: options.covering, dropUnsynced: options.dropUnsynced ?? false });
  }

  /** The next half-log sync (after the steps already scripted) waits for the returned release. */
  holdSync(): () => void {
    let release!: () => void;
    this.steps.push({ kind: 'hold', released: new Promise((resolve) => (release = resolve)) });
    return release;
  }

  /**
   * What a crash now could leave of the data dir, copied to `imageDir`:
   * with `unsynced: 'kept'` every byte written (the page cache reached the
   * disk), with 'lost' the half log's segment files cut back to their last
   * good sync.
   */
  crashImage(dataDir: string, imageDir: string, unsynced: 'kept' | 'lost'): void {
    fs.cpSync(dataDir, imageDir, { recursive: true });
    if (unsynced === 'kept') return;
    for (const [file, bytes] of this.syncedBytes) fs.truncateSync(join(imageDir, 'internal', 'transactions', basename(file)), bytes);
  }

  failNextWrite(): void {
    const writeSync = fs.writeSync;
    let failed = false;
    vi.spyOn(fs, 'writeSync').mockImplementation(((fd: number, ...rest: unknown[]) => {
      if (!failed && typeof fd === 'number' && this.isSegment(fs.readlinkSync(`/proc/self/fd/${fd}`))) {
        failed = true;
        this.failures++;
        throw Object.assign(new Error('EIO: i/o error, write (injected)'), { code: 'EIO' });
      }
      return (writeSync as (...args: unknown[]) => number)(fd, ...rest);
    }) as typeof fs.writeSync);
  }

  private isSegment(file: string): boolean {
    return file.startsWith(this.dir + sep) && file.endsWith('.log');
  }

  /** True when the step took the sync over. */
  private applyStep(file: string, fd: number, callback: SyncCallback): boolean {
    const step = this.steps[0];
    if (!step) return false;
    if (step.kind === 'hold') {
      this.steps.shift();
      this.held++;
      void step.released.then(() => {
        this.held--;
        this.syncThrough(file, fd, callback);
      });
      return true;
    }
    const syncedBytes = this.syncedBytes.get(file) ?? 0;
    if (step.covering && !unsyncedRecords(file, syncedBytes, fs.fstatSync(fd).size).some(step.covering)) return false;
    this.steps.shift();
    this.failures++;
    if (step.dropUnsynced) fs.truncateSync(file, syncedBytes); // by path: a sync slot's descriptor is read-only
    setImmediate(() => callback(Object.assign(new Error('EIO: i/o error, fdatasync (injected)'), { code: 'EIO' })));
    return true;
  }

  private syncThrough(file: string, fd: number, callback: SyncCallback): void {
    const sizeBytes = fs.fstatSync(fd).size; // what this sync covers: appends after it started are not
    this.realSync(fd, (error) => {
      if (!error && this.isSegment(file)) this.syncedBytes.set(file, Math.max(this.syncedBytes.get(file) ?? 0, sizeBytes));
      callback(error);
    });
  }
}

/** The half-log records in `file` between two batch boundaries. */
function unsyncedRecords(file: string, fromBytes: number, toBytes: number): HalfRecord[] {
  const bytes = fs.readFileSync(file).subarray(fromBytes, toBytes);
  const records: HalfRecord[] = [];
  for (let pos = 0; pos < bytes.length; pos += batchSizeAt(bytes, pos)) records.push(...decodeRecords(bytes, pos).map((record) => record.value as HalfRecord));
  return records;
}
