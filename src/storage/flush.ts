/**
 * Group commit: when appended batches become durable.
 *
 * `sync` mode: `durable()` resolves once every append made before the call
 * is on disk. An fdatasync (async, on the libuv threadpool) covers every
 * append made before it started, so however many producers wait, few syncs
 * run: waiters whose appends a running sync covers resolve with it. A
 * waiter whose appends no running sync covers gets a sync of its own at
 * once, up to `maxSyncsInFlight` at a time (then it waits for a slot, and
 * the sync that takes the slot covers everyone waiting). Without that
 * overlap an append arriving just after a sync started waited for the rest
 * of it *and* a whole second one, and one stalled fdatasync held up every
 * append behind it — on a busy machine fdatasync has a long tail
 * (bench/README.md, "Latency").
 *
 * Results are applied in the order the syncs started: a later sync's
 * success counts only once every earlier one has succeeded. Each slot syncs
 * through its own open file description (`syncData(slot)`), because Linux
 * reports a writeback error once per open file description: two concurrent
 * syncs on one descriptor could see the error reported to only one of them.
 *
 * `interval` mode: `durable()` resolves at once; a timer syncs every
 * `flushIntervalMs` when something was appended (Kafka's flush.ms).
 *
 * A sync error rejects every waiter and every later `durable()` with that
 * error: after a failed fdatasync the page cache may have dropped the data
 * (Linux clears the error once reported), so nothing written since the last
 * good sync can be called durable again. The owner restarts from disk.
 *
 * `durableEndOffset` says where the disk is known to hold the log: its end
 * when the last applied good sync *started* (a sync covers only what was
 * written before it), or when it was opened. It never moves after a
 * failure, so an owner reopening the log knows exactly which tail it must
 * write again (PartitionLog.rewriteFrom).
 */
import type { Logger } from '../logger.js';
import { assert } from './assert.js';

export type FlushMode = 'sync' | 'interval';

export interface GroupCommitOptions {
  flush: FlushMode;
  flushIntervalMs: number;
  /**
   * Makes every append made before the call durable. `slot` (0 ≤ slot <
   * maxSyncsInFlight) is free of other syncs; each slot must sync through its
   * own open file description (see above).
   */
  syncData: (slot: number) => Promise<void>;
  /** The log's end now: a sync started now covers every offset below it. */
  endOffset: () => number;
  logger: Logger;
}

/** fdatasyncs of one log running at once; each holds a threadpool thread (libuv has 4 by default, shared with reads). */
export const maxSyncsInFlight = 2;

interface RunningSync {
  /** Append count this sync covers. */
  coveredSeq: number;
  /** The log's end when this sync started: every offset below it is on disk once it succeeds. */
  coveredEndOffset: number;
  slot: number;
  settled: boolean;
  failed: boolean;
  error: unknown;
  /** Settles once the result has been applied. */
  done: Promise<void>;
}

interface Waiter {
  /** Append count this waiter needs covered. */
  appendSeq: number;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export class GroupCommit {
  private appendSeq = 0;
  private durableSeq = 0;
  private durableEnd: number;
  /** Highest coveredSeq of any sync started. */
  private startedSeq = 0;
  /** In start order; at most maxSyncsInFlight. */
  private readonly syncs: RunningSync[] = [];
  /** Ordered by appendSeq; bounded by the caller's outstanding requests. */
  private waiters: Waiter[] = [];
  private failure: unknown = null;
  private readonly timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: GroupCommitOptions) {
    this.durableEnd = options.endOffset(); // what the log held when opened counts as on disk (see distrustFrom)
    if (options.flush === 'interval') {
      this.timer = setInterval(() => this.syncIfBehind(), options.flushIntervalMs);
      this.timer.unref(); // the owner's close() ends it; it must not keep a process alive
    }
  }

  /** The sync error that failed this log, if any. */
  get failed(): unknown {
    return this.failure;
  }

