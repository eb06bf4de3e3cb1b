/**
 * The invariants a verification checks on the stored log, each reported held
 * or broken with a counterexample: nothing acknowledged lost, nothing stored
 * twice, per-partition order, a key stays in one partition, transactions
 * all-or-nothing. What groups were handed: delivery-invariants.ts.
 */
import type { Client } from '../client/index.js';
import { result, type InvariantResult } from './invariant-result.js';
import { sendOrder, type VerifyModel } from './model.js';

export type { InvariantResult } from './invariant-result.js';


interface StoredRecord { value: unknown; key: unknown }

async function readPartition(client: Client, topic: string, partition: number): Promise<Map<number, StoredRecord>> {
  const stored = new Map<number, StoredRecord>();
  for (let offset = 0; ;) {
    const page = await client.fetch(topic, partition, offset, { maxBytes: 1 << 20 });
    for (const record of page.records) stored.set(record.offset, { value: record.value, key: record.key });
    if (page.records.length === 0) return stored;
    offset = page.records[page.records.length - 1]!.offset + 1;
  }
}

export async function checkLogInvariants(client: Client, model: VerifyModel): Promise<InvariantResult[]> {
  const lost: string[] = [];
  const twice: string[] = [];
  const order: string[] = [];
  const leaked: string[] = [];
  const storedValues = new Set<string>();
  for (const [topic, partitions] of model.topics) {
    for (let partition = 0; partition < partitions; partition++) {
      const stored = await readPartition(client, topic, partition);
      const seen = new Set<unknown>();
      for (const [offset, record] of stored) {
        if (seen.has(record.value)) twice.push(`${topic}/${partition}@${offset} ${String(record.value)}`);
        seen.add(record.value);
        if (typeof record.value === 'string') storedValues.add(record.value);
        if (model.invisibleValues.has(record.value as string)) leaked.push(`${topic}/${partition}@${offset} ${String(record.value)}`);
      }
      const acked = [...(model.acked.get(`${topic}/${partition}`) ?? [])].sort((a, b) => sendOrder(a.value) - sendOrder(b.value));
      acked.forEach((message, i) => {
        const found = stored.get(message.offset);
        if (found?.value !== message.value || found.key !== (message.key ?? null)) lost.push(`${topic}/${partition}@${message.offset} ${message.value}`);
        if (i > 0 && message.offset <= acked[i - 1]!.offset) order.push(`${topic}/${partition}: ${message.value}@${message.offset} sent after ${acked[i - 1]!.value}@${acked[i - 1]!.offset}`);
      });
    }
  }
  const partial = model.committedTransactions.filter((values) => values.some((v) => !storedValues.has(v))).map((values) => values.join(','));
  return [
    result('no acknowledged message lost', lost),
    result('nothing stored twice', twice),
    result('per-partition order follows send order', order),
    result('a key stays in one partition', model.keyViolations),
    result('nothing of a rolled-back or unfinished transaction is stored', leaked),
    result('a committed transaction is stored whole', partial),
  ];
}
