/**
 * The half log: every transaction's half messages and its durable markers,
 * in an internal log at `<dataDir>/internal/transactions/` (the same segment
 * format as any partition; consumers never read it). Each record's key is the
 * transaction id (text); its value a msgpack map whose `k` says what it is:
 *
 *   { k: 'h', g: group, p: producerId, t: topic, n: partition, b: batch }  a half message batch
 *   { k: 'c', g: group, c: checks }     answered checks so far (written on each `unknown`)
 *   { k: 'p', g: group }                parked after maxChecks unknowns
 *   { k: 'o', g: group, o: outcome }    the outcome: 'commit' | 'rollback'
 *   { k: 'a' }                          a commit's messages are all in their partitions
 *   { k: 'r', g: group, p: producerId, e: [{ t, n, b }], c: checks, pk: parked, f: firstAt }
 *                                       a live transaction restated whole at the head, so
 *                                       compaction may delete the segments of its older records
 *
 * Writes from one event-loop turn are coalesced into one batch and one
 * fsync (group commit), so a half message or an outcome costs no fsync of
 * its own. The records of one `write` always share one batch, so a write is
 * in the log whole or not at all. Replay on start rebuilds every transaction
 * without an applied outcome. Recovery policy: the log itself truncates a
 * torn tail (a half message cut there was never acknowledged).
 *
 * A failed write (its fdatasync or its append failed) is recovered like a
 * crash, without a restart: the log is reopened from disk (recovery cuts a
 * torn tail), everything after the last good sync is written back in place
 * and synced (PartitionLog.reopen: after a failed fdatasync only what a
 * fresh read shows counts, and it must really reach the disk). Only then
 * are the writes of the failed batches answered: resolved when their batch
 * is in the re-read log, rejected with STORAGE_ERROR when it is not. So a
 * caller hears "failed" only for records that are not in the log, and
 * "done" only for records that are durable.
 *
 * Writes arriving while it reopens wait for that attempt (one open, one
 * tail scan, one sync). A failed attempt is retried after
 * `reopenBackoffMs`, doubling up to `reopenBackoffMaxMs`; until the retry,
 * new writes are refused at once with STORAGE_ERROR (retriable; nothing was
 * written). Writes whose fate the failure left open wait for a successful
 * reopen however long it takes; at close they are rejected with
 * SHUTTING_DOWN (the next start replays whatever the log holds).
 */
import { join } from 'node:path';
import { ActorMqError } from '../../protocol/errors.js';
import { batchSizeAt, decodeRecords, encodeRecordBatch, readBatchHeader, type RecordInput } from '../../protocol/record-batch.js';
import { PartitionLog, defaultLogOptions, type LogOptions, type SegmentDescriptorCache } from '../../storage/index.js';
import { assert } from '../../storage/assert.js';
import type { Logger } from '../../logger.js';
import type { TransactionOutcome } from '../../protocol/frames.js';
import type { Clock } from '../actor-environment.js';

export interface HalfEntry { topic: string; partition: number; batch: Uint8Array }

export type HalfRecord =
  | { k: 'h'; g: string; p: number; t: string; n: number; b: Uint8Array }
  | { k: 'r'; g: string; p: number; e: Array<{ t: string; n: number; b: Uint8Array }>; c: number; pk: boolean; f: number }
  | { k: 'c'; g: string; c: number }
  | { k: 'p'; g: string }
  | { k: 'o'; g: string; o: TransactionOutcome }
  | { k: 'a' };

/** A transaction as the log left it. */
export interface ReplayedTransaction {
  id: string;
  group: string;
  producerId: number;
  entries: HalfEntry[];
  checks: number;
  parked: boolean;
  outcome: TransactionOutcome | undefined;
  /** Timestamp of its first half message. */
  firstAt: number;
  /** Offset of its first half message in the log: everything it needs is at or after it. */
  firstOffset: number;
}

export interface HalfLogOptions {
  dataDir: string;
  /** The largest write (the half batches of one request, bounded by the frame size): a write is never split. */
  maxWriteBytes: number;
  /** Segment size (the broker's default for topics): compaction deletes whole segments. */
  segmentBytes: number;
  /** The broker's, shared with every other log. */
  descriptorCache: SegmentDescriptorCache;
  clock: () => number;
  /** Schedules the retries of a failed reopen (tests pass a SimulatedClock). */
  timers: Clock;
  /** First delay before retrying a failed reopen; doubles up to reopenBackoffMaxMs. */
  reopenBackoffMs: number;
  reopenBackoffMaxMs: number;
  logger: Logger;
}

