/** The client against the real broker: durable sends, keys, admin calls and fetch. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker } from '../../src/broker/index.js';
import { connect, MessageTooLargeError, UnknownTopicError, type Client } from '../../src/client/index.js';

let dataDir: string;
let broker: Awaited<ReturnType<typeof startBroker>>;
let client: Client;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'actormq-client-e2e-'));
  broker = await startBroker({ port: 0, dataDir, logLevel: 'silent' });
  client = await connect(broker.url, { clientId: 'e2e' });
});

afterAll(async () => {
  await client?.close();
  await broker?.close();
  await rm(dataDir, { recursive: true, force: true });
});

describe('client against the broker', () => {
  it('creates topics idempotently and lists them', async () => {
    expect(await client.createTopic('e2e-admin', { partitions: 3 })).toEqual({ topic: 'e2e-admin', partitions: 3, created: true });
    expect(await client.createTopic('e2e-admin', { partitions: 3 })).toMatchObject({ created: false });
    await expect(client.createTopic('e2e-admin', { partitions: 5 })).rejects.toMatchObject({ code: 'TOPIC_EXISTS' });
    expect(await client.createTopic('e2e-single')).toMatchObject({ partitions: 1 });
    expect(await client.listTopics()).toEqual(expect.arrayContaining([{ name: 'e2e-admin', partitions: 3 }, { name: 'e2e-single', partitions: 1 }]));
    expect((await client.describeTopic('e2e-admin')).partitions).toHaveLength(3);
  });

  it('sends one message and reads it back', async () => {
    await client.createTopic('e2e-send', { partitions: 2 });
    const producer = client.producer();
    const result = await producer.send('e2e-send', { key: 'user-42', value: { id: 1 }, headers: { src: 'web' } });
    expect(result).toMatchObject({ topic: 'e2e-send', offset: 0 });
    const { records, endOffset } = await client.fetch('e2e-send', result.partition, 0);
    expect(endOffset).toBe(1);
    expect(records).toEqual([expect.objectContaining({ offset: 0, key: 'user-42', value: { id: 1 }, headers: { src: 'web' } })]);
    await producer.close();
  });

  it('sendBatch stores every message, in order, with results in call order', async () => {
    await client.createTopic('e2e-batch', { partitions: 1 });
    const producer = client.producer({ maxBatchBytes: 16 * 1024 });
    const messages = Array.from({ length: 2_000 }, (_, i) => ({ value: new Uint8Array(100).fill(i % 251), headers: { i: String(i) } }));
    const results = await producer.sendBatch('e2e-batch', messages);
    expect(results.map((r) => r.offset)).toEqual(messages.map((_, i) => i));
    const seen: string[] = [];
    for (let offset = 0; offset < 2_000;) {
      const { records } = await client.fetch('e2e-batch', 0, offset, { maxBytes: 64 * 1024 });
      expect(records.length).toBeGreaterThan(0);
      seen.push(...records.map((r) => r.headers.i!));
      offset = records[records.length - 1]!.offset + 1;
    }
    expect(seen).toEqual(messages.map((_, i) => String(i)));
    await producer.close();
  });

  it('sends every message of a key to the same partition', async () => {
    await client.createTopic('e2e-keys', { partitions: 4 });
    const producer = client.producer();
    const results = await producer.sendBatch('e2e-keys', Array.from({ length: 60 }, (_, i) => ({ key: `user-${i % 6}`, value: i })));
    const byKey = new Map<string, Set<number>>();
    for (const [i, result] of results.entries()) {
      const key = `user-${i % 6}`;
      byKey.set(key, (byKey.get(key) ?? new Set()).add(result.partition));
    }
    for (const partitions of byKey.values()) expect(partitions.size).toBe(1);
    const stored = new Map<number, unknown[]>();
    for (let partition = 0; partition < 4; partition++) {
      const { records } = await client.fetch('e2e-keys', partition, 0);
      const values = records.map((r) => r.value as number);
      expect(values).toEqual([...values].sort((a, b) => a - b)); // per-partition order = send order
      stored.set(partition, values);
    }
    // Each result names where its own message was stored (results come from several partitions' batches).
    expect(results.map((r) => stored.get(r.partition)![r.offset])).toEqual(results.map((_, i) => i));
    await producer.close();
  });

  it('rejects unknown topics and oversized messages with typed errors', async () => {
    const producer = client.producer({ maxBatchBytes: 4_096 });
    await expect(producer.send('e2e-missing', { value: 1 })).rejects.toBeInstanceOf(UnknownTopicError);
    await client.createTopic('e2e-large');
    await expect(producer.send('e2e-large', { value: new Uint8Array(8_192) })).rejects.toBeInstanceOf(MessageTooLargeError);
    await producer.close();
  });
});
