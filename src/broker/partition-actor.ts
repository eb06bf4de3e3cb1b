/**
 * Runtime of one partition: runs `partitionMachine` with the log I/O plugged
 * in, and serves appends and reads straight from the log while the machine is
 * online. Per request the machine costs one state check; per message nothing.
 *
 * Recovery after a storage fault reopens the log from disk (recovery cuts a
 * torn tail). After a failed fdatasync Linux may have marked the unsynced
 * pages clean without writing them: a read still shows them, the disk may
 * never get them. So before the partition goes online again, everything the
 * reopened log holds from the failed log's durableEndOffset on (its end when
 * its last good sync started) is written back in place and synced
 * (PartitionLog.reopen, rewriteFrom). Only then is it read, delivered, or counted by
 * the producer state: a producer's retry of a batch whose sync failed is
 * answered as a duplicate (original offset) only once that batch is on disk,
 * and is stored anew when the reopened log lacks it. If the rewrite fails the
 * partition stays failed and the next attempt, after the backoff, rewrites
 * from the same offset.
 */
import { createActor, fromPromise, type Actor } from 'xstate';
import { partitionMachine, type PartitionRef } from '../../machines/partition.machine.js';
import { ActorMqError } from '../protocol/errors.js';
import { batchSizeAt, readBatchHeader, type BatchHeader } from '../protocol/record-batch.js';
import { PartitionLog, type LogOptions, type ReadResult } from '../storage/index.js';
import type { Logger } from '../logger.js';
import { tell, type ActorEnvironment } from './actor-environment.js';
import { ProducerStateTable } from './producer-state.js';
import { readProducerSnapshot, writeProducerSnapshot } from './producer-snapshots.js';

export interface AppendAnswer { baseOffset: number; duplicate: boolean }

export class PartitionActor {
  readonly id: string;
  private log: PartitionLog | undefined;
  private readonly producers: ProducerStateTable;
  /** Producer state snapshots being written, in order (snapshotProducers). */
  private snapshotWrites: Promise<void> = Promise.resolve();
  /** Reads stop here: only durable records are ever shown to consumers. */
  private durableEndOffset = 0;
  /**
   * Every offset below this was on disk when the last log of this partition
   * closed (its durableEndOffset); kept across failed recoveries. Undefined
   * until a log was open: what a start finds on disk counts as durable.
   */
  private syncedEndOffset: number | undefined;
  /** Called whenever durableEndOffset grows, retention deletes segments, or the partition comes online (consumer groups wake up on it). */
  private readonly durableListeners = new Set<() => void>();
  readonly actor: Actor<typeof partitionMachine>;

  constructor(
    readonly topic: string,
    readonly partition: number,
    private readonly dir: string,
    private readonly logOptions: LogOptions,
    private readonly logger: Logger,
    environment?: ActorEnvironment,
  ) {
    this.id = `partition/${topic}/${partition}`;
    this.producers = new ProducerStateTable(logOptions.clock);
    const machine = partitionMachine.provide({
      actors: {
        recoverLog: fromPromise<void, PartitionRef>(() => this.recover()),
        closeLog: fromPromise<void, PartitionRef>(() => this.closeLog()),
      },
    });
    this.actor = createActor(machine, {
      id: this.id,
      input: { topic, partition, restartBackoffMs: 100, restartBackoffMaxMs: 10_000 },
      ...(environment ? { clock: environment.timers } : {}),
    });
    this.wakeReadersWhenOnline();
    environment?.inspector.observe('partition', this.actor, (c: { topic: string; partition: number; failures: number; lastError: string | undefined }) => ({
      topic: c.topic, partition: c.partition, failures: c.failures, lastError: c.lastError,
    }));
  }

  start(): void {
    this.actor.start();
  }

  get state(): string {
    return String(this.actor.getSnapshot().value);
  }

  get online(): boolean {
    return this.actor.getSnapshot().value === 'online';
  }

  /** Resolves once the partition is online, failed or closed: startup waits for recovery. */
  settled(): Promise<void> {
    return new Promise((resolve) => {
      const check = (): boolean => this.actor.getSnapshot().value !== 'recovering';
      if (check()) return resolve();
      const subscription = this.actor.subscribe(() => {
        if (check()) {
          subscription.unsubscribe();
          resolve();
        }
      });
    });
  }

  get startOffset(): number {
    return this.log?.startOffset ?? 0;
  }

  get endOffset(): number {
    return this.durableEndOffset;
  }

  /** `batch` has passed checkBatch; `header` is its header. Answers once the batch is durable. */
  append(batch: Uint8Array, header: BatchHeader): Promise<AppendAnswer> {
    const log = this.onlineLog();
    if (header.producerId >= 0) {
      const verdict = this.producers.check(header);
      if (verdict.kind === 'duplicate') return this.whenDurable(log, verdict.baseOffset, 0, true);
      if (verdict.kind === 'outOfOrder') {
        return Promise.reject(new ActorMqError('OUT_OF_ORDER_SEQUENCE', `${this.id}: producer ${header.producerId} sent sequence ${header.baseSequence}, expected ${verdict.expectedSequence}`));
      }
      if (verdict.kind === 'fenced') {
        return Promise.reject(new ActorMqError('UNKNOWN_PRODUCER', `${this.id}: producer ${header.producerId} epoch ${header.producerEpoch} is older than ${verdict.currentEpoch}`));
      }
    }
    let appended;
    try {
      appended = log.append(batch);
    } catch (error) {
      return Promise.reject(this.storageFailed(error));
    }
    if (header.producerId >= 0) this.producers.record(header, appended.baseOffset);
    return this.whenDurable(log, appended.baseOffset, appended.lastOffset + 1, false);
  }

