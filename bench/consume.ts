/**
 * End-to-end benchmark: producers in worker threads, a consumer group member
 * in this process with a trivial handler, the broker in a child process.
 * Reports consumed msgs/s (handler calls acknowledged by resolving) and
 * produce→handler latency; then how long a 100-member group takes to settle
 * a rebalance when one member joins or leaves.
 */
import { connect, type Client } from '../src/client/index.js';
import { spawnBroker } from './lib/broker-process.js';
import { formatRate, median } from './lib/stats.js';
import { tempDir } from './lib/temp-dir.js';
import type { EndToEndMeasurement } from './lib/end-to-end.js';
import { actormqEndToEnd } from './peers/actormq-consume.js';

export interface ConsumeBenchOptions { runs: number; durationMs: number; partitions: number; rebalanceMembers: number; rebalanceRounds: number }
export const defaultConsumeBenchOptions: ConsumeBenchOptions = { runs: 3, durationMs: 5_000, partitions: 4, rebalanceMembers: 100, rebalanceRounds: 5 };

export interface ConsumeBenchResult {
  endToEnd: { runs: EndToEndMeasurement[]; msgsPerSecond: number; p50Ms: number; p99Ms: number };
  rebalance: { members: number; joinSettleMs: number[]; leaveSettleMs: number[]; medianJoinMs: number; medianLeaveMs: number };
}

const warmupMs = 1_000;

/** The same measurement as the peers comparison's actormq case (one code path, so the two scenarios agree on what they count). */
async function endToEndRun(url: string, run: number, options: ConsumeBenchOptions): Promise<EndToEndMeasurement> {
  const topic = `e2e-${run}`;
  const admin = await connect(url, { clientId: `bench-admin-${run}` });
  await admin.createTopic(topic, { partitions: options.partitions });
  await admin.close();
  return actormqEndToEnd(url, topic, { durationMs: options.durationMs, warmupMs });
}

/** Polls describeGroup until the group is stable at a generation past `after`. */
async function settled(admin: Client, group: string, after: number): Promise<number> {
  for (;;) {
    const description = await admin.describeGroup(group);
    if (description.state === 'stable' && (description as { generation?: number }).generation! > after) return (description as { generation?: number }).generation!;
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
}

async function rebalanceCase(url: string, options: ConsumeBenchOptions): Promise<ConsumeBenchResult['rebalance']> {
  const admin = await connect(url, { clientId: 'bench-rebalance-admin' });
  await admin.createTopic('rebalance', { partitions: options.rebalanceMembers });
  const clients: Client[] = [];
  const group = 'rebalance';
  for (let i = 0; i < options.rebalanceMembers; i++) {
    const client = await connect(url, { clientId: `member-${i}` });
    clients.push(client);
    await client.consumer({ group, topics: ['rebalance'], from: 'latest' }).run(async () => undefined);
  }
  let generation = await settled(admin, group, 0);
  const joinSettleMs: number[] = [];
  const leaveSettleMs: number[] = [];
  for (let round = 0; round < options.rebalanceRounds; round++) {
    const extra = await connect(url, { clientId: `extra-${round}` });
    const joinStart = performance.now();
    const consumer = extra.consumer({ group, topics: ['rebalance'], from: 'latest' });
    await consumer.run(async () => undefined);
    generation = await settled(admin, group, generation);
    joinSettleMs.push(performance.now() - joinStart);
    const leaveStart = performance.now();
    await consumer.close();
    generation = await settled(admin, group, generation);
    leaveSettleMs.push(performance.now() - leaveStart);
    await extra.close();
  }
  await Promise.all(clients.map((client) => client.close()));
  await admin.close();
  return { members: options.rebalanceMembers, joinSettleMs, leaveSettleMs, medianJoinMs: median(joinSettleMs), medianLeaveMs: median(leaveSettleMs) };
}

export async function consumeBench(options: ConsumeBenchOptions = defaultConsumeBenchOptions): Promise<ConsumeBenchResult> {
  const dir = await tempDir('actormq-bench-');
  const broker = await spawnBroker(dir.path);
  try {
    const runs: EndToEndMeasurement[] = [];
    for (let run = 0; run < options.runs; run++) {
      const result = await endToEndRun(broker.url, run, options);
      runs.push(result);
      process.stdout.write(`  end-to-end run ${run + 1}/${options.runs}: consumed ${formatRate(result.consumedPerSecond)} msgs/s (produced ${formatRate(result.producedPerSecond)}), p50 ${result.p50Ms.toFixed(1)} ms, p99 ${result.p99Ms.toFixed(1)} ms\n`);
    }
    process.stdout.write(`  rebalance of a ${options.rebalanceMembers}-member group…\n`);
    const rebalance = await rebalanceCase(broker.url, options);
    return {
      endToEnd: { runs, msgsPerSecond: median(runs.map((r) => r.consumedPerSecond)), p50Ms: median(runs.map((r) => r.p50Ms)), p99Ms: median(runs.map((r) => r.p99Ms)) },
      rebalance,
    };
  } finally {
    await broker.stop();
    await dir.remove();
  }
}
