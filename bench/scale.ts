/**
 * Scale: what 10,000 partitions cost a broker that is doing nothing — its
 * resident memory and idle CPU (broker child process, from /proc) before and
 * after creating them, and how long creating them took.
 */
import { connect } from '../src/client/index.js';
import { spawnBroker } from './lib/broker-process.js';
import { cpuShare, residentBytes } from './lib/proc-stats.js';
import { tempDir } from './lib/temp-dir.js';

export interface ScaleBenchOptions { partitions: number; partitionsPerTopic: number; idleMs: number }
export const defaultScaleBenchOptions: ScaleBenchOptions = { partitions: 10_000, partitionsPerTopic: 1_000, idleMs: 10_000 };

export interface ScaleResult {
  partitions: number;
  createMs: number;
  before: { residentMiB: number; idleCpuPct: number };
  after: { residentMiB: number; idleCpuPct: number };
  perPartitionKiB: number;
}

const mib = 1024 * 1024;

export async function scaleBench(options: ScaleBenchOptions = defaultScaleBenchOptions): Promise<ScaleResult> {
  const dir = await tempDir('actormq-scale-');
  const broker = await spawnBroker(dir.path);
  const pid = broker.child.pid!;
  try {
    const sample = async (): Promise<{ residentMiB: number; idleCpuPct: number }> => {
      const idleCpuPct = (await cpuShare(pid, options.idleMs)) * 100;
      return { residentMiB: residentBytes(pid) / mib, idleCpuPct };
    };
    await new Promise((resolve) => setTimeout(resolve, 1_000)); // let start-up settle
    const before = await sample();
    process.stdout.write(`  idle broker: ${before.residentMiB.toFixed(0)} MiB resident, ${before.idleCpuPct.toFixed(2)} % CPU\n`);
    const client = await connect(broker.url, { clientId: 'bench-scale' });
    const started = performance.now();
    for (let created = 0, topic = 0; created < options.partitions; topic++) {
      const partitions = Math.min(options.partitionsPerTopic, options.partitions - created);
      await client.createTopic(`scale-${topic}`, { partitions });
      created += partitions;
      process.stdout.write(`  created ${created} / ${options.partitions} partitions\n`);
    }
    const createMs = performance.now() - started;
    await client.close();
    const after = await sample();
    process.stdout.write(`  with ${options.partitions} partitions: ${after.residentMiB.toFixed(0)} MiB resident, ${after.idleCpuPct.toFixed(2)} % CPU\n`);
    return { partitions: options.partitions, createMs, before, after, perPartitionKiB: ((after.residentMiB - before.residentMiB) * 1024) / options.partitions };
  } finally {
    await broker.stop();
    await dir.remove();
  }
}

export function scaleMarkdown(r: ScaleResult): string {
  return [
    `Scale: ${r.partitions.toLocaleString('en-US')} partitions on an idle broker (created in ${(r.createMs / 1000).toFixed(1)} s)`,
    '',
    '| | resident memory | idle CPU (one core) |',
    '| --- | --- | --- |',
    `| empty broker | ${r.before.residentMiB.toFixed(0)} MiB | ${r.before.idleCpuPct.toFixed(2)} % |`,
    `| ${r.partitions.toLocaleString('en-US')} partitions | ${r.after.residentMiB.toFixed(0)} MiB (${r.perPartitionKiB.toFixed(1)} KiB per partition) | ${r.after.idleCpuPct.toFixed(2)} % |`,
  ].join('\n');
}