/** Writes are coalesced into one batch until it holds this much; a larger write gets a batch of its own. */
const batchBudgetBytes = 4 * 1024 * 1024;
/** Room beyond the estimates (record headers, msgpack framing) in the log's batch limit. */
const batchSlackBytes = 1024 * 1024;
const replayReadBytes = 4 * 1024 * 1024;

/** Upper estimate of a record's encoded size: record header and msgpack map framing, plus its strings and bytes. */
function recordBytes(id: string, record: HalfRecord): number {
  const strings = id.length + ('g' in record ? record.g.length : 0) + (record.k === 'h' ? record.t.length + record.b.length : 0);
  if (record.k !== 'r') return 64 + strings;
  return 64 + strings + record.e.reduce((sum, entry) => sum + 32 + entry.t.length + entry.b.length, 0);
}

interface PendingWrite {
  records: RecordInput[];
  bytes: number;
  /** Offset of its first record, once appended. */
  firstOffset: number;
  resolve(): void;
  reject(error: unknown): void;
}

/** A write appended to the log whose sync has not succeeded: its batch ends at `lastOffset` and has checksum `crc`. */
interface AppendedWrite { write: PendingWrite; lastOffset: number; crc: number }

/** open: appends; reopening: an attempt runs, writes queue; backingOff: the last attempt failed, writes are refused. */
type HalfLogState = 'open' | 'reopening' | 'backingOff' | 'closed';

export class HalfLog {
  private state: HalfLogState = 'open';
  private queued: PendingWrite[] = [];
  private scheduled = false;
  /** Flushes whose writes are not yet answered (or moved to `uncertain`). */
  private writing: Promise<void> = Promise.resolve();
  /** Writes of failed batches: the reopened log says whether they are in it. */
  private uncertain: AppendedWrite[] = [];
  /** Where the failed log's last good sync started: a reopen rewrites from here (kept across failed attempts). */
  private syncedEndOffset = 0;
  private reopening: Promise<void> = Promise.resolve();
  private failedReopens = 0;
  private retryTimer: unknown;

  /** Writes appended and not yet answered: compaction never deletes a segment holding one. */
  private readonly unanswered = new Set<PendingWrite>();
  /** Called after the log rolled a segment (the owner may compact, deleteBelow). */
  rolled: (() => void) | undefined;

  /** Undefined while a reopen attempt runs. */
  private log: PartitionLog | undefined;

  private constructor(log: PartitionLog, private readonly logOptions: LogOptions, private readonly options: HalfLogOptions) {
    this.use(log);
  }

  private use(log: PartitionLog): void {
    this.log = log;
    log.onRoll = () => this.rolled?.();
  }

  static async open(options: HalfLogOptions): Promise<HalfLog> {
    const logOptions: LogOptions = {
      ...defaultLogOptions,
      segmentBytes: options.segmentBytes,
      retentionMs: 0, // pending transactions may be old: segments go only when no live transaction needs them (deleteBelow)
      maxBatchBytes: Math.max(options.maxWriteBytes, batchBudgetBytes) + batchBudgetBytes + batchSlackBytes,
      descriptorCache: options.descriptorCache,
      clock: options.clock,
      logger: options.logger,
    };
    return new HalfLog(await PartitionLog.open(logDir(options.dataDir), logOptions), logOptions, options);
  }

  /**
   * Resolves with the offset of the first record once every record is
   * durable; rejects only when they are not in the log. Records of one call
   * share one batch.
   */
  write(id: string, records: readonly HalfRecord[]): Promise<number> {
    if (this.state === 'backingOff') return Promise.reject(new ActorMqError('STORAGE_ERROR', 'half log: being reopened after a failed write; nothing was written, retry later'));
    if (this.state === 'closed') return Promise.reject(shuttingDown());
    return new Promise<number>((resolve, reject) => {
      const bytes = records.reduce((sum, record) => sum + recordBytes(id, record), 0);
      const write: PendingWrite = {
        records: records.map((record) => ({ key: id, value: record })), bytes, firstOffset: -1,
        resolve: () => {
          this.unanswered.delete(write);
          resolve(write.firstOffset);
        },
        reject: (error) => {
          this.unanswered.delete(write);
          reject(error);
        },
      };
      this.queued.push(write);
      if (this.state === 'open') this.schedule();
    });
  }

  /** Where the newest sealed segment starts: records below it are at least a whole segment old. */
  get newestSealedBaseOffset(): number | undefined {
    return this.state === 'open' ? this.log!.newestSealedBaseOffset : undefined;
  }

  /**
   * Deletes the sealed segments holding only offsets below `offset` — the
   * owner needs nothing there — and none holding a write not yet answered.
   */
  deleteBelow(offset: number): number {
    if (this.state !== 'open') return 0;
    let floor = offset;
    for (const write of this.unanswered) floor = Math.min(floor, write.firstOffset);
    return this.log!.deleteSegmentsBelow(floor).deletedSegments;
  }

