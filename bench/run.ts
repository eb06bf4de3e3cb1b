/**
 * `npm run bench [-- <scenario>…] [--quick]`: runs benchmark scenarios,
 * prints progress and a markdown table, writes JSON to bench/results/.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, release, totalmem, type as osType } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultProduceBenchOptions, produceBench, produceLatencyBench, type LatencyResult } from './produce.js';
import { consumeBench, defaultConsumeBenchOptions } from './consume.js';
import { defaultPeersBenchOptions, peersBench } from './peers/compare.js';
import { defaultLatencySweepOptions, latencyMarkdown, latencySvg, latencySweep } from './latency.js';
import { formatRate } from './lib/stats.js';
import { formatPressure, pressureMark, pressureSince } from './lib/pressure.js';
import { defaultScaleBenchOptions, scaleBench, scaleMarkdown } from './scale.js';
import { defaultTxnBenchOptions, txnBench } from './txn.js';

const scenarios: Record<string, (quick: boolean, outDir: string) => Promise<{ json: unknown; markdown: string }>> = {
  produce: async (quick) => {
    const options = quick ? { ...defaultProduceBenchOptions, runs: 1, durationMs: 1_500, latencyDurationMs: 1_500 } : defaultProduceBenchOptions;
    const result = await produceBench(options);
    const rows = result.throughput.map((r) =>
      `| ${r.valueBytes} B | ${r.producers} | ${formatRate(r.msgsPerSecond)} | ${r.mbPerSecond.toFixed(1)} | ${r.runsMsgsPerSecond.map(formatRate).join(', ')} |`);
    const { latency } = result;
    const markdown = [
      `Durable produce (flush: sync, ${options.partitions} partitions, median of ${options.runs} run(s) of ${options.durationMs} ms)`,
      '',
      '| value | producers | msgs/s | MB/s | runs |',
      '| --- | --- | --- | --- | --- |',
      ...rows,
      '',
      'By messages per sendBatch call (100 B, 1 producer, 8 calls outstanding)',
      '',
      '| messages per call | msgs/s | runs |',
      '| --- | --- | --- |',
      ...result.batchSizes.map((r) => `| ${r.batchMessages} | ${formatRate(r.msgsPerSecond)} | ${r.runsMsgsPerSecond.map(formatRate).join(', ')} |`),
      '',
      latencyLine(latency),
    ].join('\n');
    return { json: { options, ...result }, markdown };
  },
  consume: async (quick) => {
    const options = quick ? { ...defaultConsumeBenchOptions, runs: 1, durationMs: 2_000, rebalanceRounds: 2 } : defaultConsumeBenchOptions;
    const result = await consumeBench(options);
    const { endToEnd, rebalance } = result;
    const markdown = [
      `End-to-end produce → consume → ack (100 B, ${options.partitions} partitions, ordering partition, median of ${options.runs} run(s) of ${options.durationMs} ms)`,
      '',
      '| consumed msgs/s | produce→handler p50 | p99 | runs |',
      '| --- | --- | --- | --- |',
      `| ${formatRate(endToEnd.msgsPerSecond)} | ${endToEnd.p50Ms.toFixed(1)} ms | ${endToEnd.p99Ms.toFixed(1)} ms | ${endToEnd.runs.map((r) => formatRate(r.consumedPerSecond)).join(', ')} |`,
      '',
      `Rebalance of a ${rebalance.members}-member group (${rebalance.members} partitions) until stable: join median ${rebalance.medianJoinMs.toFixed(0)} ms (${rebalance.joinSettleMs.map((ms) => ms.toFixed(0)).join(', ')}), leave median ${rebalance.medianLeaveMs.toFixed(0)} ms (${rebalance.leaveSettleMs.map((ms) => ms.toFixed(0)).join(', ')})`,
    ].join('\n');
    return { json: { options, ...result }, markdown };
  },
  peers: async (quick) => {
    const options = quick ? { ...defaultPeersBenchOptions, runs: 1, timing: { durationMs: 2_000, warmupMs: 500 } } : defaultPeersBenchOptions;
    const { markdown, ...result } = await peersBench(options);
    return { json: { options, ...result }, markdown };
  },
  txn: async (quick) => {
    const options = quick ? { ...defaultTxnBenchOptions, runs: 1, durationMs: 2_000, openTransactions: 20_000 } : defaultTxnBenchOptions;
    const result = await txnBench(options);
    const { throughput, memory, actorFloor } = result;
    const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
    const markdown = [
      `Committed transactions (one 100 B message each, flush: sync, ${options.partitions} partitions, ${options.producers} producers × ${options.lanes} in flight, median of ${options.runs} run(s) of ${options.durationMs} ms)`,
      '',
      '| txn/s | runs | broker CPU per txn (runs) |',
      '| --- | --- | --- |',
      `| ${formatRate(throughput.txnPerSecond)} | ${throughput.runsTxnPerSecond.map(formatRate).join(', ')} | ${throughput.brokerCpuUsPerTxn.map((us) => `${us.toFixed(0)} µs`).join(', ')} |`,
      '',
      `${memory.openTransactions} open transactions (one half message each, opened in ${memory.openSeconds.toFixed(1)} s): broker RSS ${mib(memory.rssBytes)} (${mib(memory.rssBeforeBytes)} before, peak ${mib(memory.peakRssBytes)})`,
      '',
      `The transaction actor alone (its machine with no-op I/O, start → half → commit → recorded, no sockets or storage): ${actorFloor.usPerTransaction.toFixed(1)} µs per transaction (runs ${actorFloor.runsUs.map((us) => us.toFixed(1)).join(', ')}), so at most ${formatRate(1e6 / actorFloor.usPerTransaction)} txn/s per core for the actors alone.`,
    ].join('\n');
    return { json: { options, ...result }, markdown };
  },
  scale: async (quick) => {
    const options = quick ? { ...defaultScaleBenchOptions, partitions: 2_000, idleMs: 3_000 } : defaultScaleBenchOptions;
    const result = await scaleBench(options);
    return { json: { options, ...result }, markdown: scaleMarkdown(result) };
  },
  latency: async (quick, outDir) => {
    const options = quick ? { ...defaultLatencySweepOptions, runs: 1, durationMs: 2_000, warmupMs: 500 } : defaultLatencySweepOptions;
    const points = await latencySweep(options);
    const svg = join(outDir, `latency-${stamp()}.svg`);
    await writeFile(svg, latencySvg(points));
    return { json: { options, points }, markdown: `${latencyMarkdown(points, options)}\n\nchart: ${svg}` };
  },
  'produce-latency': async (quick) => {
    const latency = await produceLatencyBench(quick ? { ...defaultProduceBenchOptions, latencyDurationMs: 1_500 } : defaultProduceBenchOptions);
    return { json: latency, markdown: latencyLine(latency) };
  },
};

function latencyLine(latency: LatencyResult): string {
  return `Produce→ack latency at ${latency.ratePerSecond} msgs/s (${latency.samples} samples): p50 ${latency.p50Ms.toFixed(2)} ms, p99 ${latency.p99Ms.toFixed(2)} ms, p99.9 ${latency.p999Ms.toFixed(2)} ms`;
}

function stamp(): string {
  return new Date().toISOString().replace(/[:.]/g, '-');
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({ options: { quick: { type: 'boolean' } }, allowPositionals: true });
  const names = positionals.length > 0 ? positionals : Object.keys(scenarios);
  for (const name of names) if (!scenarios[name]) throw new Error(`unknown scenario ${name}; known: ${Object.keys(scenarios).join(', ')}`);
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, ${osType()} ${release()}, Node ${process.version}`;
  const outDir = join(import.meta.dirname, '../../bench/results');
  await mkdir(outDir, { recursive: true });
  const command = ['npm run bench', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' ');
  const summary = [`# actormq benchmarks, ${new Date().toISOString()}`, '', `\`${command}\``, '', `machine: ${machine}`];
  const summaryFile = join(outDir, `summary-${stamp()}.md`);
  for (const name of names) {
    process.stdout.write(`▶ ${name}\n`);
    const started = pressureMark();
    const result = await scenarios[name]!(values.quick === true, outDir);
    const { json } = result;
    // Other processes' demand on this machine during the scenario: numbers measured under high pressure say more about the neighbours.
    const markdown = `${result.markdown}\n\nmachine pressure during this scenario (share of time some task — the benchmark's own or another's — waited for a CPU / for I/O): ${formatPressure(pressureSince(started))}`;
    process.stdout.write(`\n${markdown}\n\nmachine: ${machine}\n`);
    const file = join(outDir, `${name}-${stamp()}.json`);
    await writeFile(file, JSON.stringify({ scenario: name, machine, at: new Date().toISOString(), result: json }, null, 2));
    process.stdout.write(`results: ${file}\n`);
    summary.push('', `## ${name}`, '', markdown);
    await writeFile(summaryFile, `${summary.join('\n')}\n`); // after every scenario, so a long run that stops keeps what it measured
  }
  process.stdout.write(`summary: ${summaryFile}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
