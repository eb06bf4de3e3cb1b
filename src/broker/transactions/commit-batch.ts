/**
 * The batch a commit appends to one target partition: every half message of
 * the transaction for that partition, in the order they were sent, as ONE
 * batch (records copied byte for byte) marked transactional, stamped with the transaction's own producer id
 * (epoch 0, base sequence 0). Appending it again after a crash is answered by
 * the partition's idempotent-producer table as a duplicate, so a re-applied
 * commit never stores anything twice.
 */
import { crc32 } from '../../protocol/crc32.js';
import { batchAttribute, batchHeaderBytes, mergeBatches, mergedRecordGrowthBytes } from '../../protocol/record-batch.js';
import type { HalfEntry } from './half-log.js';

const crcStart = 21;

/** `<topic>\0<partition>`: the key of a transaction's target partition. */
export function partitionKeyOf(entry: { topic: string; partition: number }): string {
  return `${entry.topic}\u0000${entry.partition}`;
}

/** Groups entries by partition (partitionKeyOf), keeping send order. */
export function entriesByPartition(entries: readonly HalfEntry[]): Map<string, HalfEntry[]> {
  const byPartition = new Map<string, HalfEntry[]>();
  for (const entry of entries) {
    const key = partitionKeyOf(entry);
    const list = byPartition.get(key);
    if (list) list.push(entry);
    else byPartition.set(key, [entry]);
  }
  return byPartition;
}

export function commitBatch(entries: readonly HalfEntry[], producerId: number): Uint8Array {
  if (entries.length === 1) return restamp(entries[0]!.batch, producerId);
  return mergeBatches(entries.map((entry) => entry.batch), { producer: { producerId, producerEpoch: 0, baseSequence: 0 }, transactional: true });
}

/**
 * The most bytes the commit batch of one partition can take, given the half
 * batches it will hold (mergeBatches' bound): a transaction is refused a
 * half message that would take it past maxBatchBytes, since the batch must
 * pass the same limits as any other when the log is read back.
 */
export function commitBatchBoundBytes(batchBytes: number, batches: number, records: number): number {
  return batches === 1 ? batchBytes : batchHeaderBytes + (batchBytes - batches * batchHeaderBytes) + records * mergedRecordGrowthBytes;
}

/** A copy of one stored batch with the transaction's producer fields and the transactional bit; CRC recomputed. */
function restamp(batch: Uint8Array, producerId: number): Uint8Array {
  const copy = batch.slice();
  const view = new DataView(copy.buffer, copy.byteOffset, copy.byteLength);
  view.setInt16(21, (view.getInt16(21) & ~batchAttribute.control) | batchAttribute.transactional);
  const high = Math.floor(producerId / 0x1_0000_0000);
  view.setInt32(43, high);
  view.setUint32(47, producerId - high * 0x1_0000_0000);
  view.setInt16(51, 0);
  view.setInt32(53, 0);
  view.setUint32(17, crc32(copy.subarray(crcStart)));
  return copy;
}
