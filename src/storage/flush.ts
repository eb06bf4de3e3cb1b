/**
 * Group commit: when appended batches become durable.
 *
 * `sync` mode: `durable()` resolves once every append made before the call
 * is on disk. One fdatasync (async, on the libuv threadpool) covers every
 * append made before it started, so however many producers wait, the disk
 * sees one sync at a time: waiters whose appends the running sync covers
 * resolve with it; the others wait for the next one, which starts as soon
 * as the running one ends and covers all of them.
 *
 * `interval` mode: `durable()` resolves at once; a timer syncs every
 * `flushIntervalMs` when something was appended (Kafka's flush.ms).
 *
 * A sync error rejects every waiter and every later `durable()` with that
 * error: after a failed fdatasync the page cache may have dropped the data
 * (Linux clears the error once reported), so nothing written since the last
 * good sync can be called durable again. The owner restarts from disk.
 */
import type { Logger } from '../logger.js';

export type FlushMode = 'sync' | 'interval';

export interface GroupCommitOptions {
  flush: FlushMode;
  flushIntervalMs: number;
  /** Makes every append made before the call durable. */
  syncData: () => Promise<void>;
  logger: Logger;
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
  private running: Promise<void> | null = null;
  /** Ordered by appendSeq; bounded by the caller's outstanding requests. */
  private waiters: Waiter[] = [];
  private failure: unknown = null;
  private readonly timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: GroupCommitOptions) {
    if (options.flush === 'interval') {
      this.timer = setInterval(() => this.syncIfBehind(), options.flushIntervalMs);
      this.timer.unref(); // the owner's close() ends it; it must not keep a process alive
    }
  }

  /** The sync error that failed this log, if any. */
  get failed(): unknown {
    return this.failure;
  }

  /** Counts one append; O(1), called on the hot path. */
  noteAppend(): void {
    this.appendSeq++;
  }

  durable(): Promise<void> {
    if (this.failure !== null) return Promise.reject(this.failure);
    if (this.options.flush === 'interval' || this.durableSeq >= this.appendSeq) return Promise.resolve();
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
    while (this.running) await this.running;
    if (this.failure !== null || this.durableSeq >= this.appendSeq) return;
    this.startSync();
    await this.running;
    if (this.failure !== null) throw this.failure;
  }

  /**
   * Fails the log from outside (a sync made elsewhere, at a roll, failed): the
   * same rules as a failed group sync.
   */
  fail(error: unknown): void {
    if (this.failure === null) this.onFailed(error);
  }

  private syncIfBehind(): void {
    if (this.durableSeq < this.appendSeq) this.startSync();
  }

  private startSync(): void {
    if (this.running || this.failure !== null) return;
    const coveredSeq = this.appendSeq;
    this.running = this.options.syncData().then(
      () => this.onSynced(coveredSeq),
      (error: unknown) => this.onFailed(error),
    );
  }

  private onSynced(coveredSeq: number): void {
    this.running = null;
    this.durableSeq = coveredSeq;
    let done = 0;
    while (done < this.waiters.length && this.waiters[done]!.appendSeq <= coveredSeq) done++;
    for (const waiter of this.waiters.splice(0, done)) waiter.resolve();
    if (this.waiters.length > 0) this.startSync();
  }

  private onFailed(error: unknown): void {
    this.running = null;
    this.failure = error;
    this.options.logger.error('fdatasync failed; the log must be reopened from disk', { error });
    for (const waiter of this.waiters.splice(0)) waiter.reject(error);
  }
}
