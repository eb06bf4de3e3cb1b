import { afterEach, describe, expect, it } from 'vitest';
import { startBroker, type Broker } from '../../src/broker/index.js';
import { batchSizeAt, decodeRecords, encodeRecordBatch, readBatchHeader } from '../../src/protocol/record-batch.js';
import { RawClient } from '../helpers/raw-client.js';
import { tempDir } from '../../bench/lib/temp-dir.js';

/** Small segments, so a few batches of other producers roll the log past a producer's last batch. */
const segmentBytes = 1024;

function batchOf(value: string, producer?: { producerId: number; producerEpoch: number; baseSequence: number }): Uint8Array {
  return encodeRecordBatch([{ value }], { now: 1_000, producer });
}

function lastOffsetOf(bytes: Uint8Array): number {
  let last = -1;
  for (let pos = 0; pos < bytes.length; pos += batchSizeAt(bytes, pos)) last = readBatchHeader(bytes, pos).baseOffset + readBatchHeader(bytes, pos).lastOffsetDelta;
  return last;
}

function decodeAll(bytes: Uint8Array): unknown[] {
  const values: unknown[] = [];
  for (let pos = 0; pos < bytes.length; pos += batchSizeAt(bytes, pos)) values.push(...decodeRecords(bytes, pos).map((r) => r.value));
  return values;
}

describe('idempotent producer state across a restart', () => {
  let broker: Broker | undefined;
  let client: RawClient | undefined;
  let dir: Awaited<ReturnType<typeof tempDir>> | undefined;

  afterEach(async () => {
    client?.close();
    await broker?.close();
    await dir?.remove();
  });

  /** Every value in the partition: a fetch answers from one segment, so page through them. */
  const storedValues = async (): Promise<unknown[]> => {
    const found: unknown[] = [];
    for (let offset = 0; ;) {
      const page = await client!.request({ type: 'fetch', topic: 'orders', partition: 0, offset, maxBytes: 1 << 20 });
      if (offset === page.body.endOffset) return found;
      found.push(...decodeAll(page.body.records));
      offset = lastOffsetOf(page.body.records) + 1;
    }
  };
  const produce = (batch: Uint8Array) => client!.request({ type: 'produce', entries: [{ topic: 'orders', partition: 0, batch }] });

  it('recognises a resent batch whose original sits in an older segment than the newest two', async () => {
    dir = await tempDir();
    broker = await startBroker({ port: 0, dataDir: dir.path, logLevel: 'silent' });
    client = await RawClient.greeted(broker.url);
    await client.request({ type: 'createTopic', topic: 'orders', partitions: 1, config: { segmentBytes } });
    const init = await client.request({ type: 'initProducer' });
    const producer = { producerId: init.body.producerId, producerEpoch: 0, baseSequence: 0 };
    // Its answer is lost (say the producer's connection dropped): the producer will resend the same batch.
    const original = await produce(batchOf('once', producer));
    // Other producers go on: each of their batches fills half a segment, so the log rolls past the batch above.
    for (let i = 0; i < 4; i++) await produce(batchOf('x'.repeat(segmentBytes / 2)));
    client.close();
    await broker.close();

    broker = await startBroker({ port: 0, dataDir: dir.path, logLevel: 'silent' });
    client = await RawClient.greeted(broker.url);
    const retry = await produce(batchOf('once', producer));
    expect(retry.body.results[0]).toEqual({ ...original.body.results[0], duplicate: true });
    expect((await storedValues()).filter((value) => value === 'once')).toHaveLength(1);
  });
});
