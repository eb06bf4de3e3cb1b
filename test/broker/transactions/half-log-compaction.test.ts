/**
 * The half log keeps only what live transactions need: after each roll a
 * live transaction older than the newest sealed segment is restated at the
 * head, and the sealed segments below the oldest live transaction's first
 * record are deleted.
 */
import fs from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../../bench/lib/temp-dir.js';
import { startNode, stopNode, type BrokerNode } from '../../helpers/broker-node.js';
import { readPartition } from '../../helpers/read-partition.js';
import { RawClient } from '../../helpers/raw-client.js';

const segmentBytes = 8 * 1024;
const value = new Uint8Array(1024).fill(0x61);

const startSmallSegmentsNode = (dataDir: string) => startNode(dataDir, { topicDefaults: { segmentBytes } }, 'half-log-compaction');

const halfLogSegments = (dataDir: string) => fs.readdirSync(join(dataDir, 'internal', 'transactions')).filter((name) => name.endsWith('.log')).length;

describe('half log compaction', () => {
  let dir: Awaited<ReturnType<typeof tempDir>> | undefined;
  let node: BrokerNode | undefined;

  afterEach(async () => {
    await stopNode(node);
    await dir?.remove();
  });

  async function commitMany(count: number): Promise<void> {
    const producer = node!.client.transactionProducer({ group: 'many', checkLocalTransaction: () => 'unknown' });
    for (let i = 0; i < count; i++) await producer.sendInTransaction('orders', { value, key: `k${i}` }, () => 'commit');
  }
  /** Lets the compaction that follows a roll run. */
  const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

  it('deletes the segments of ended transactions, restates one left half so it holds none of them, and loses nothing across restarts', async () => {
    dir = await tempDir();
    node = await startSmallSegmentsNode(dir.path);
    await node.client.createTopic('orders', { partitions: 1 });

    await commitMany(60); // ~60 KiB of half messages and markers: several segments
    await settle();
    expect(halfLogSegments(dir.path)).toBeLessThanOrEqual(2);

    const waiting = node.client.transactionProducer({ group: 'slow', checkLocalTransaction: () => 'unknown' });
    const slow = await waiting.begin();
    await slow.send('orders', { value, key: 'slow' });
    await commitMany(60);
    await settle();
    expect(halfLogSegments(dir.path)).toBeLessThanOrEqual(3); // its half message was restated: it holds no old segment

    await stopNode(node);
    node = await startSmallSegmentsNode(dir.path); // the half transaction is rebuilt from its restatement
    expect((await node.client.listTransactions()).map((t) => [t.id, t.state, t.messages])).toEqual([[slow.id, 'half', 1]]);
    const raw = await RawClient.greeted(node.broker.url);
    expect(await raw.request({ type: 'txnEnd', group: 'slow', transactionId: slow.id, outcome: 'commit' })).toMatchObject({ type: 'result', body: { state: 'committed' } });
    raw.close();
    await commitMany(20);
    await settle();
    expect(halfLogSegments(dir.path)).toBeLessThanOrEqual(2);

    const keys = (await readPartition(node.client, 'orders', 0, 1 << 20)).map((record) => record.key);
    expect(keys).toHaveLength(141);
    expect(new Set(keys).size).toBe(61); // k0…k59 and slow
    expect(keys.filter((key) => key === 'slow')).toHaveLength(1); // once, though its half message was written twice

    await stopNode(node);
    node = await startSmallSegmentsNode(dir.path);
    expect(await node.client.listTransactions()).toEqual([]);
    expect(await readPartition(node.client, 'orders', 0, 1 << 20)).toHaveLength(141);
  });
});
