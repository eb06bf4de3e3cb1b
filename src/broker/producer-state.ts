/**
 * Idempotent-producer state of one partition: for each producer id, its epoch
 * and the last `retainedBatchesPerProducer` batches it appended. A resent batch
 * that matches one of them is a duplicate and is answered with its original
 * offsets; a batch whose sequence does not follow the last one is out of order.
 * Rebuilt from the batch headers of the newest segments after a restart.
 */
import type { BatchHeader } from '../protocol/record-batch.js';

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

export type SequenceVerdict =
  | { kind: 'append' }
  | { kind: 'duplicate'; baseOffset: number }
  | { kind: 'outOfOrder'; expectedSequence: number }
  | { kind: 'fenced'; currentEpoch: number };

export class ProducerStateTable {
  private readonly producers = new Map<number, ProducerEntry>();

  check(header: BatchHeader): SequenceVerdict {
    const entry = this.producers.get(header.producerId);
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
    const id = header.producerId;
    let entry = this.producers.get(id);
    if (entry) this.producers.delete(id); // re-insert: Map order is least recently used first
    if (!entry || header.producerEpoch > entry.epoch) entry = { epoch: header.producerEpoch, batches: [] };
    entry.batches.push({ baseSequence: header.baseSequence, lastSequence: header.baseSequence + header.recordCount - 1, baseOffset });
    if (entry.batches.length > retainedBatchesPerProducer) entry.batches.shift();
    this.producers.set(id, entry);
    if (this.producers.size > maxProducersPerPartition) {
      this.producers.delete(this.producers.keys().next().value!);
    }
  }

  /** Replays stored batch headers (oldest first) after recovery. */
  rebuild(headers: readonly BatchHeader[]): void {
    this.producers.clear();
    for (const header of headers) {
      if (header.producerId >= 0) this.record(header, header.baseOffset);
    }
  }

  get size(): number {
    return this.producers.size;
  }
}
