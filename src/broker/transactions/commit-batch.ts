/**
 * The batch a commit appends to one target partition: every half message of
 * the transaction for that partition, in the order they were sent, as ONE
 * batch marked transactional, stamped with the transaction's own producer id
 * (epoch 0, base sequence 0). Appending it again after a crash is answered by
 * the partition's idempotent-producer table as a duplicate, so a re-applied
 * commit never stores anything twice.
 */
import { crc32 } from '../../protocol/crc32.js';
import { batchAttribute, decodeRecords, encodeRecordBatch } from '../../protocol/record-batch.js';
import type { HalfEntry } from './half-log.js';

const crcStart = 21;

/** Groups entries by partition, keeping send order; key `<topic>\0<partition>`. */
export function entriesByPartition(entries: readonly HalfEntry[]): Map<string, HalfEntry[]> {
  const byPartition = new Map<string, HalfEntry[]>();
  for (const entry of entries) {
    const key = `${entry.topic}\u0000${entry.partition}`;
    const list = byPartition.get(key);
    if (list) list.push(entry);
    else byPartition.set(key, [entry]);
  }
  return byPartition;
}

export function commitBatch(entries: readonly HalfEntry[], producerId: number, now: number): Uint8Array {
  if (entries.length === 1) return restamp(entries[0]!.batch, producerId);
  const records = entries.flatMap((entry) => decodeRecords(entry.batch));
  return encodeRecordBatch(records, { now, producer: { producerId, producerEpoch: 0, baseSequence: 0 }, transactional: true });
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
