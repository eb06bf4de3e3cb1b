import fs from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../src/logger.js';
import { GroupCommit, maxSyncsInFlight } from '../../src/storage/flush.js';
import { PartitionLog } from '../../src/storage/index.js';
import { logOptions, makeBatch, openLog, testClock, testDir } from './fixtures.js';

/** A sync the test finishes by hand, recording when each one started and in which slot. */
function manualSync() {
  const pending: Array<{ slot: number; resolve: () => void; reject: (error: unknown) => void }> = [];
  const syncData = (slot: number) => new Promise<void>((resolve, reject) => pending.push({ slot, resolve, reject }));
  return { syncData, pending };
}

/** `log.endOffset` stands for the end of the log the commit belongs to; tests move it as they "append". */
function groupCommit(syncData: (slot: number) => Promise<void>, flush: 'sync' | 'interval' = 'sync', flushIntervalMs = 1000, log = { endOffset: 0 }) {
  return new GroupCommit({ flush, flushIntervalMs, syncData, endOffset: () => log.endOffset, logger: createLogger('silent') });
}

/** Lets promise callbacks run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

/** Two appends, each followed by durable(): two syncs in flight, the first covering the first append. */
async function twoOverlappingSyncs() {
  const sync = manualSync();
  const commit = groupCommit(sync.syncData);
  commit.noteAppend();
  const first = commit.durable();
  commit.noteAppend();
  const second = commit.durable();
  await settle();
  const failure = Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
  return { sync, commit, first, second, failure };
}

afterEach(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
});

describe('GroupCommit', () => {
  it('resolves waiters only after the sync that covers their appends', async () => {
    const sync = manualSync();
    const commit = groupCommit(sync.syncData);
    commit.noteAppend();
    let done = false;
    const durable = commit.durable().then(() => (done = true));
    await settle();
    expect(sync.pending).toHaveLength(1);
    expect(done).toBe(false);
    sync.pending[0]!.resolve();
    await durable;
    expect(done).toBe(true);
  });

  it('coalesces: waiters whose appends a running sync covers share it', async () => {
    const sync = manualSync();
    const commit = groupCommit(sync.syncData);
    for (let i = 0; i < 10; i++) commit.noteAppend();
    const waiters = Array.from({ length: 20 }, () => commit.durable());
    await settle();
    expect(sync.pending).toHaveLength(1);
    sync.pending[0]!.resolve();
    await Promise.all(waiters);
    expect(sync.pending).toHaveLength(1);
  });

  it('overlaps: appends no running sync covers get a second sync at once, in another slot', async () => {
    const sync = manualSync();
    const commit = groupCommit(sync.syncData);
    commit.noteAppend();
    const first = commit.durable();
    for (let i = 0; i < 50; i++) commit.noteAppend();
    const later = Array.from({ length: 20 }, () => commit.durable());
    await settle();
    expect(sync.pending.map((p) => p.slot)).toEqual([0, 1]); // the second covers all 20 later waiters
    sync.pending[0]!.resolve();
    await first;
    let laterDone = 0;
    for (const waiter of later) void waiter.then(() => laterDone++);
    await settle();
    expect(laterDone).toBe(0);
    sync.pending[1]!.resolve();
    await Promise.all(later);
    expect(sync.pending).toHaveLength(2);
  });

  it(`runs at most ${maxSyncsInFlight} syncs; waiters beyond share the next free slot`, async () => {
    const sync = manualSync();
    const commit = groupCommit(sync.syncData);
    const waiters: Array<Promise<void>> = [];
    for (let round = 0; round < 5; round++) {
      commit.noteAppend();
      waiters.push(commit.durable());
    }
    await settle();
    expect(sync.pending).toHaveLength(maxSyncsInFlight);
    sync.pending[0]!.resolve();
    await settle();
    expect(sync.pending).toHaveLength(maxSyncsInFlight + 1); // one sync for the three that waited for a slot
    expect(sync.pending[2]!.slot).toBe(0);
    sync.pending[1]!.resolve();
    sync.pending[2]!.resolve();
    await Promise.all(waiters);
  });

  it('applies results in start order: a later success waits for the earlier sync', async () => {
    const sync = manualSync();
    const commit = groupCommit(sync.syncData);
    commit.noteAppend();
    const first = commit.durable();
    commit.noteAppend();
    let secondDone = false;
    const second = commit.durable().then(() => (secondDone = true));
    await settle();
    sync.pending[1]!.resolve(); // the later sync finishes first
    await settle();
    expect(secondDone).toBe(false);
    sync.pending[0]!.resolve();
    await Promise.all([first, second]);
  });

  it('fails everything when an earlier sync fails after a later one succeeded', async () => {
    const { sync, commit, first, second, failure } = await twoOverlappingSyncs();
    sync.pending[1]!.resolve();
    await settle();
    sync.pending[0]!.reject(failure); // its descriptor saw the writeback error; the later sync's success must not count
    await expect(first).rejects.toBe(failure);
    await expect(second).rejects.toBe(failure);
    expect(commit.failed).toBe(failure);
  });

  it('resolves at once when nothing new was appended', async () => {
    const sync = manualSync();
    const commit = groupCommit(sync.syncData);
    await commit.durable();
    expect(sync.pending).toHaveLength(0);
  });

  it('rejects every waiter, and every later call, with the sync error', async () => {
    const { sync, commit, first, second, failure } = await twoOverlappingSyncs();
    sync.pending[0]!.reject(failure);
    sync.pending[1]!.resolve();
    await expect(first).rejects.toBe(failure);
    await expect(second).rejects.toBe(failure);
    await expect(commit.durable()).rejects.toBe(failure);
    expect(commit.failed).toBe(failure);
    expect(sync.pending).toHaveLength(2); // no retry: the page cache may have dropped the data
  });

  it('in interval mode resolves at once and syncs on the timer when behind', async () => {
    vi.useFakeTimers();
    const sync = manualSync();
    const commit = groupCommit(sync.syncData, 'interval', 100);
    commit.noteAppend();
    await commit.durable();
    expect(sync.pending).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(100);
    expect(sync.pending).toHaveLength(1);
    sync.pending[0]!.resolve();
    await vi.advanceTimersByTimeAsync(300);
    expect(sync.pending).toHaveLength(1); // nothing new: no sync
    const closing = commit.close();
    await vi.advanceTimersByTimeAsync(0);
    await closing;
    expect(sync.pending).toHaveLength(1);
  });

  it('syncs what is left on close', async () => {
    const sync = manualSync();
    const commit = groupCommit(sync.syncData, 'interval', 60_000);
    commit.noteAppend();
    const closing = commit.close();
    await settle();
    expect(sync.pending).toHaveLength(1);
    sync.pending[0]!.resolve();
    await closing;
  });
});