  /** Writes what is queued, waits for every write's answer, closes the log. */
  async close(): Promise<void> {
    if (this.state === 'open') this.flush();
    this.state = 'closed';
    if (this.retryTimer !== undefined) this.options.timers.clearTimeout(this.retryTimer);
    await this.reopening;
    await this.writing;
    for (const write of this.queued.splice(0)) write.reject(shuttingDown());
    const unknown = new ActorMqError('SHUTTING_DOWN', 'half log closed before it could tell whether the write is in it; the next start replays what it holds');
    for (const { write } of this.uncertain.splice(0)) write.reject(unknown);
    await this.log?.close();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  /** Appends everything queued now (whole writes, one batch per budget), then waits for the group commit that covers it. */
  private flush(): void {
    this.scheduled = false;
    if (this.state !== 'open') return; // reopening: the queue waits for it
    const log = this.log!;
    const appended: AppendedWrite[] = [];
    let failure: unknown = null;
    while (this.queued.length > 0 && failure === null) {
      const writes = this.takeBatch();
      const batch = encodeRecordBatch(writes.flatMap((write) => write.records), { now: this.options.clock() });
      const { crc, recordCount } = readBatchHeader(batch);
      // Recovery cuts a batch over these limits as unsound: one past them would be lost at the next open.
      assert(batch.length <= this.logOptions.maxBatchBytes && recordCount <= this.logOptions.maxRecordsPerBatch, `half log batch of ${batch.length} bytes, ${recordCount} records exceeds its limits`);
      const lastOffset = log.endOffset + recordCount - 1;
      let offset = log.endOffset;
      for (const write of writes) {
        write.firstOffset = offset;
        offset += write.records.length;
        this.unanswered.add(write);
      }
      try {
        log.append(batch);
      } catch (error) {
        failure = error; // its bytes may be in the file all the same (say the index write failed): the reopen tells
      }
      for (const write of writes) appended.push({ write, lastOffset, crc });
    }
    const durable = failure === null ? log.durable() : Promise.reject(failure);
    const settled = durable.then(
      () => {
        for (const { write } of appended) write.resolve();
      },
      (error: unknown) => this.failed(error, appended),
    );
    this.writing = Promise.all([this.writing, settled]).then(() => undefined);
  }

  /** Queued writes for one batch: at least one, then more while the budget lasts. */
  private takeBatch(): PendingWrite[] {
    let bytes = 0;
    let count = 0;
    while (count < this.queued.length && (count === 0 || bytes + this.queued[count]!.bytes <= batchBudgetBytes)) bytes += this.queued[count++]!.bytes;
    return this.queued.splice(0, count);
  }

  private failed(error: unknown, appended: AppendedWrite[]): void {
    this.uncertain.push(...appended);
    if (this.state !== 'open') return; // a reopen already runs (it waits for this flush), or close() answers them
    this.options.logger.error('half log write failed; reopening it from disk', { error, writes: appended.length });
    this.startReopen();
  }

  private startReopen(): void {
    this.state = 'reopening';
    this.reopening = this.reopen().then(
      () => {
        if (this.state === 'closed') return; // close() closes the reopened log
        this.failedReopens = 0;
        this.state = 'open';
        if (this.queued.length > 0) this.schedule();
      },
      (error: unknown) => this.reopenFailed(error),
    );
  }

  /** One attempt: the failed log closed, the log reopened from disk, its unsynced tail synced, the uncertain writes answered. */
  private async reopen(): Promise<void> {
    await this.writing; // every flush on the failed log has answered its writes or left them uncertain
    const failedLog = this.log;
    this.log = undefined;
    if (failedLog) {
      await failedLog.close().catch(() => undefined); // a failed log may refuse to close cleanly
      this.syncedEndOffset = failedLog.durableEndOffset;
    }
    const log = await PartitionLog.reopen(logDir(this.options.dataDir), this.logOptions, this.syncedEndOffset);
    try {
      await this.answerUncertain(log);
    } catch (error) {
      await log.close().catch(() => undefined);
      throw error;
    }
    this.use(log);
  }

  /** Resolves the uncertain writes whose batch the re-read log holds; rejects the others. */
  private async answerUncertain(log: PartitionLog): Promise<void> {
    const uncertain = this.uncertain;
    const present = new Map<number, boolean>();
    for (const { lastOffset, crc } of uncertain) {
      if (!present.has(lastOffset)) present.set(lastOffset, await holdsBatch(log, lastOffset, crc));
    }
    this.uncertain = [];
    const kept = uncertain.filter(({ lastOffset }) => present.get(lastOffset)).length;
    this.options.logger.warn('half log reopened from disk', { endOffset: log.endOffset, failedWritesKept: kept, failedWritesLost: uncertain.length - kept });
    const lost = new ActorMqError('STORAGE_ERROR', 'half log: the write failed and is not in the log reopened from disk; nothing was recorded');
    for (const { write, lastOffset } of uncertain) {
      if (present.get(lastOffset)) write.resolve();
      else write.reject(lost);
    }
  }

  private reopenFailed(error: unknown): void {
    if (this.state === 'closed') return;
    this.failedReopens++;
    const { reopenBackoffMs, reopenBackoffMaxMs, timers, logger } = this.options;
    const delayMs = Math.min(reopenBackoffMs * 2 ** Math.min(this.failedReopens - 1, 30), reopenBackoffMaxMs);
    logger.error('reopening the half log failed; retrying', { error, failedReopens: this.failedReopens, retryInMs: delayMs });
    this.state = 'backingOff';
    const refused = new ActorMqError('STORAGE_ERROR', 'half log: could not be reopened after a failed write; nothing was written, retry later');
    for (const write of this.queued.splice(0)) write.reject(refused);
    this.retryTimer = timers.setTimeout(() => {
      this.retryTimer = undefined;
      if (this.state === 'backingOff') this.startReopen();
    }, delayMs);
  }

  /** Reads the whole log: the transactions without an outcome, and those whose commit was recorded but not applied. */
  async replay(): Promise<{ pending: ReplayedTransaction[]; unapplied: ReplayedTransaction[]; ended: Array<{ id: string; group: string; outcome: TransactionOutcome }> }> {
    const live = new Map<string, ReplayedTransaction>();
    const ended = new Map<string, { id: string; group: string; outcome: TransactionOutcome }>();
    const apply = (id: string, offset: number, timestamp: number, record: HalfRecord): void => {
      let txn = live.get(id);
      if (record.k === 'a') {
        live.delete(id);
        return;
      }
      if (!txn) {
        // A marker for a transaction already gone, or a half message written after its outcome: neither starts one.
        if ((record.k !== 'h' && record.k !== 'r') || ended.has(id)) return;
        txn = { id, group: record.g, producerId: record.p, entries: [], checks: 0, parked: false, outcome: undefined, firstAt: timestamp, firstOffset: offset };
        live.set(id, txn);
      }
      if (txn.outcome) return; // nothing counts after the outcome
      switch (record.k) {
        case 'h': txn.entries.push({ topic: record.t, partition: record.n, batch: record.b }); break;
        case 'r': // everything before it, restated
          Object.assign(txn, { entries: record.e.map((e) => ({ topic: e.t, partition: e.n, batch: e.b })), checks: record.c, parked: record.pk, firstAt: record.f, firstOffset: offset });
          break;
        case 'c': txn.checks = record.c; break;
        case 'p': txn.parked = true; break;
        case 'o':
          txn.outcome = record.o;
          ended.delete(id);
          ended.set(id, { id, group: txn.group, outcome: record.o });
          if (record.o === 'rollback') live.delete(id);
          break;
      }
    };
    const log = this.log!;
    let offset = log.startOffset;
    while (offset < log.endOffset) {
      const { records } = await log.read(offset, replayReadBytes);
      if (records.length === 0) break;
      for (let pos = 0; pos < records.length; pos += batchSizeAt(records, pos)) {
        for (const record of decodeRecords(records, pos)) {
          if (record.offset < offset) continue;
          apply(record.key as string, record.offset, record.timestamp, record.value as HalfRecord);
          offset = record.offset + 1;
        }
      }
    }
    const all = [...live.values()];
    return { pending: all.filter((t) => !t.outcome), unapplied: all.filter((t) => t.outcome === 'commit'), ended: [...ended.values()] };
  }
}

function logDir(dataDir: string): string {
  return join(dataDir, 'internal', 'transactions');
}

function shuttingDown(): ActorMqError {
  return new ActorMqError('SHUTTING_DOWN', 'the broker is shutting down');
}

/** Whether the log holds the batch that ended at `lastOffset` with checksum `crc` (offsets past its end: no). */
async function holdsBatch(log: PartitionLog, lastOffset: number, crc: number): Promise<boolean> {
  if (lastOffset >= log.endOffset) return false;
  const header = readBatchHeader((await log.read(lastOffset, 0)).records);
  // Offsets are only ever reused after a cut, and a cut removes everything after it: the same offset means the same batch.
  assert(header.baseOffset + header.lastOffsetDelta === lastOffset && header.crc === crc, `half log offset ${lastOffset} holds another batch after the reopen`);
  return true;
}
