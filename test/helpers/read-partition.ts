/** Every record of one partition, in offset order: a fetch answers from one segment at most, so this pages through them. */
import type { Client, FetchedRecord } from '../../src/client/index.js';

export async function readPartition(client: Client, topic: string, partition: number, maxBytes: number): Promise<FetchedRecord[]> {
  const found: FetchedRecord[] = [];
  for (let offset = 0; ;) {
    const page = await client.fetch(topic, partition, offset, { maxBytes });
    if (page.records.length === 0) return found;
    found.push(...page.records);
    offset = page.records[page.records.length - 1]!.offset + 1;
  }
}