  private whenDurable(log: PartitionLog, baseOffset: number, endOffset: number, duplicate: boolean): Promise<AppendAnswer> {
    return log.durable().then(
      () => {
        if (endOffset > this.durableEndOffset) {
          this.durableEndOffset = endOffset;
          for (const listener of this.durableListeners) listener();
        }
        return { baseOffset, duplicate };
      },
      (error: unknown) => {
        throw this.storageFailed(error);
      },
    );
  }

  /**
   * Readers stop while the partition is not online (a cursor's pump ends
   * there) and nothing else wakes them: recovery may have made more durable
   * (a kept batch whose sync had failed) and redeliveries may have come due.
   */
  private wakeReadersWhenOnline(): void {
    let wasOnline = false;
    this.actor.subscribe((snapshot) => {
      const online = snapshot.value === 'online';
      if (online && !wasOnline) for (const listener of this.durableListeners) listener();
      wasOnline = online;
    });
  }

  /** Subscribes to growth of the durable end offset, to retention deleting segments and to the partition coming online; returns the unsubscribe function. */
  onDurable(listener: () => void): () => void {
    this.durableListeners.add(listener);
    return () => this.durableListeners.delete(listener);
  }

  /** Whole durable batches from the one holding `offset`, up to maxBytes (at least one batch). */
  async read(offset: number, maxBytes: number): Promise<ReadResult> {
    const log = this.onlineLog();
    const limit = this.durableEndOffset;
    if (offset > limit || offset < log.startOffset) {
      throw new ActorMqError('OFFSET_OUT_OF_RANGE', `${this.id}: offset ${offset} outside [${log.startOffset}, ${limit}]`);
    }
    if (offset === limit) return { records: new Uint8Array(0), startOffset: log.startOffset, endOffset: limit };
    const result = await log.read(offset, maxBytes);
    return { records: trimToOffset(result.records, limit), startOffset: result.startOffset, endOffset: limit };
  }

  /** Deletes expired segments; a no-op unless online. */
  applyRetention(): void {
    if (!this.online || !this.log) return;
    const { deletedSegments, deletedBytes } = this.log.applyRetention();
    if (deletedSegments === 0) return;
    this.logger.info('retention deleted segments', { actor: this.id, deletedSegments, deletedBytes, startOffset: this.log.startOffset });
    for (const listener of this.durableListeners) listener(); // a group waiting on a deleted offset moves on now
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      const subscription = this.actor.subscribe({ complete: () => resolve() });
      if (this.actor.getSnapshot().status === 'done') {
        subscription.unsubscribe();
        resolve();
        return;
      }
      tell(this.actor, { type: 'partition.close' });
    });
    // A partition closed while failed goes straight to `closed`: its failed log is still open.
    await this.log?.close().catch(() => undefined);
    this.log = undefined;
  }

  private onlineLog(): PartitionLog {
    if (!this.online || !this.log) throw new ActorMqError('NOT_READY', `${this.id} is ${this.state}`);
    return this.log;
  }

  private storageFailed(error: unknown): ActorMqError {
    this.logger.error('partition storage failed; restarting from disk', { actor: this.id, error });
    tell(this.actor, { type: 'storage.failed', error: error instanceof Error ? error.message : String(error) });
    return new ActorMqError('STORAGE_ERROR', `${this.id}: ${error instanceof Error ? error.message : String(error)}`);
  }

  private async recover(): Promise<void> {
    const previous = this.log;
    this.log = undefined;
    if (previous) {
      await previous.close().catch(() => undefined); // closing syncs what it still can; a failed log may refuse to close cleanly
      this.syncedEndOffset = previous.durableEndOffset;
    }
    await this.snapshotWrites;
    const log = await PartitionLog.reopen(this.dir, this.logOptions, this.syncedEndOffset);
    try {
      const snapshot = readProducerSnapshot(this.dir, log.endOffset);
      this.producers.rebuild(snapshot?.state, await log.batchHeadersFrom(snapshot?.offset ?? log.startOffset));
      log.onRoll = (endOffset) => this.snapshotProducers(endOffset);
    } catch (error) {
      await log.close().catch(() => undefined);
      throw error;
    }
    this.log = log;
    this.syncedEndOffset = undefined; // the open log knows from now on
    this.durableEndOffset = log.endOffset;
    const truncated = log.recovery.truncations;
    this.logger.info('partition online', { actor: this.id, startOffset: log.startOffset, endOffset: log.endOffset, ...(truncated.length ? { truncated } : {}) });
  }

  private async closeLog(): Promise<void> {
    const log = this.log;
    this.log = undefined;
    await log?.close();
    await this.snapshotWrites;
  }

  /** Writes the producer state as of `endOffset` (the log just rolled); a failed write only means a longer replay at the next start. */
  private snapshotProducers(endOffset: number): void {
    const snapshot = { offset: endOffset, state: this.producers.state() };
    this.snapshotWrites = this.snapshotWrites
      .then(() => writeProducerSnapshot(this.dir, snapshot))
      .catch((error: unknown) => this.logger.warn('could not write a producer state snapshot; the next start replays more of the log', { actor: this.id, offset: endOffset, error }));
  }
}

/** Drops whole batches at or past `endOffset` (written but not yet durable). */
function trimToOffset(records: Uint8Array, endOffset: number): Uint8Array {
  let pos = 0;
  while (pos < records.length) {
    if (readBatchHeader(records, pos).baseOffset >= endOffset) break;
    pos += batchSizeAt(records, pos);
  }
  return pos === records.length ? records : records.subarray(0, pos);
}
