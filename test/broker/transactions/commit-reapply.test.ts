/**
 * A commit is re-applied on start when the half log holds its outcome but
 * not the mark that its messages are in their partitions. The re-apply
 * must store them once however much the partitions took in meanwhile: the
 * mark can be lost to a failed half-log sync long before the next start.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SimulatedClock } from 'xstate';
import type { HalfRecord } from '../../../src/broker/transactions/half-log.js';
import { defaultTransactionLimits } from '../../../src/broker/transactions/transaction-limits.js';
import { tempDir } from '../../../bench/lib/temp-dir.js';
import { startNode, stopNode, type BrokerNode } from '../../helpers/broker-node.js';
import { readPartition } from '../../helpers/read-partition.js';
import { HalfLogFaults } from '../../helpers/half-log-faults.js';

const topic = 'orders';
const group = 'order-service';
/** Small segments, so a few plain batches roll the partition past the commit batch. */
const segmentBytes = 1024;
const transactions = { checkAfterMs: 60_000, checkIntervalMs: 60_000, maxChecks: 3, timeoutMs: 600_000, checkTimeoutMs: 3_000 };
const isApplied = (record: HalfRecord) => record.k === 'a';

interface Node extends BrokerNode { clock: SimulatedClock }

async function startReapplyNode(dataDir: string): Promise<Node> {
  const clock = new SimulatedClock();
  const node = await startNode(dataDir, { timers: clock, transactions }, 'commit-reapply');
  await node.client.createTopic(topic, { partitions: 1, segmentBytes });
  return { ...node, clock };
}

describe('re-applying a commit on start', () => {
  let dir: Awaited<ReturnType<typeof tempDir>> | undefined;
  let node: Node | undefined;

  afterEach(async () => {
    vi.restoreAllMocks();
    await stopNode(node);
    await dir?.remove();
  });

  const values = async (): Promise<unknown[]> => (await readPartition(node!.client, topic, 0, 1 << 20)).map((record) => record.value);

  it('stores the messages of a commit whose applied mark was lost once, after the partition rolled past them', async () => {
    dir = await tempDir();
    node = await startReapplyNode(dir.path);
    const producer = node.client.transactionProducer({ group, checkLocalTransaction: () => 'unknown' });
    await producer.ready;
    const faults = new HalfLogFaults(dir.path);
    faults.failSync({ covering: isApplied, dropUnsynced: true });
    const tx = await producer.begin();
    await tx.send(topic, { value: 'committed' });
    await tx.commit();
    // A later write waits for the half log to be reopened after the failed sync of the mark.
    const next = await producer.begin();
    await next.send(topic, { value: 'rolled back' });
    expect(faults.failures).toBe(1);
    // The broker runs on for a while; the rollback's record is written after anything due meanwhile.
    node.clock.increment(defaultTransactionLimits.applyRetryMaxMs);
    await next.rollback();

    const plain = node.client.producer();
    for (let i = 0; i < 4; i++) await plain.send(topic, { value: 'x'.repeat(segmentBytes / 2) });
    vi.restoreAllMocks();
    await stopNode(node);

    node = await startReapplyNode(dir.path);
    expect((await values()).filter((value) => value === 'committed')).toHaveLength(1);
  });
});