describe('GroupCommit.durableEndOffset: where the disk is known to hold the log', () => {
  /** Appends one batch ending the log at `endOffset`. */
  const append = (commit: GroupCommit, log: { endOffset: number }, endOffset: number) => {
    log.endOffset = endOffset;
    commit.noteAppend();
  };

  it('starts at the end the log was opened with and moves to the end when a good sync started, not when it ended', async () => {
    const sync = manualSync();
    const log = { endOffset: 5 };
    const commit = groupCommit(sync.syncData, 'sync', 1000, log);
    expect(commit.durableEndOffset).toBe(5);
    append(commit, log, 7);
    const first = commit.durable();
    await settle();
    append(commit, log, 9); // after the sync started: not covered by it
    sync.pending[0]!.resolve();
    await first;
    expect(commit.durableEndOffset).toBe(7);
    const second = commit.durable();
    await settle();
    sync.pending[1]!.resolve();
    await second;
    expect(commit.durableEndOffset).toBe(9);
  });

  it('stays at the last good sync when a later one fails, whatever succeeds after', async () => {
    const sync = manualSync();
    const log = { endOffset: 0 };
    const commit = groupCommit(sync.syncData, 'sync', 1000, log);
    append(commit, log, 3);
    const first = commit.durable();
    append(commit, log, 6);
    const second = commit.durable().catch((error: unknown) => error);
    append(commit, log, 8);
    const third = commit.durable().catch((error: unknown) => error);
    await settle();
    expect(sync.pending.map((p) => p.slot)).toEqual([0, 1]);
    sync.pending[0]!.resolve();
    await first;
    expect(sync.pending).toHaveLength(3); // slot 0 freed: a sync for the third append started
    const failure = new Error('EIO: injected');
    sync.pending[1]!.reject(failure);
    expect(await second).toBe(failure);
    expect(await third).toBe(failure);
    sync.pending[2]!.resolve(); // it started after the failing one: its success must not count
    await commit.close(); // a failed commit syncs nothing more
    expect(sync.pending).toHaveLength(3);
    expect(commit.durableEndOffset).toBe(3);
  });

  it('does not move when an earlier sync fails after a later one succeeded', async () => {
    const { sync, commit, first, second, failure } = await twoOverlappingSyncs();
    sync.pending[1]!.resolve();
    await settle();
    sync.pending[0]!.reject(failure);
    await expect(first).rejects.toBe(failure);
    await expect(second).rejects.toBe(failure);
    expect(commit.durableEndOffset).toBe(0);
  });

  it('moves with the timer syncs in interval mode, where durable() does not wait for them', async () => {
    vi.useFakeTimers();
    const sync = manualSync();
    const log = { endOffset: 0 };
    const commit = groupCommit(sync.syncData, 'interval', 100, log);
    append(commit, log, 4);
    await commit.durable();
    expect(commit.durableEndOffset).toBe(0);
    await vi.advanceTimersByTimeAsync(100);
    sync.pending[0]!.resolve();
    await vi.advanceTimersByTimeAsync(0);
    expect(commit.durableEndOffset).toBe(4);
    await commit.close();
  });

  it('synced() syncs at once in interval mode too', async () => {
    const sync = manualSync();
    const log = { endOffset: 0 };
    const commit = groupCommit(sync.syncData, 'interval', 60_000, log);
    append(commit, log, 2);
    let done = false;
    const synced = commit.synced().then(() => (done = true));
    await settle();
    expect(sync.pending).toHaveLength(1);
    expect(done).toBe(false);
    sync.pending[0]!.resolve();
    await synced;
    expect(commit.durableEndOffset).toBe(2);
  });

  it('distrustFrom lowers it until a sync covers the tail again', async () => {
    const sync = manualSync();
    const log = { endOffset: 10 };
    const commit = groupCommit(sync.syncData, 'sync', 1000, log);
    commit.distrustFrom(6);
    expect(commit.durableEndOffset).toBe(6);
    commit.distrustFrom(8); // only ever lowers
    expect(commit.durableEndOffset).toBe(6);
    commit.noteAppend(); // the rewrite: the same end, dirty again
    const synced = commit.synced();
    await settle();
    expect(() => commit.distrustFrom(0)).toThrow(/sync in flight/);
    sync.pending[0]!.resolve();
    await synced;
    expect(commit.durableEndOffset).toBe(10);
  });
});

