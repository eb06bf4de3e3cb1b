/**
 * Durable broker metadata under `<dataDir>/meta/`:
 *   topics.json        [{ name, partitions, config, createdAt }]
 *   producer-ids.json  { nextProducerId }: ids below it may have been issued
 * Producer ids are reserved in blocks, one durable write per block, so ids
 * stay unique across restarts without a write per producer.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { TopicConfig } from '../protocol/frames.js';
import { readFileIfExists, writeFileDurable } from '../storage/durable-file.js';

export interface TopicRecord {
  name: string;
  partitions: number;
  config: Required<TopicConfig>;
  createdAt: number;
}

// Every transaction reserves an id: at thousands of transactions per second a block of 1,000 cost a durable write
// (open, write, fsync, rename, directory fsync) several times a second. A restart skips at most one block.
const producerIdBlockSize = 100_000;

export class MetadataStore {
  private nextProducerId = 0;
  private reservedProducerIdsEnd = 0;
  private reserving: Promise<void> | undefined;

  private constructor(private readonly metaDir: string, private topicRecords: TopicRecord[]) {}

  static async open(dataDir: string): Promise<MetadataStore> {
    const metaDir = join(dataDir, 'meta');
    await mkdir(metaDir, { recursive: true });
    const topicsText = await readFileIfExists(join(metaDir, 'topics.json'));
    const store = new MetadataStore(metaDir, topicsText ? (JSON.parse(topicsText) as TopicRecord[]) : []);
    const idsText = await readFileIfExists(join(metaDir, 'producer-ids.json'));
    const persisted = idsText ? (JSON.parse(idsText) as { nextProducerId: number }).nextProducerId : 0;
    store.nextProducerId = persisted;
    store.reservedProducerIdsEnd = persisted;
    return store;
  }

  topics(): readonly TopicRecord[] {
    return this.topicRecords;
  }

  async addTopic(record: TopicRecord): Promise<void> {
    const next = [...this.topicRecords, record];
    await writeFileDurable(join(this.metaDir, 'topics.json'), JSON.stringify(next, null, 2));
    this.topicRecords = next;
  }

  /** Every issued producer id is below this (ids of earlier runs included; unused ids of a block are skipped after a restart). */
  get producerIdLimit(): number {
    return this.reservedProducerIdsEnd;
  }

  async allocateProducerId(): Promise<number> {
    while (this.nextProducerId >= this.reservedProducerIdsEnd) {
      this.reserving ??= this.reserveBlock().finally(() => (this.reserving = undefined));
      await this.reserving;
    }
    return this.nextProducerId++;
  }

  private async reserveBlock(): Promise<void> {
    const end = this.reservedProducerIdsEnd + producerIdBlockSize;
    await writeFileDurable(join(this.metaDir, 'producer-ids.json'), JSON.stringify({ nextProducerId: end }));
    this.reservedProducerIdsEnd = end;
  }
}
