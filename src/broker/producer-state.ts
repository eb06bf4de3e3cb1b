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
 * commit after a crash is the newest of them), so the same bound is plenty.
 */
import { batchAttribute, type BatchHeader } from '../protocol/record-batch.js';

export const retainedBatchesPerProducer = 5; // Kafka's window: a client keeps at most 5 batches in flight
export const maxProducersPerPartition = 10_000; // least recently used producers are forgotten past this

interface AppendedBatch {
  baseSequence: number;
  lastSequence: number;
  baseOffset: number;
}

interface ProducerEntry {
  epoch: number;
  batches: AppendedBatch[];
}

/** A table as plain data, least recently used first: per producer [id, epoch, [baseSequence, lastSequence, baseOffset] per retained batch]. */
export interface ProducerTableState {
  producers: Array<[number, number, Array<[number, number, number]>]>;
  commits: Array<[number, number, Array<[number, number, number]>]>;
}

export type SequenceVerdict =
  | { kind: 'append' }
  | { kind: 'duplicate'; baseOffset: number }
  | { kind: 'outOfOrder'; expectedSequence: number }
  | { kind: 'fenced'; currentEpoch: number };

export class ProducerStateTable {
  private readonly producers = new Map<number, ProducerEntry>();
  private readonly commits = new Map<number, ProducerEntry>();

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
    if (!entry || header.producerEpoch > entry.epoch) entry = { epoch: header.producerEpoch, batches: [] };
    entry.batches.push({ baseSequence: header.baseSequence, lastSequence: header.baseSequence + header.recordCount - 1, baseOffset });
    if (entry.batches.length > retainedBatchesPerProducer) entry.batches.shift();
    table.set(id, entry);
    if (table.size > maxProducersPerPartition) table.delete(table.keys().next().value!);
  }

  /** Replaces the table with `state` (a snapshot; none: empty), then replays the batch headers stored after it, oldest first. */
  rebuild(state: ProducerTableState | undefined, headers: readonly BatchHeader[]): void {
    for (const [table, entries] of [[this.producers, state?.producers ?? []], [this.commits, state?.commits ?? []]] as const) {
      table.clear();
      for (const [id, epoch, batches] of entries) {
        table.set(id, { epoch, batches: batches.map(([baseSequence, lastSequence, baseOffset]) => ({ baseSequence, lastSequence, baseOffset })) });
      }
    }
    for (const header of headers) {
      if (header.producerId >= 0) this.record(header, header.baseOffset);
    }
  }

  /** The table as plain data, for a snapshot. */
  state(): ProducerTableState {
    const plain = (table: Map<number, ProducerEntry>) => [...table].map(([id, entry]): [number, number, Array<[number, number, number]>] => [
      id, entry.epoch, entry.batches.map((b): [number, number, number] => [b.baseSequence, b.lastSequence, b.baseOffset]),
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
