/**
 * Committed offsets of every consumer group, durable in an internal log
 * (`<dataDir>/internal/consumer-offsets/`, the same segment format as any
 * partition). Each record: key `<group>\0<topic>\0<partition>` (text), value
 * the committed offset (msgpack number). The newest record of a key wins; the
 * log is replayed on start. Commits are coalesced: changed offsets are
 * written together at most every `commitIntervalMs`, and at once on demand
 * (member leave, broker shutdown).
 *
 * Compaction: when the log rolls a segment, the next write appends every
 * key's offset again (a checkpoint) and then deletes the segments before it —
 * the newest record of each key is in the checkpoint or after it — so the
 * log stays about a segment long however long the broker runs.
 *
 * A failed write (its append or its sync) reopens the log from disk as a
 * partition does (PartitionLog.reopen: what was not synced is written again
 * and synced) and is retried after `retryMs`; its offsets stay dirty until
 * a write of them succeeds.
 */
import { join } from 'node:path';
import { encodeRecordBatch, batchSizeAt, decodeRecords } from '../../protocol/record-batch.js';
import { PartitionLog, defaultLogOptions, type LogOptions, type SegmentDescriptorCache } from '../../storage/index.js';
import type { Logger } from '../../logger.js';

export const commitIntervalMs = 100;
/** A failed write is tried again after this (the log is reopened first). */
const retryMs = 1_000;
/** Keys written per batch: bounds one append. */
const maxCommitsPerBatch = 10_000;
const replayReadBytes = 1 << 20;

function offsetKey(group: string, topic: string, partition: number): string {
  return `${group}\u0000${topic}\u0000${partition}`;
}

export class OffsetStore {
  private readonly committed = new Map<string, number>();
  private readonly dirty = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();
  private log!: PartitionLog;
  /** The log rolled: the next write checkpoints every key and deletes what is before it. */
  private checkpointDue = false;
  private checkpointing = false;
  /** The last write failed: the log must be reopened from disk before the next one. */
  private failedLog: PartitionLog | undefined;

  private constructor(private readonly dir: string, private readonly logOptions: LogOptions, private readonly logger: Logger) {}

  /** `segmentBytes`: the broker's default for topics (compaction deletes whole segments). */
  static async open(dataDir: string, clock: () => number, logger: Logger, descriptorCache: SegmentDescriptorCache, segmentBytes = defaultLogOptions.segmentBytes): Promise<OffsetStore> {
    const dir = join(dataDir, 'internal', 'consumer-offsets');
    const logOptions: LogOptions = { ...defaultLogOptions, segmentBytes, retentionMs: 0, descriptorCache, clock, logger };
    const store = new OffsetStore(dir, logOptions, logger);
    store.use(await PartitionLog.open(dir, logOptions));
    await store.replay();
    return store;
  }

  private use(log: PartitionLog): void {
    this.log = log;
    log.onRoll = () => {
      if (!this.checkpointing) this.checkpointDue = true;
    };
  }

  get(group: string, topic: string, partition: number): number | undefined {
    const key = offsetKey(group, topic, partition);
    return this.dirty.get(key) ?? this.committed.get(key);
  }

  /** Every group with a committed offset, and its offsets (groups outlive their members, as in Kafka). */
  groups(): Map<string, Array<{ topic: string; partition: number; offset: number }>> {
    const byGroup = new Map<string, Array<{ topic: string; partition: number; offset: number }>>();
    for (const key of new Set([...this.committed.keys(), ...this.dirty.keys()])) {
      const [group, topic, partition] = key.split('\u0000') as [string, string, string];
      const list = byGroup.get(group) ?? [];
      list.push({ topic, partition: Number(partition), offset: this.dirty.get(key) ?? this.committed.get(key)! });
      byGroup.set(group, list);
    }
    return byGroup;
  }

  /** Records a new committed offset; written within commitIntervalMs. */
  set(group: string, topic: string, partition: number, offset: number): void {
    const key = offsetKey(group, topic, partition);
    if ((this.dirty.get(key) ?? this.committed.get(key)) === offset) return;
    this.dirty.set(key, offset);
    this.flushIn(commitIntervalMs);
  }

  /** Writes every changed offset and waits until it is durable. */
  flush(): Promise<void> {
    // An earlier failure was reported to its caller; its offsets are still dirty, so this write retries them.
    this.writing = this.writing.catch(() => undefined).then(() => this.writeDirty());
    return this.writing;
  }

  async close(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    try {
      await this.flush();
    } finally {
      await this.log.close().catch(() => undefined);
    }
  }

  private flushIn(delayMs: number): void {
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.flush().catch((error: unknown) => {
        this.logger.error('committing offsets failed; retrying', { error, retryInMs: retryMs });
        this.flushIn(retryMs);
      });
    }, delayMs);
  }

  private async writeDirty(): Promise<void> {
    if (this.failedLog) await this.reopen();
    try {
      while (this.dirty.size > 0) {
        const entries = [...this.dirty].slice(0, maxCommitsPerBatch);
        await this.append(entries);
        for (const [key, offset] of entries) {
          this.committed.set(key, offset);
          if (this.dirty.get(key) === offset) this.dirty.delete(key);
        }
      }
      if (this.checkpointDue) await this.checkpoint();
    } catch (error) {
      this.failedLog = this.log;
      throw error;
    }
  }

  private async append(entries: ReadonlyArray<[string, number]>): Promise<void> {
    this.log.append(encodeRecordBatch(entries.map(([key, offset]) => ({ key, value: offset })), { now: this.logOptions.clock() }));
    await this.log.durable();
  }

  /** Every committed offset again at the head, then the segments before it go: they hold no key's newest record. */
  private async checkpoint(): Promise<void> {
    this.checkpointDue = false;
    this.checkpointing = true;
    try {
      const from = this.log.endOffset;
      const all = [...this.committed];
      for (let i = 0; i < all.length; i += maxCommitsPerBatch) await this.append(all.slice(i, i + maxCommitsPerBatch));
      const { deletedSegments } = this.log.deleteSegmentsBelow(from);
      if (deletedSegments > 0) this.logger.info('consumer offsets compacted', { deletedSegments, keys: all.length });
    } finally {
      this.checkpointing = false;
    }
  }

  /** After a failed write: the log as the disk has it, its unsynced tail written again and synced. */
  private async reopen(): Promise<void> {
    const failed = this.failedLog!;
    await failed.close().catch(() => undefined);
    this.use(await PartitionLog.reopen(this.dir, this.logOptions, failed.durableEndOffset));
    this.failedLog = undefined;
    this.logger.warn('consumer offsets log reopened after a failed write', { endOffset: this.log.endOffset });
  }

  private async replay(): Promise<void> {
    let offset = this.log.startOffset;
    while (offset < this.log.endOffset) {
      const { records } = await this.log.read(offset, replayReadBytes);
      for (let pos = 0; pos < records.length; pos += batchSizeAt(records, pos)) {
        for (const record of decodeRecords(records, pos)) {
          if (record.offset < offset) continue;
          this.committed.set(record.key as string, record.value as number);
          offset = record.offset + 1;
        }
      }
    }
  }
}