  /** Every offset below this is on disk (see above). */
  get durableEndOffset(): number {
    return this.durableEnd;
  }

  /** Counts one append; O(1), called on the hot path. */
  noteAppend(): void {
    this.appendSeq++;
  }

  /** When the owner may acknowledge: once synced in `sync` mode, at once in `interval` mode. */
  durable(): Promise<void> {
    if (this.options.flush === 'interval' && this.failure === null) return Promise.resolve();
    return this.synced();
  }

  /** Resolves once every append made before the call is on disk, in either mode. */
  synced(): Promise<void> {
    if (this.failure !== null) return Promise.reject(this.failure);
    if (this.durableSeq >= this.appendSeq) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.waiters.push({ appendSeq: this.appendSeq, resolve, reject });
      this.startSync();
    });
  }

  /**
   * Stops the timer and makes everything appended durable. Rejects if that
   * last sync fails; an earlier failure was already reported to its waiters.
   */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.drained();
    if (this.failure !== null || this.durableSeq >= this.appendSeq) return;
    this.startSync();
    await this.drained();
    if (this.failure !== null) throw this.failure;
  }

  /**
   * Fails the log from outside (a sync made elsewhere, at a roll, failed): the
   * same rules as a failed group sync.
   */
  fail(error: unknown): void {
    if (this.failure === null) this.onFailed(error);
  }

  /**
   * Counts nothing from `endOffset` on as on disk until a later sync covers
   * it: the owner knows better than the open did (a log reopened after a
   * failed sync, whose tail a read shows but the disk may lack).
   */
  distrustFrom(endOffset: number): void {
    assert(this.syncs.length === 0, 'distrustFrom with a sync in flight: its success would count the tail again');
    this.durableEnd = Math.min(this.durableEnd, endOffset);
  }

  private syncIfBehind(): void {
    if (this.durableSeq < this.appendSeq) this.startSync();
  }

  private async drained(): Promise<void> {
    while (this.syncs.length > 0) await this.syncs[this.syncs.length - 1]!.done;
  }

  /** Starts a sync for the appends no started sync covers, if a slot is free. */
  private startSync(): void {
    if (this.failure !== null || this.syncs.length >= maxSyncsInFlight) return;
    const coveredSeq = this.appendSeq;
    if (coveredSeq <= this.startedSeq) return;
    this.startedSeq = coveredSeq;
    let slot = 0;
    while (this.syncs.some((sync) => sync.slot === slot)) slot++;
    const coveredEndOffset = this.options.endOffset();
    const sync: RunningSync = { coveredSeq, coveredEndOffset, slot, settled: false, failed: false, error: undefined, done: Promise.resolve() };
    this.syncs.push(sync);
    sync.done = this.options.syncData(slot).then(
      () => this.onSettled(sync, false, undefined),
      (error: unknown) => this.onSettled(sync, true, error),
    );
  }

  private onSettled(sync: RunningSync, failed: boolean, error: unknown): void {
    sync.settled = true;
    sync.failed = failed;
    sync.error = error;
    while (this.syncs.length > 0 && this.syncs[0]!.settled) {
      const applied = this.syncs.shift()!;
      if (this.failure !== null) continue; // the log already failed: later results change nothing
      if (applied.failed) this.onFailed(applied.error);
      else {
        this.durableSeq = Math.max(this.durableSeq, applied.coveredSeq);
        this.durableEnd = Math.max(this.durableEnd, applied.coveredEndOffset);
      }
    }
    if (this.failure !== null) return;
    let done = 0;
    while (done < this.waiters.length && this.waiters[done]!.appendSeq <= this.durableSeq) done++;
    for (const waiter of this.waiters.splice(0, done)) waiter.resolve();
    if (this.waiters.length > 0) this.startSync();
  }

  private onFailed(error: unknown): void {
    this.failure = error;
    this.options.logger.error('fdatasync failed; the log must be reopened from disk', { error });
    for (const waiter of this.waiters.splice(0)) waiter.reject(error);
  }
}
