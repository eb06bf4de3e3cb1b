/**
 * Transaction benchmark, against a broker in a child process (flush sync):
 *  - throughput: committed transactions per second, one 100 B message each,
 *    durable (half message fsynced before the local transaction runs, the
 *    outcome and the commit append fsynced before the commit is answered),
 *    from producers in worker threads; median of `runs`;
 *  - memory: the broker's resident set with `openTransactions` transactions
 *    begun and holding one half message each, never ended;
 *  - the actor floor: the transaction actor's own cost per committed
 *    transaction, without any I/O (lib/actor-floor.ts).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { connect } from '../src/client/index.js';
import { measureActorFloor, type ActorFloor } from './lib/actor-floor.js';
import { spawnBroker } from './lib/broker-process.js';
import { formatRate, median } from './lib/stats.js';
import { tempDir } from './lib/temp-dir.js';
import type { TxnWorkerInput, TxnWorkerResult } from './txn-worker.js';

export interface TxnBenchOptions { runs: number; durationMs: number; producers: number; lanes: number; partitions: number; openTransactions: number }

export const defaultTxnBenchOptions: TxnBenchOptions = { runs: 3, durationMs: 5_000, producers: 2, lanes: 256, partitions: 4, openTransactions: 100_000 };

export interface TxnBenchResult {
  /** brokerCpuUsPerTxn: the broker process's CPU time (user + system) per committed transaction — the ceiling on a core of its own is 1e6 / it. */
  throughput: { runsTxnPerSecond: number[]; txnPerSecond: number; brokerCpuUsPerTxn: number[] };
  memory: { openTransactions: number; rssBytes: number; rssBeforeBytes: number; peakRssBytes: number; openSeconds: number };
  actorFloor: ActorFloor;
}

function runWorker(input: TxnWorkerInput): Promise<TxnWorkerResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(join(import.meta.dirname, 'txn-worker.js'), { workerData: input });
    worker.once('message', resolve);
    worker.once('error', reject);
  });
}

async function processMemory(pid: number): Promise<{ rssBytes: number; peakRssBytes: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN) * 1024;
  return { rssBytes: kib('VmRSS'), peakRssBytes: kib('VmHWM') };
}

/** CPU seconds (user + system) the process has used. */
async function processCpuSeconds(pid: number): Promise<number> {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
}

async function throughput(options: TxnBenchOptions): Promise<TxnBenchResult['throughput']> {
  const dir = await tempDir('actormq-bench-txn-');
  const broker = await spawnBroker(dir.path);
  try {
    const admin = await connect(broker.url, { clientId: 'bench-admin' });
    await admin.createTopic('txn', { partitions: options.partitions });
    await admin.close();
    const runsTxnPerSecond: number[] = [];
    const brokerCpuUsPerTxn: number[] = [];
    for (let run = 0; run < options.runs; run++) {
      const cpuBefore = await processCpuSeconds(broker.child.pid!);
      const results = await Promise.all(Array.from({ length: options.producers }, () =>
        runWorker({ url: broker.url, topic: 'txn', valueBytes: 100, lanes: options.lanes, durationMs: options.durationMs, warmupMs: 500 })));
      const cpuSeconds = (await processCpuSeconds(broker.child.pid!)) - cpuBefore;
      const perSecond = results.reduce((sum, r) => sum + r.committed / (r.elapsedMs / 1000), 0);
      const total = results.reduce((sum, r) => sum + r.total, 0);
      runsTxnPerSecond.push(perSecond);
      brokerCpuUsPerTxn.push((cpuSeconds * 1e6) / total);
      process.stdout.write(`  ${options.producers} producer(s) × ${options.lanes} lanes, run ${run + 1}/${options.runs}: ${formatRate(perSecond)} txn/s, broker CPU ${brokerCpuUsPerTxn.at(-1)!.toFixed(0)} µs/txn\n`);
    }
    return { runsTxnPerSecond, txnPerSecond: median(runsTxnPerSecond), brokerCpuUsPerTxn };
  } finally {
    await broker.stop();
    await dir.remove();
  }
}

async function memory(options: TxnBenchOptions): Promise<TxnBenchResult['memory']> {
  const dir = await tempDir('actormq-bench-txn-');
  // No check-back during the measurement: the transactions stay half.
  const broker = await spawnBroker(dir.path, 0, ['--txn-check-after-ms', '3600000']);
  try {
    const client = await connect(broker.url, { clientId: 'bench-open' });
    await client.createTopic('open', { partitions: options.partitions });
    const tp = client.transactionProducer({ group: 'bench-open', checkLocalTransaction: () => 'unknown' });
    await tp.ready;
    const before = await processMemory(broker.child.pid!);
    const value = new Uint8Array(100).fill(0x6f);
    const leaveOpen = () => 'unknown' as const;
    const start = performance.now();
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < options.openTransactions) {
        next++;
        await tp.sendInTransaction('open', { value }, leaveOpen);
      }
    };
    await Promise.all(Array.from({ length: 256 }, lane));
    const openSeconds = (performance.now() - start) / 1000;
    const listed = await client.listTransactions();
    await new Promise((resolve) => setTimeout(resolve, 1_000)); // let the broker settle (GC) before reading its RSS
    const after = await processMemory(broker.child.pid!);
    await client.close();
    process.stdout.write(`  ${options.openTransactions} open transactions (${listed.length} listed): broker RSS ${(after.rssBytes / 2 ** 20).toFixed(0)} MiB\n`);
    return { openTransactions: options.openTransactions, rssBytes: after.rssBytes, rssBeforeBytes: before.rssBytes, peakRssBytes: after.peakRssBytes, openSeconds };
  } finally {
    await broker.kill(); // no graceful close needed: the data dir goes
    await dir.remove();
  }
}

export async function txnBench(options: TxnBenchOptions = defaultTxnBenchOptions): Promise<TxnBenchResult> {
  const actorFloor = measureActorFloor();
  process.stdout.write(`  transaction actor alone (no I/O): ${actorFloor.usPerTransaction.toFixed(1)} µs per committed transaction\n`);
  return { throughput: await throughput(options), memory: await memory(options), actorFloor };
}
