/**
 * Committed offsets of every consumer group, durable in an internal log
 * (`<dataDir>/internal/consumer-offsets/`, the same segment format as any
 * partition). Each record: key `<group>\0<topic>\0<partition>` (text), value
 * the committed offset (msgpack number). The newest record of a key wins; the
 * whole log is replayed on start. Commits are coalesced: changed offsets are
 * written together at most every `commitIntervalMs`, and at once on demand
 * (member leave, broker shutdown).
 */
import { join } from 'node:path';
import { encodeRecordBatch, batchSizeAt, decodeRecords } from '../../protocol/record-batch.js';
import { PartitionLog, defaultLogOptions } from '../../storage/index.js';
import type { Logger } from '../../logger.js';

export const commitIntervalMs = 100;
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

  private constructor(private readonly log: PartitionLog, private readonly clock: () => number, private readonly logger: Logger) {}

  static async open(dataDir: string, clock: () => number, logger: Logger): Promise<OffsetStore> {
    const log = await PartitionLog.open(join(dataDir, 'internal', 'consumer-offsets'), {
      ...defaultLogOptions, retentionMs: 0, clock, logger,
    });
    const store = new OffsetStore(log, clock, logger);
    await store.replay();
    return store;
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
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.flush().catch((error: unknown) => this.logger.error('committing offsets failed; will retry', { error }));
    }, commitIntervalMs);
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
    await this.flush();
    await this.log.close();
  }

  private async writeDirty(): Promise<void> {
    while (this.dirty.size > 0) {
      const entries = [...this.dirty].slice(0, maxCommitsPerBatch);
      const now = this.clock();
      const batch = encodeRecordBatch(entries.map(([key, offset]) => ({ key, value: offset })), { now });
      this.log.append(batch);
      await this.log.durable();
      for (const [key, offset] of entries) {
        this.committed.set(key, offset);
        if (this.dirty.get(key) === offset) this.dirty.delete(key);
      }
    }
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
