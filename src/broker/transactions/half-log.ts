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
 *
 * Writes from one event-loop turn are coalesced into one batch and one
 * fsync (group commit), so a half message or an outcome costs no fsync of
 * its own. Replay on start rebuilds every transaction without an applied
 * outcome. Recovery policy: the log itself truncates a torn tail (a half
 * message cut there was never acknowledged).
 */
import { join } from 'node:path';
import { ActorMqError } from '../../protocol/errors.js';
import { batchSizeAt, decodeRecords, encodeRecordBatch, type RecordInput } from '../../protocol/record-batch.js';
import { PartitionLog, defaultLogOptions } from '../../storage/index.js';
import type { Logger } from '../../logger.js';
import type { TransactionOutcome } from '../../protocol/frames.js';

export interface HalfEntry { topic: string; partition: number; batch: Uint8Array }

export type HalfRecord =
  | { k: 'h'; g: string; p: number; t: string; n: number; b: Uint8Array }
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
}

/** One write's records stay below this so a coalesced batch fits the log's batch limit. */
const batchBudgetBytes = 4 * 1024 * 1024;
const replayReadBytes = 4 * 1024 * 1024;

/** Upper estimate of a record's encoded size (msgpack map with short keys). */
function recordBytes(record: HalfRecord): number {
  return record.k === 'h' ? record.b.length + 64 : 64;
}

interface Waiter { resolve(): void; reject(error: unknown): void }

export class HalfLog {
  private queued: RecordInput[] = [];
  private waiters: Waiter[] = [];
  private scheduled = false;
  private writing: Promise<void> = Promise.resolve();

  private constructor(private readonly log: PartitionLog, private readonly clock: () => number, private readonly logger: Logger) {}

  /** `maxBatchBytes`: the largest half batch a request may carry (a frame), so one record always fits a log batch. */
  static async open(dataDir: string, maxBatchBytes: number, clock: () => number, logger: Logger): Promise<HalfLog> {
    const log = await PartitionLog.open(join(dataDir, 'internal', 'transactions'), {
      ...defaultLogOptions,
      retentionMs: 0, // pending transactions may be old; see the note on compaction in docs/protocol.md
      maxBatchBytes: Math.max(maxBatchBytes, batchBudgetBytes) + 1024 * 1024,
      clock,
      logger,
    });
    return new HalfLog(log, clock, logger);
  }

  /** Resolves once every record is durable; records of one call stay in order and in one batch when they fit. */
  write(id: string, records: readonly HalfRecord[]): Promise<void> {
    for (const record of records) this.queued.push({ key: id, value: record });
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
    return done;
  }

  async close(): Promise<void> {
    await this.writing;
    await this.log.close();
  }

  /** Appends everything queued now (one batch per budget), then waits for the group commit that covers it. */
  private flush(): void {
    this.scheduled = false;
    const records = this.queued;
    const waiters = this.waiters;
    this.queued = [];
    this.waiters = [];
    let durable: Promise<void>;
    try {
      const now = this.clock();
      for (let start = 0; start < records.length;) {
        let end = start;
        let bytes = 0;
        while (end < records.length && (end === start || bytes < batchBudgetBytes)) {
          bytes += recordBytes(records[end]!.value as HalfRecord);
          end++;
        }
        this.log.append(encodeRecordBatch(records.slice(start, end), { now }));
        start = end;
      }
      durable = this.log.durable();
    } catch (error) {
      durable = Promise.reject(error);
    }
    const settled = durable.then(
      () => waiters.forEach((waiter) => waiter.resolve()),
      (error: unknown) => {
        this.logger.error('half log write failed', { error });
        const failure = new ActorMqError('STORAGE_ERROR', `half log: ${error instanceof Error ? error.message : String(error)}`);
        waiters.forEach((waiter) => waiter.reject(failure));
      },
    );
    this.writing = Promise.all([this.writing, settled]).then(() => undefined);
  }

  /** Reads the whole log: the transactions without an outcome, and those whose commit was recorded but not applied. */
  async replay(): Promise<{ pending: ReplayedTransaction[]; unapplied: ReplayedTransaction[]; ended: Array<{ id: string; group: string; outcome: TransactionOutcome }> }> {
    const live = new Map<string, ReplayedTransaction>();
    const ended = new Map<string, { id: string; group: string; outcome: TransactionOutcome }>();
    const apply = (id: string, timestamp: number, record: HalfRecord): void => {
      let txn = live.get(id);
      if (record.k === 'a') {
        live.delete(id);
        return;
      }
      if (!txn) {
        // A marker for a transaction already gone, or a half message written after its outcome: neither starts one.
        if (record.k !== 'h' || ended.has(id)) return;
        txn = { id, group: record.g, producerId: record.p, entries: [], checks: 0, parked: false, outcome: undefined, firstAt: timestamp };
        live.set(id, txn);
      }
      if (txn.outcome) return; // nothing counts after the outcome
      switch (record.k) {
        case 'h': txn.entries.push({ topic: record.t, partition: record.n, batch: record.b }); break;
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
    let offset = this.log.startOffset;
    while (offset < this.log.endOffset) {
      const { records } = await this.log.read(offset, replayReadBytes);
      if (records.length === 0) break;
      for (let pos = 0; pos < records.length; pos += batchSizeAt(records, pos)) {
        for (const record of decodeRecords(records, pos)) {
          if (record.offset < offset) continue;
          apply(record.key as string, record.timestamp, record.value as HalfRecord);
          offset = record.offset + 1;
        }
      }
    }
    const all = [...live.values()];
    return { pending: all.filter((t) => !t.outcome), unapplied: all.filter((t) => t.outcome === 'commit'), ended: [...ended.values()] };
  }
}
