/** Topic administration and fetch against a fake broker. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connect, type Client } from '../../src/client/index.js';
import { encodeRecordBatch } from '../../src/protocol/record-batch.js';
import { FakeBroker } from './fake-broker.js';

let broker: FakeBroker;
let client: Client;

beforeEach(async () => {
  broker = await FakeBroker.start();
  client = await connect(broker.url, { clientId: 'admin-test' });
});

afterEach(async () => {
  await client.close();
  await broker.close();
});

describe('topics', () => {
  it('creates with 1 partition by default and sends only the settings given', async () => {
    expect(await client.createTopic('a')).toEqual({ topic: 'a', partitions: 1, created: true });
    await client.createTopic('b', { partitions: 4, retentionMs: 60_000 });
    const [first, second] = broker.received('createTopic');
    expect(first).toMatchObject({ topic: 'a', partitions: 1, config: {} });
    expect(second).toMatchObject({ topic: 'b', partitions: 4, config: { retentionMs: 60_000 } });
    expect(await client.createTopic('b', { partitions: 4 })).toMatchObject({ created: false });
    await expect(client.createTopic('b', { partitions: 2 })).rejects.toMatchObject({ code: 'TOPIC_EXISTS' });
    expect(await client.listTopics()).toEqual([{ name: 'a', partitions: 1 }, { name: 'b', partitions: 4 }]);
  });

  it('checks names and settings before sending anything', async () => {
    await expect(client.createTopic('no spaces')).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    await expect(client.createTopic('t', { partitions: 0 })).rejects.toThrow(/partitions/);
    await expect(client.createTopic('t', { retentionMs: 1.5 })).rejects.toThrow(/retentionMs/);
    await expect(client.createTopic('t', { replicas: 3 } as never)).rejects.toThrow(/no option "replicas"/);
    await expect(client.describeTopic('')).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    expect(broker.received('createTopic')).toHaveLength(0);
  });
});

describe('fetch', () => {
  const batch = (values: number[]): Uint8Array =>
    encodeRecordBatch(values.map((value) => ({ key: `k${value}`, value })), { now: 1_700_000_000_000 });

  it('decodes whole batches and skips records before the requested offset', async () => {
    broker.createTopic('t', 1);
    const stored = broker.topics.get('t')![0]!;
    stored.append(batch([0, 1, 2, 3, 4]));
    stored.append(batch([5, 6, 7]));
    const { records, endOffset } = await client.fetch('t', 0, 3);
    expect(endOffset).toBe(8);
    expect(records.map((r) => [r.offset, r.key, r.value])).toEqual([[3, 'k3', 3], [4, 'k4', 4], [5, 'k5', 5], [6, 'k6', 6], [7, 'k7', 7]]);
    expect(records[0]).toMatchObject({ topic: 't', partition: 0, timestamp: 1_700_000_000_000, headers: {} });
  });

  it('rejects a batch that fails its CRC with CORRUPT_BATCH, and leaves a cut-off batch for later', async () => {
    broker.createTopic('t', 1);
    const stored = broker.topics.get('t')![0]!;
    stored.append(batch([0, 1]));
    broker.handlers.fetch = () => {
      const whole = stored.batches[0]!.bytes;
      return { records: Buffer.concat([whole, whole.subarray(0, 70)]), startOffset: 0, endOffset: 4 };
    };
    expect((await client.fetch('t', 0, 0)).records).toHaveLength(2);
    stored.batches[0]!.bytes[stored.batches[0]!.bytes.length - 1]! ^= 1;
    await expect(client.fetch('t', 0, 0)).rejects.toMatchObject({ code: 'CORRUPT_BATCH' });
  });

  it('checks its arguments', async () => {
    await expect(client.fetch('t', -1, 0)).rejects.toThrow(/partition/);
    await expect(client.fetch('t', 0, 0, { maxBytes: 1 << 30 })).rejects.toThrow(/maxBytes/);
    expect(broker.received('fetch')).toHaveLength(0);
  });
});