describe('PartitionLog group commit (real fdatasync, counted)', () => {
  it('covers many appends and concurrent durable() calls with one or two fdatasyncs', async () => {
    const dir = await testDir();
    const log = await openLog(dir, logOptions(testClock()));
    const fdatasync = vi.spyOn(fs, 'fdatasync');
    for (let i = 0; i < 100; i++) log.append(makeBatch(10));
    const waiters = Array.from({ length: 50 }, () => log.durable());
    for (let i = 0; i < 100; i++) log.append(makeBatch(10));
    waiters.push(...Array.from({ length: 50 }, () => log.durable()));
    await Promise.all(waiters);
    expect(fdatasync).toHaveBeenCalledTimes(2);
    await log.durable();
    expect(fdatasync).toHaveBeenCalledTimes(2);
  });

  it('overlapping syncs go through different descriptors of the active segment', async () => {
    const dir = await testDir();
    const log = await openLog(dir, logOptions(testClock()));
    const fdatasync = vi.spyOn(fs, 'fdatasync');
    log.append(makeBatch(10));
    const first = log.durable();
    log.append(makeBatch(10));
    const second = log.durable();
    await Promise.all([first, second]);
    const descriptors = fdatasync.mock.calls.map((call) => call[0]);
    expect(descriptors).toHaveLength(2);
    expect(new Set(descriptors).size).toBe(2);
    await log.close();
  });

  it('fails the log when fdatasync fails: waiters reject, appends throw STORAGE_ERROR', async () => {
    const dir = await testDir();
    const log = await openLog(dir, logOptions(testClock()));
    const failure = Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
    vi.spyOn(fs, 'fdatasync').mockImplementationOnce(((_fd: number, callback: (error: Error | null) => void) => {
      setImmediate(() => callback(failure));
    }) as typeof fs.fdatasync);
    log.append(makeBatch(1));
    await expect(log.durable()).rejects.toBe(failure);
    expect(() => log.append(makeBatch(1))).toThrow(expect.objectContaining({ code: 'STORAGE_ERROR' }));
    await expect(log.durable()).rejects.toBe(failure);
    await log.close();
  });

  it('in interval mode resolves durable() at once and still syncs on close', async () => {
    const dir = await testDir();
    const log = await PartitionLog.open(dir, logOptions(testClock(), { flush: 'interval', flushIntervalMs: 60_000 }));
    const fdatasync = vi.spyOn(fs, 'fdatasync');
    log.append(makeBatch(1));
    await log.durable();
    expect(fdatasync).not.toHaveBeenCalled();
    await log.close();
    expect(fdatasync).toHaveBeenCalledTimes(1);
  });
});
