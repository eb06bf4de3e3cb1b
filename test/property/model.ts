/**
 * The reference model of a property run: which topics exist, and every
 * message the broker acknowledged — where, and in which order. Invariants
 * compare the broker's log with it.
 */
import { expect } from 'vitest';
import type { Client } from '../../src/client/index.js';

export interface AckedMessage { value: string; key: string | undefined; offset: number }

export class BrokerModel {
  readonly topics = new Map<string, number>();
  /** `${topic}/${partition}` → acknowledged messages in acknowledgement order. */
  readonly acked = new Map<string, AckedMessage[]>();
  /** Partition each key went to, per topic: a key never moves. */
  readonly keyPartition = new Map<string, number>();
  private nextValue = 0;

  uniqueValue(): string {
    return `v${this.nextValue++}`;
  }

  /** Messages carry their send order in the value (`v<n>`); per partition, offsets must follow it. */
  recordAck(topic: string, partition: number, message: AckedMessage): void {
    const list = this.acked.get(`${topic}/${partition}`) ?? [];
    list.push(message);
    list.sort((a, b) => sendOrder(a) - sendOrder(b));
    list.forEach((m, i) => {
      if (i > 0) expect(m.offset, `${topic}/${partition}: ${m.value} sent after ${list[i - 1]!.value} but stored before it`).toBeGreaterThan(list[i - 1]!.offset);
    });
    this.acked.set(`${topic}/${partition}`, list);
    if (message.key !== undefined) {
      const where = `${topic}:${message.key}`;
      expect(this.keyPartition.get(where) ?? partition, `key ${message.key} changed partition`).toBe(partition);
      this.keyPartition.set(where, partition);
    }
  }
}

function sendOrder(message: AckedMessage): number {
  return Number(message.value.slice(1));
}

/** Reads every partition of every topic and checks: nothing acknowledged lost or moved, nothing stored twice, per-key order. */
export async function checkLog(client: Client, model: BrokerModel): Promise<void> {
  for (const [topic, partitions] of model.topics) {
    for (let partition = 0; partition < partitions; partition++) {
      const stored = new Map<number, { value: unknown; key: unknown }>();
      for (let offset = 0; ;) {
        const page = await client.fetch(topic, partition, offset, { maxBytes: 1 << 20 });
        for (const record of page.records) stored.set(record.offset, { value: record.value, key: record.key });
        if (page.records.length === 0) break;
        offset = page.records[page.records.length - 1]!.offset + 1;
      }
      const values = [...stored.values()].map((s) => s.value);
      expect(new Set(values).size, `${topic}/${partition} stores a message twice`).toBe(values.length);
      for (const message of model.acked.get(`${topic}/${partition}`) ?? []) {
        expect(stored.get(message.offset), `${topic}/${partition}@${message.offset} lost or changed`).toEqual({ value: message.value, key: message.key ?? null });
      }
    }
  }
}
