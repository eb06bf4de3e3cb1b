/**
 * Partition ordering holds a partition's later messages until a failed one
 * comes back. When retention deletes the failed message during its backoff,
 * the broker forgets its redelivery: the consumer must not hold the
 * partition for ever waiting for it.
 */
import { afterEach, expect, it } from 'vitest';
import { startBroker, type Broker } from '../../src/broker/index.js';
import { connect, type Client } from '../../src/client/index.js';
import { tempDir } from '../../bench/lib/temp-dir.js';
import { until } from '../helpers/group-fixture.js';

/** Small segments and a small size bound: a few messages make retention delete the oldest segment. */
const segmentBytes = 1024;
const retentionBytes = 2 * segmentBytes;

let broker: Broker | undefined;
let client: Client | undefined;
let dir: Awaited<ReturnType<typeof tempDir>> | undefined;

afterEach(async () => {
  await client?.close();
  await broker?.close();
  await dir?.remove();
});

it('moves on when retention deleted a held message before its redelivery', async () => {
  dir = await tempDir();
  broker = await startBroker({ port: 0, dataDir: dir.path, logLevel: 'silent', retentionCheckIntervalMs: 10 });
  client = await connect(broker.url, { clientId: 'retention-hold' });
  await client.createTopic('events', { partitions: 1, segmentBytes, retentionBytes });
  const producer = client.producer({ lingerMs: 0 });
  const filler = (i: number) => `${i}`.padEnd(segmentBytes / 2, '.');
  await producer.send('events', { value: filler(0) });
  await producer.send('events', { value: filler(1) });
  const handled: number[] = [];
  let failed = false;
  const consumer = client.consumer({ group: 'g', topics: ['events'], from: 'earliest', retryBackoffMs: 60_000 });
  await consumer.run(async (m) => {
    if (m.offset === 0 && !failed) {
      failed = true;
      throw new Error('fails; its redelivery is a minute away');
    }
    handled.push(m.offset);
  });
  await until(() => failed, 'the failure of offset 0');
  for (let i = 2; i < 8; i++) await producer.send('events', { value: filler(i) });
  const startOffset = async () => (await client!.describeTopic('events')).partitions[0]!.startOffset;
  await until(async () => (await startOffset()) > 0, 'retention to delete offset 0');
  const deleted = await startOffset();
  // Offset 0 is gone and will not be redelivered; everything the log still holds must be handled.
  await until(() => handled.includes(7), 'the last message', 5_000);
  expect(handled.filter((offset) => offset >= deleted)).toEqual(Array.from({ length: 8 - deleted }, (_, i) => deleted + i));
});
