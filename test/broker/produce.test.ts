import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startBroker, type Broker } from '../../src/broker/index.js';
import { batchSizeAt, decodeRecords, encodeRecordBatch } from '../../src/protocol/record-batch.js';
import { RawClient } from '../helpers/raw-client.js';
import { tempDir } from '../../bench/lib/temp-dir.js';

function batchOf(values: unknown[], producer?: { producerId: number; producerEpoch: number; baseSequence: number }): Uint8Array {
  return encodeRecordBatch(values.map((value) => ({ value })), { now: 1_000, producer });
}

function decodeAll(bytes: Uint8Array): unknown[] {
  const values: unknown[] = [];
  for (let pos = 0; pos < bytes.length; pos += batchSizeAt(bytes, pos)) values.push(...decodeRecords(bytes, pos).map((r) => r.value));
  return values;
}

describe('produce and fetch', () => {
  let broker: Broker;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let client: RawClient;

  beforeEach(async () => {
    dir = await tempDir();
    broker = await startBroker({ port: 0, dataDir: dir.path, logLevel: 'silent' });
    client = await RawClient.greeted(broker.url);
    await client.request({ type: 'createTopic', topic: 'orders', partitions: 2 });
  });
  afterEach(async () => {
    client.close();
    await broker.close();
    await dir.remove();
  });

  const produce = (entries: object[]) => client.request({ type: 'produce', entries });
  const fetch = (partition: number, offset: number) => client.request({ type: 'fetch', topic: 'orders', partition, offset, maxBytes: 1 << 20 });

  it('assigns consecutive offsets per partition and reads them back', async () => {
    const first = await produce([{ topic: 'orders', partition: 0, batch: batchOf(['a', 'b']) }, { topic: 'orders', partition: 1, batch: batchOf(['x']) }]);
    expect(first.body.results).toEqual([
      { topic: 'orders', partition: 0, baseOffset: 0, duplicate: false },
      { topic: 'orders', partition: 1, baseOffset: 0, duplicate: false },
    ]);
    const second = await produce([{ topic: 'orders', partition: 0, batch: batchOf(['c']) }]);
    expect(second.body.results[0].baseOffset).toBe(2);
    const read = await fetch(0, 0);
    expect(read.body.endOffset).toBe(3);
    expect(decodeAll(read.body.records)).toEqual(['a', 'b', 'c']);
  });

  it('answers a resent batch with its original offset and stores it once', async () => {
    const init = await client.request({ type: 'initProducer' });
    const producer = { producerId: init.body.producerId, producerEpoch: 0, baseSequence: 0 };
    const batch = batchOf(['once'], producer);
    const entry = { topic: 'orders', partition: 0, batch };
    const original = await produce([entry]);
    await produce([{ topic: 'orders', partition: 0, batch: batchOf(['next'], { ...producer, baseSequence: 1 }) }]);
    const retry = await produce([{ ...entry, batch: batchOf(['once'], producer) }]);
    expect(retry.body.results[0]).toEqual({ ...original.body.results[0], duplicate: true });
    expect(decodeAll((await fetch(0, 0)).body.records)).toEqual(['once', 'next']);
  });

  it('refuses a sequence gap and a producer id it never issued', async () => {
    const init = await client.request({ type: 'initProducer' });
    const producer = { producerId: init.body.producerId, producerEpoch: 0, baseSequence: 0 };
    await produce([{ topic: 'orders', partition: 0, batch: batchOf(['a'], producer) }]);
    const gap = await produce([{ topic: 'orders', partition: 0, batch: batchOf(['c'], { ...producer, baseSequence: 5 }) }]);
    expect(gap.body.results[0]).toMatchObject({ code: 'OUT_OF_ORDER_SEQUENCE' });
    const stranger = await produce([{ topic: 'orders', partition: 0, batch: batchOf(['z'], { ...producer, producerId: 10 ** 9 }) }]);
    expect(stranger.body.results[0]).toMatchObject({ code: 'UNKNOWN_PRODUCER' });
  });

  it('answers bad entries one by one and appends the good ones', async () => {
    const corrupt = batchOf(['bad']);
    corrupt[corrupt.length - 1]! ^= 0xff;
    const answer = await produce([
      { topic: 'nope', partition: 0, batch: batchOf(['x']) },
      { topic: 'orders', partition: 7, batch: batchOf(['x']) },
      { topic: 'orders', partition: 0, batch: corrupt },
      { topic: 'orders', partition: 0, batch: batchOf(['good']) },
    ]);
    expect(answer.body.results.map((r: { code?: string }) => r.code ?? 'ok')).toEqual(['UNKNOWN_TOPIC', 'UNKNOWN_PARTITION', 'CORRUPT_BATCH', 'ok']);
    expect(decodeAll((await fetch(0, 0)).body.records)).toEqual(['good']);
  });

  it('refuses a fetch past the end and allows one at the end', async () => {
    expect(await fetch(0, 5)).toMatchObject({ type: 'error', code: 'OFFSET_OUT_OF_RANGE' });
    expect((await fetch(0, 0)).body.records.length).toBe(0);
  });

  it('keeps topics, offsets and producer state across a restart', async () => {
    const init = await client.request({ type: 'initProducer' });
    const producer = { producerId: init.body.producerId, producerEpoch: 0, baseSequence: 0 };
    await produce([{ topic: 'orders', partition: 1, batch: batchOf(['p', 'q'], producer) }]);
    client.close();
    await broker.close();
    broker = await startBroker({ port: 0, dataDir: dir.path, logLevel: 'silent' });
    client = await RawClient.greeted(broker.url);
    const topics = await client.request({ type: 'listTopics' });
    expect(topics.body.topics).toEqual([{ name: 'orders', partitions: 2 }]);
    const retry = await produce([{ topic: 'orders', partition: 1, batch: batchOf(['p', 'q'], producer) }]);
    expect(retry.body.results[0]).toMatchObject({ baseOffset: 0, duplicate: true });
    const next = await client.request({ type: 'initProducer' });
    expect(next.body.producerId).toBeGreaterThan(producer.producerId);
    expect(decodeAll((await fetch(1, 0)).body.records)).toEqual(['p', 'q']);
  });

  it('creates a topic again with the same settings and refuses different ones', async () => {
    expect(await client.request({ type: 'createTopic', topic: 'orders', partitions: 2 })).toMatchObject({ body: { created: false } });
    expect(await client.request({ type: 'createTopic', topic: 'orders', partitions: 3 })).toMatchObject({ code: 'TOPIC_EXISTS' });
    expect(await client.request({ type: 'createTopic', topic: '..', partitions: 1 })).toMatchObject({ code: 'INVALID_TOPIC' });
    expect(await client.request({ type: 'createTopic', topic: 'zero', partitions: 0 })).toMatchObject({ code: 'INVALID_TOPIC' });
  });
});
