/**
 * limits.maxOpenSealedSegments: one bound for the sealed segment files every
 * partition of a broker keeps open, however small the topic's segments.
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startBroker, type Broker } from '../../src/broker/index.js';
import { decodeRecords, encodeRecordBatch } from '../../src/protocol/record-batch.js';
import { RawClient } from '../helpers/raw-client.js';
import { openFilesUnder } from '../helpers/open-files.js';
import { tempDir } from '../../bench/lib/temp-dir.js';

const maxOpenSealedSegments = 3;
const partitions = 2;
const batchesPerPartition = 30;

describe('a broker with one-batch segments', () => {
  let broker: Broker | undefined;
  let client: RawClient | undefined;
  let dir: Awaited<ReturnType<typeof tempDir>> | undefined;

  afterEach(async () => {
    client?.close();
    await broker?.close();
    await dir?.remove();
  });

  it('keeps at most limits.maxOpenSealedSegments sealed segment files open over all its partitions, and reads them all', async () => {
    dir = await tempDir();
    broker = await startBroker({ port: 0, dataDir: dir.path, logLevel: 'silent', limits: { maxOpenSealedSegments } });
    client = await RawClient.greeted(broker.url);
    await client.request({ type: 'createTopic', topic: 'orders', partitions, config: { segmentBytes: 1 } });
    for (let i = 0; i < batchesPerPartition; i++) {
      for (let partition = 0; partition < partitions; partition++) {
        const batch = encodeRecordBatch([{ value: `${partition}-${i}` }], { now: 1_000 });
        await client.request({ type: 'produce', entries: [{ topic: 'orders', partition, batch }] });
      }
    }
    const topicDir = path.join(dir.path, 'logs', 'orders');
    const openSegments = () => openFilesUnder(topicDir).filter((file) => file.endsWith('.log'));
    // Every produce rolled: per partition the active segment, and the broker-wide bound of sealed ones.
    expect(openSegments()).toHaveLength(partitions + maxOpenSealedSegments);
    for (let partition = 0; partition < partitions; partition++) {
      for (let offset = 0; offset < batchesPerPartition; offset++) {
        const fetched = await client.request({ type: 'fetch', topic: 'orders', partition, offset, maxBytes: 1 << 20 });
        expect(decodeRecords(fetched.body.records, 0).map((record) => record.value)).toEqual([`${partition}-${offset}`]);
      }
    }
    expect(openSegments()).toHaveLength(partitions + maxOpenSealedSegments);
  });
});
