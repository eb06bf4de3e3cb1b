/**
 * Idempotent-producer state of one partition: for each producer id, its epoch
 * and the last `retainedBatchesPerProducer` batches it appended. A resent batch
 * that matches one of them is a duplicate and is answered with its original
 * offsets; a batch whose sequence does not follow the last one is out of order.
 * Rebuilt after a restart from the newest snapshot (producer-snapshots.ts)
 * and the batch headers stored after it.
 *
 * Commit batches of transactions (transactional bit set) are kept in a table
 * of their own: each transaction stamps its commit with a producer id of its
 * own, used once, and a busy transactional workload would otherwise push
 * every ordinary producer out of the shared bound within seconds — and a
 * producer retrying after that would have its batch stored twice. A commit's
 * entry is needed only until its transaction is marked applied (a re-applied
 * commit after a crash is the newest of them), so the same bounds are plenty.
 */
import { batchAttribute, type BatchHeader } from '../protocol/record-batch.js';

export const retainedBatchesPerProducer = 5; // Kafka's window: a client keeps at most 5 batches in flight
/**
 * Past this many producers the least recently used are forgotten, but only
 * once idle for producerRetentionMs: a producer retrying within that time
 * (the client gives up on a batch after deliveryTimeoutMs, 2 minutes by
 * default) is still recognised however many others come and go, up to
 * maxProducersPerPartition, the bound on memory.
 */
export const producerSoftLimit = 10_000;
export const producerRetentionMs = 10 * 60_000;
export const maxProducersPerPartition = 100_000;

interface AppendedBatch {
  baseSequence: number;
  lastSequence: number;
  baseOffset: number;
}

interface ProducerEntry {
  epoch: number;
  batches: AppendedBatch[];
  /** Broker clock at its last append (or when it was replayed after a restart). */
  lastAppendMs: number;
}

type PlainEntry = [id: number, epoch: number, lastAppendMs: number, batches: Array<[baseSequence: number, lastSequence: number, baseOffset: number]>];

/** A table as plain data, least recently used first. */
export interface ProducerTableState { producers: PlainEntry[]; commits: PlainEntry[] }

export type SequenceVerdict =
  | { kind: 'append' }
  | { kind: 'duplicate'; baseOffset: number }
  | { kind: 'outOfOrder'; expectedSequence: number }
  | { kind: 'fenced'; currentEpoch: number };

export class ProducerStateTable {
  private readonly producers = new Map<number, ProducerEntry>();
  private readonly commits = new Map<number, ProducerEntry>();

  constructor(private readonly clock: () => number) {}

  check(header: BatchHeader): SequenceVerdict {
    const entry = this.tableOf(header).get(header.producerId);
    if (!entry || header.producerEpoch > entry.epoch) return { kind: 'append' };
    if (header.producerEpoch < entry.epoch) return { kind: 'fenced', currentEpoch: entry.epoch };
    const lastSequence = header.baseSequence + header.recordCount - 1;
    for (const batch of entry.batches) {
      if (batch.baseSequence === header.baseSequence && batch.lastSequence === lastSequence) {
        return { kind: 'duplicate', baseOffset: batch.baseOffset };
      }
    }
    const expectedSequence = entry.batches[entry.batches.length - 1]!.lastSequence + 1;
    return header.baseSequence === expectedSequence ? { kind: 'append' } : { kind: 'outOfOrder', expectedSequence };
  }

  record(header: BatchHeader, baseOffset: number): void {
    const table = this.tableOf(header);
    const id = header.producerId;
    let entry = table.get(id);
    if (entry) table.delete(id); // re-insert: Map order is least recently used first
    const now = this.clock();
    if (!entry || header.producerEpoch > entry.epoch) entry = { epoch: header.producerEpoch, batches: [], lastAppendMs: now };
    entry.batches.push({ baseSequence: header.baseSequence, lastSequence: header.baseSequence + header.recordCount - 1, baseOffset });
    if (entry.batches.length > retainedBatchesPerProducer) entry.batches.shift();
    entry.lastAppendMs = now;
    table.set(id, entry);
    this.forgetIdle(table, now);
  }

  /** Drops least recently used producers past producerSoftLimit that have been idle producerRetentionMs, and any past maxProducersPerPartition. */
  private forgetIdle(table: Map<number, ProducerEntry>, now: number): void {
    if (table.size <= producerSoftLimit) return; // every append passes here: no iterator when nothing can go
    for (const [id, oldest] of table) {
      if (table.size <= producerSoftLimit) return;
      if (table.size <= maxProducersPerPartition && now - oldest.lastAppendMs < producerRetentionMs) return;
      table.delete(id);
    }
  }

  /** Replaces the table with `state` (a snapshot; none: empty), then replays the batch headers stored after it, oldest first. */
  rebuild(state: ProducerTableState | undefined, headers: readonly BatchHeader[]): void {
    for (const [table, entries] of [[this.producers, state?.producers ?? []], [this.commits, state?.commits ?? []]] as const) {
      table.clear();
      for (const [id, epoch, lastAppendMs, batches] of entries) {
        table.set(id, { epoch, lastAppendMs, batches: batches.map(([baseSequence, lastSequence, baseOffset]) => ({ baseSequence, lastSequence, baseOffset })) });
      }
    }
    for (const header of headers) {
      if (header.producerId >= 0) this.record(header, header.baseOffset);
    }
  }

  /** The table as plain data, for a snapshot. */
  state(): ProducerTableState {
    const plain = (table: Map<number, ProducerEntry>) => [...table].map(([id, entry]): PlainEntry => [
      id, entry.epoch, entry.lastAppendMs, entry.batches.map((b): [number, number, number] => [b.baseSequence, b.lastSequence, b.baseOffset]),
    ]);
    return { producers: plain(this.producers), commits: plain(this.commits) };
  }

  /** Producers and transaction commits remembered. */
  get size(): number {
    return this.producers.size + this.commits.size;
  }

  private tableOf(header: BatchHeader): Map<number, ProducerEntry> {
    return (header.attributes & batchAttribute.transactional) !== 0 ? this.commits : this.producers;
  }
}
