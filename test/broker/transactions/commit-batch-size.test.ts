/**
 * A commit appends a partition's half messages as one batch. Half batches
 * are each within maxBatchBytes, but together they may not be: a half
 * message that would take its partition's commit past the limits is
 * refused (recovery would cut a stored batch over them as unsound, and
 * every batch after it), and what was committed survives a restart.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { tempDir } from '../../../bench/lib/temp-dir.js';
import { startNode, stopNode, type BrokerNode } from '../../helpers/broker-node.js';
import { readPartition } from '../../helpers/read-partition.js';

const topic = 'orders';
const group = 'order-service';
/** Small limits keep the batches small: two half batches of 40 KiB are over them together. */
const limits = { maxBatchBytes: 64 * 1024, maxFrameBytes: 256 * 1024, maxFetchBytes: 256 * 1024, maxEntriesPerRequest: 64 };
const valueBytes = 40 * 1024;
const transactions = { checkAfterMs: 60_000, checkIntervalMs: 60_000, maxChecks: 3, timeoutMs: 600_000, checkTimeoutMs: 3_000 };

async function startSizedNode(dataDir: string): Promise<BrokerNode> {
  const node = await startNode(dataDir, { timers: new SimulatedClock(), transactions, limits }, 'commit-batch-size');
  await node.client.createTopic(topic, { partitions: 1 });
  return node;
}

describe('a commit larger than one batch', () => {
  let dir: Awaited<ReturnType<typeof tempDir>> | undefined;
  let node: BrokerNode | undefined;

  afterEach(async () => {
    await stopNode(node);
    await dir?.remove();
  });

  const keys = async (): Promise<unknown[]> => (await readPartition(node!.client, topic, 0, limits.maxFetchBytes)).map((record) => record.key);

  it('refuses a half message that would take its partition past one batch, commits the rest as one batch that survives a restart', async () => {
    dir = await tempDir();
    node = await startSizedNode(dir.path);
    const producer = node.client.transactionProducer({ group, checkLocalTransaction: () => 'unknown' });
    await producer.ready;
    const tx = await producer.begin();
    await tx.send(topic, { key: 'first', value: new Uint8Array(valueBytes) });
    await expect(tx.send(topic, { key: 'second', value: new Uint8Array(valueBytes) })).rejects.toMatchObject({ code: 'MESSAGE_TOO_LARGE' });
    await tx.send(topic, { key: 'small', value: new Uint8Array(1024) }); // still room for this one
    await tx.commit();
    await node.client.producer().send(topic, { key: 'after', value: 'plain' });
    expect(await keys()).toEqual(['first', 'small', 'after']);
    await stopNode(node);

    node = await startSizedNode(dir.path);
    expect(await keys()).toEqual(['first', 'small', 'after']);
    expect((await node.client.fetch(topic, 0, 0, { maxBytes: limits.maxFetchBytes })).records.slice(0, 2).map((r) => (r.value as Uint8Array).length)).toEqual([valueBytes, 1024]);
  });
});
