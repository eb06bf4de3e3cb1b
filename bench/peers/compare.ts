/**
 * `npm run bench -- peers`: actormq, the physical reference, NATS JetStream
 * and RabbitMQ on this machine in one run, under the same workloads, runs
 * interleaved (A B C D, A B C D, …) so drifting machine noise hits every
 * system alike. Reports medians and actormq/peer ratios of the medians.
 * A peer that is not installed is reported as such and skipped.
 */
import { formatRate, median } from '../lib/stats.js';
import { tempDir } from '../lib/temp-dir.js';
import { natsInstalled } from './nats-server.js';
import { rabbitmqInstalled } from './rabbitmq-server.js';
import {
  startActormq, startNatsSystem, startRabbitmqSystem, startReference,
  type BenchSystem, type EndToEndResult, type ProduceCase, type Timing,
} from './systems.js';

export interface PeersBenchOptions { runs: number; timing: Timing; cases: ProduceCase[]; endToEnd: boolean; partitions: number }

export const defaultPeersBenchOptions: PeersBenchOptions = {
  runs: 3,
  timing: { durationMs: 4_000, warmupMs: 1_000 },
  partitions: 4,
  endToEnd: true,
  cases: [
    { name: '100 B × 1', valueBytes: 100, producers: 1 },
    { name: '100 B × 4', valueBytes: 100, producers: 4 },
    { name: '1 KiB × 1', valueBytes: 1024, producers: 1 },
  ],
};

interface SystemReport { name: string; version: string; pattern: string; produce: Record<string, number[]>; endToEnd: EndToEndResult[] }

export interface PeersBenchResult { systems: SystemReport[]; missing: string[]; markdown: string }

type Starter = { name: string; installed: () => boolean; start: (dir: string) => Promise<BenchSystem> };

const starters: Starter[] = [
  { name: 'actormq', installed: () => true, start: startActormq },
  { name: 'physical reference', installed: () => true, start: startReference },
  { name: 'NATS JetStream', installed: () => natsInstalled() !== null, start: startNatsSystem },
  { name: 'RabbitMQ quorum queue', installed: () => rabbitmqInstalled() !== null, start: startRabbitmqSystem },
];

export async function peersBench(options: PeersBenchOptions = defaultPeersBenchOptions): Promise<PeersBenchResult> {
  const dir = await tempDir('actormq-peers-');
  const systems: BenchSystem[] = [];
  const missing: string[] = [];
  try {
    for (const starter of starters) {
      if (!starter.installed()) {
        missing.push(starter.name);
        process.stdout.write(`  ${starter.name}: NOT INSTALLED — run bench/peers/install.sh; skipped\n`);
        continue;
      }
      process.stdout.write(`  starting ${starter.name}…\n`);
      systems.push(await starter.start(dir.path));
    }
    const reports: SystemReport[] = systems.map((s) => ({ name: s.name, version: s.version, pattern: s.pattern, produce: {}, endToEnd: [] }));
    for (const [caseIndex, produceCase] of options.cases.entries()) {
      for (let run = 0; run < options.runs; run++) {
        for (const [i, system] of systems.entries()) {
          const target = `p${caseIndex}r${run}`;
          await system.prepare(target, options.partitions);
          const rate = await system.produce(target, produceCase, options.timing);
          await system.remove(target);
          (reports[i]!.produce[produceCase.name] ??= []).push(rate);
          process.stdout.write(`  produce ${produceCase.name}, run ${run + 1}/${options.runs}, ${system.name}: ${formatRate(rate)} msgs/s\n`);
        }
      }
    }
    if (options.endToEnd) {
      for (let run = 0; run < options.runs; run++) {
        for (const [i, system] of systems.entries()) {
          if (!system.endToEnd) continue;
          const target = `e2e${run}`;
          await system.prepare(target, options.partitions);
          const result = await system.endToEnd(target, options.timing);
          await system.remove(target);
          reports[i]!.endToEnd.push(result);
          process.stdout.write(`  end-to-end run ${run + 1}/${options.runs}, ${system.name}: ${formatRate(result.consumedPerSecond)} msgs/s, p50 ${result.p50Ms.toFixed(1)} ms, p99 ${result.p99Ms.toFixed(1)} ms\n`);
        }
      }
    }
    return { systems: reports, missing, markdown: peersMarkdown(reports, missing, options) };
  } finally {
    for (const system of systems.reverse()) await system.stop().catch((error: unknown) => process.stderr.write(`stopping ${system.name}: ${String(error)}\n`));
    await dir.remove();
  }
}

function ratio(ours: number, theirs: number): string {
  return Number.isFinite(ours / theirs) ? `${(ours / theirs).toFixed(2)}×` : '—';
}

function peersMarkdown(reports: SystemReport[], missing: string[], options: PeersBenchOptions): string {
  const actormq = reports.find((r) => r.name === 'actormq')!;
  const reference = reports.find((r) => r.name === 'physical reference');
  const peers = reports.filter((r) => r !== actormq && r !== reference);
  const lines = [
    `Same run, same machine; median of ${options.runs} interleaved runs of ${options.timing.durationMs} ms (after ${options.timing.warmupMs} ms warm-up); msgs/s acknowledged durably`,
    '',
    `| workload | ${reports.map((r) => r.name).join(' | ')} | actormq / reference | ${peers.map((p) => `actormq / ${p.name}`).join(' | ')} |`,
    `| --- | ${reports.map(() => '---').join(' | ')} | --- | ${peers.map(() => '---').join(' | ')} |`,
  ];
  for (const produceCase of options.cases) {
    const ours = median(actormq.produce[produceCase.name] ?? []);
    const cells = reports.map((r) => formatRate(median(r.produce[produceCase.name] ?? [])));
    const efficiency = reference ? `${((ours / median(reference.produce[produceCase.name] ?? [])) * 100).toFixed(0)} %` : '—';
    lines.push(`| produce ${produceCase.name} | ${cells.join(' | ')} | ${efficiency} | ${peers.map((p) => ratio(ours, median(p.produce[produceCase.name] ?? []))).join(' | ')} |`);
  }
  if (options.endToEnd) {
    const rate = (r: SystemReport): number => median(r.endToEnd.map((e) => e.consumedPerSecond));
    const ours = rate(actormq);
    lines.push(`| end-to-end 100 B | ${reports.map((r) => (r.endToEnd.length ? formatRate(rate(r)) : '—')).join(' | ')} | — | ${peers.map((p) => ratio(ours, rate(p))).join(' | ')} |`);
    const p99 = (r: SystemReport): string => (r.endToEnd.length ? `${median(r.endToEnd.map((e) => e.p50Ms)).toFixed(1)} / ${median(r.endToEnd.map((e) => e.p99Ms)).toFixed(1)} ms` : '—');
    lines.push(`| end-to-end latency p50 / p99 (at full load) | ${reports.map(p99).join(' | ')} | — | ${peers.map(() => '').join(' | ')} |`);
  }
  lines.push('', 'How each system was driven:', '');
  for (const r of reports) lines.push(`- **${r.name}** (${r.version}): ${r.pattern}`);
  for (const name of missing) lines.push(`- **${name}**: not installed on this machine (bench/peers/install.sh) — skipped`);
  return lines.join('\n');
}
