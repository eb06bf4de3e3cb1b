import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startBroker, type Broker } from '../../src/broker/index.js';
import { encodeRecordBatch } from '../../src/protocol/record-batch.js';
import { RawClient } from '../helpers/raw-client.js';
import { tempDir } from '../../bench/lib/temp-dir.js';

describe('produce with autoCreateTopics', () => {
  let broker: Broker;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let client: RawClient;

  beforeEach(async () => {
    dir = await tempDir();
    broker = await startBroker({ port: 0, dataDir: dir.path, logLevel: 'silent', autoCreateTopics: true, limits: { maxTopics: 2 } });
    client = await RawClient.greeted(broker.url);
    await client.request({ type: 'createTopic', topic: 'orders', partitions: 1 });
  });
  afterEach(async () => {
    client.close();
    await broker.close();
    await dir.remove();
  });

  const entry = (topic: string) => ({ topic, partition: 0, batch: encodeRecordBatch([{ value: topic }], { now: 1_000 }) });

  it('answers a topic it cannot create in that entry alone and appends the others', async () => {
    const answer = await client.request({ type: 'produce', entries: [entry('orders'), entry('bad/name'), entry('created'), entry('over-limit')] });
    expect(answer.type).toBe('result');
    expect(answer.body.results.map((r: { code?: string }) => r.code ?? 'ok')).toEqual(['ok', 'INVALID_TOPIC', 'ok', 'TOO_MANY_PARTITIONS']);
    const topics = await client.request({ type: 'listTopics' });
    expect(topics.body.topics.map((t: { name: string }) => t.name)).toEqual(['orders', 'created']);
    for (const name of ['orders', 'created']) {
      const described = await client.request({ type: 'describeTopic', topic: name });
      expect(described.body.partitions[0].endOffset, name).toBe(1);
    }
  });
});
