/**
 * Durable produce benchmark: a broker in a child process (flush sync), 1 or 4
 * producers in worker threads, 100 B and 1 KiB values; then produce-ack
 * latency at a fixed rate. Each throughput case runs `runs` times; the report
 * gives the median.
 */
import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import { connect } from '../src/client/index.js';
import { spawnBroker } from './lib/broker-process.js';
import { sendAtFixedRate } from './lib/fixed-rate.js';
import { formatRate, median } from './lib/stats.js';
import { tempDir } from './lib/temp-dir.js';
import type { ProduceWorkerInput, ProduceWorkerResult } from './produce-worker.js';

export interface ProduceBenchOptions { runs: number; durationMs: number; partitions: number; latencyRatePerSecond: number; latencyDurationMs: number; batchSizes: number[] }

export const defaultProduceBenchOptions: ProduceBenchOptions = {
  runs: 3, durationMs: 5_000, partitions: 4, latencyRatePerSecond: 10_000, latencyDurationMs: 5_000,
  // Messages per sendBatch call for the batch-size table (100 B, 1 producer, 8 calls outstanding).
  batchSizes: [1, 10, 100, 1_000],
};

/** Sends before the measured part of the latency case (connection, JIT, first segment). */
const latencyWarmupMs = 1_000;

export interface ThroughputResult { valueBytes: number; producers: number; batchMessages: number; runsMsgsPerSecond: number[]; msgsPerSecond: number; mbPerSecond: number }
export interface LatencyResult { ratePerSecond: number; samples: number; p50Ms: number; p99Ms: number; p999Ms: number }

function runWorker(input: ProduceWorkerInput): Promise<ProduceWorkerResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(join(import.meta.dirname, 'produce-worker.js'), { workerData: input });
    worker.once('message', resolve);
    worker.once('error', reject);
  });
}

async function throughputCase(url: string, topic: string, valueBytes: number, producers: number, options: ProduceBenchOptions, batchMessages = Math.max(64, Math.floor((256 * 1024) / (valueBytes + 8)))): Promise<ThroughputResult> {
  const runsMsgsPerSecond: number[] = [];
  for (let run = 0; run < options.runs; run++) {
    const results = await Promise.all(Array.from({ length: producers }, () =>
      runWorker({ url, topic, valueBytes, batchMessages, windowBatches: 8, durationMs: options.durationMs, warmupMs: 500 })));
    const perSecond = results.reduce((sum, r) => sum + r.acknowledged / (r.elapsedMs / 1000), 0);
    runsMsgsPerSecond.push(perSecond);
    process.stdout.write(`  ${valueBytes} B × ${producers} producer(s), ${batchMessages} per call, run ${run + 1}/${options.runs}: ${formatRate(perSecond)} msgs/s\n`);
  }
  const msgsPerSecond = median(runsMsgsPerSecond);
  return { valueBytes, producers, batchMessages, runsMsgsPerSecond, msgsPerSecond, mbPerSecond: (msgsPerSecond * valueBytes) / 1e6 };
}

/** Sends single messages at a fixed rate (ticks of 1 ms) and records each ack's latency. */
async function latencyCase(url: string, topic: string, options: ProduceBenchOptions): Promise<LatencyResult> {
  const client = await connect(url, { clientId: 'bench-latency' });
  const producer = client.producer({ lingerMs: 0 });
  const value = new Uint8Array(100).fill(0x62);
  const timing = { ratePerSecond: options.latencyRatePerSecond, warmupMs: latencyWarmupMs, durationMs: options.latencyDurationMs };
  const summary = (await sendAtFixedRate(timing, () => producer.send(topic, { value }))).summary();
  await client.close();
  return { ratePerSecond: options.latencyRatePerSecond, samples: summary.samples, p50Ms: summary.p50Ms, p99Ms: summary.p99Ms, p999Ms: summary.p999Ms };
}

/** Only the fixed-rate latency case (quicker to iterate on). */
export async function produceLatencyBench(options: ProduceBenchOptions = defaultProduceBenchOptions): Promise<LatencyResult> {
  const dir = await tempDir('actormq-bench-');
  const broker = await spawnBroker(dir.path);
  try {
    const admin = await connect(broker.url, { clientId: 'bench-admin' });
    await admin.createTopic('latency', { partitions: 1 });
    await admin.close();
    return await latencyCase(broker.url, 'latency', options);
  } finally {
    await broker.stop();
    await dir.remove();
  }
}

export async function produceBench(options: ProduceBenchOptions = defaultProduceBenchOptions): Promise<{ throughput: ThroughputResult[]; batchSizes: ThroughputResult[]; latency: LatencyResult }> {
  const dir = await tempDir('actormq-bench-');
  const broker = await spawnBroker(dir.path);
  try {
    const admin = await connect(broker.url, { clientId: 'bench-admin' });
    const throughput: ThroughputResult[] = [];
    for (const valueBytes of [100, 1024]) {
      for (const producers of [1, 4]) {
        const topic = `produce-${valueBytes}-${producers}`;
        await admin.createTopic(topic, { partitions: options.partitions });
        throughput.push(await throughputCase(broker.url, topic, valueBytes, producers, options));
      }
    }
    const batchSizes: ThroughputResult[] = [];
    for (const batchMessages of options.batchSizes) {
      const topic = `produce-batch-${batchMessages}`;
      await admin.createTopic(topic, { partitions: options.partitions });
      batchSizes.push(await throughputCase(broker.url, topic, 100, 1, options, batchMessages));
    }
    await admin.createTopic('latency', { partitions: 1 });
    await admin.close();
    process.stdout.write(`  latency at ${options.latencyRatePerSecond} msgs/s for ${options.latencyDurationMs} ms…\n`);
    const latency = await latencyCase(broker.url, 'latency', options);
    return { throughput, batchSizes, latency };
  } finally {
    await broker.stop();
    await dir.remove();
  }
}
