import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startBroker, type Broker } from '../../src/broker/index.js';
import { RawClient } from '../helpers/raw-client.js';
import { tempDir } from '../../bench/lib/temp-dir.js';

describe('createTopic settings', () => {
  let broker: Broker;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let client: RawClient;

  const start = async (): Promise<void> => {
    broker = await startBroker({ port: 0, dataDir: dir.path, logLevel: 'silent' });
    client = await RawClient.greeted(broker.url);
  };

  beforeEach(async () => {
    dir = await tempDir();
    await start();
  });
  afterEach(async () => {
    client.close();
    await broker.close();
    await dir.remove();
  });

  it('refuses settings a partition log cannot open and creates nothing, also after a restart', async () => {
    const unusable = [{ segmentBytes: 0 }, { segmentMs: 0 }, { segmentBytes: 2 ** 31 }];
    for (const [index, config] of unusable.entries()) {
      const answer = await client.request({ type: 'createTopic', topic: `bad-${index}`, partitions: 1, config });
      expect(answer, JSON.stringify(config)).toMatchObject({ type: 'error', code: 'INVALID_TOPIC' });
    }
    expect((await client.request({ type: 'listTopics' })).body.topics).toEqual([]);
    client.close();
    await broker.close();
    await start();
    expect((await client.request({ type: 'listTopics' })).body.topics).toEqual([]);
  });

  it('accepts the smallest and largest settings a partition log can open', async () => {
    const config = { segmentBytes: 2 ** 31 - 1, segmentMs: 1, retentionMs: 0, retentionBytes: 0 };
    const answer = await client.request({ type: 'createTopic', topic: 'edges', partitions: 1, config });
    expect(answer.body).toEqual({ topic: 'edges', partitions: 1, created: true });
    const described = await client.request({ type: 'describeTopic', topic: 'edges' });
    expect(described.body).toMatchObject({ config, partitions: [{ partition: 0, state: 'online' }] });
  });
});
