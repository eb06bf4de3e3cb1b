/**
 * Latency against rate: one producer sends single 100 B messages at a fixed
 * rate (`producer.send`, lingerMs 0, ticks of 1 ms) to a 1-partition topic
 * on a broker child process (flush: sync, so every ack waited for an
 * fdatasync); a consumer group member in the same process receives them.
 * Records produce→ack and produce→deliver (send call → handler) latency in
 * HdrHistograms; per rate the median of each percentile over the runs.
 * After each run the physical reference (bench/reference) takes the same
 * load, so the table shows the floor this machine allows at that moment.
 * Writes an SVG chart of latency against rate.
 */
import { connect, type Client } from '../src/client/index.js';
import { spawnBroker } from './lib/broker-process.js';
import { preciseNowMs } from './lib/clock.js';
import { LatencyRecorder, type LatencySummary } from './lib/latency.js';
import { formatPressure, pressureNow, type Pressure } from './lib/pressure.js';
import { sendAtFixedRate } from './lib/fixed-rate.js';
import { stampAgeMs, stampedPayload, stampMs } from './lib/stamp.js';
import { median } from './lib/stats.js';
import { lineChartSvg } from './lib/svg-chart.js';
import { syncProbe } from './lib/sync-probe.js';
import { tempDir } from './lib/temp-dir.js';
import { referenceLatency } from './reference/reference-latency.js';

export interface LatencySweepOptions { rates: number[]; runs: number; durationMs: number; warmupMs: number }
export const defaultLatencySweepOptions: LatencySweepOptions = { rates: [1_000, 10_000, 100_000], runs: 3, durationMs: 5_000, warmupMs: 1_000 };

/** `reference`: the physical reference (bench/reference) under the same load right after; only with flush: sync. */
export interface LatencyRun { ack: LatencySummary; deliver: LatencySummary; pressure: Pressure | null; diskSync: LatencySummary; reference: LatencySummary | null }
export interface LatencyPoint { ratePerSecond: number; flush: 'sync' | 'interval'; runs: LatencyRun[]; ack: LatencySummary; deliver: LatencySummary; diskSync: LatencySummary; reference: LatencySummary | null }

async function latencyRun(client: Client, topic: string, ratePerSecond: number, flush: 'sync' | 'interval', options: LatencySweepOptions, dir: string): Promise<LatencyRun> {
  const diskSync = await syncProbe(dir);
  await client.createTopic(topic, { partitions: 1 });
  const deliver = new LatencyRecorder();
  const consumer = client.consumer({ group: `latency-${topic}`, topics: [topic], from: 'earliest' });
  // Deliveries of messages stamped after the warm-up are recorded.
  let measureFromMs = Infinity;
  await consumer.run(async (message) => {
    const value = message.value as Uint8Array;
    if (stampMs(value) >= measureFromMs) deliver.recordMs(stampAgeMs(value));
  });
  const producer = client.producer({ lingerMs: 0 });
  measureFromMs = preciseNowMs() + options.warmupMs;
  const ack = await sendAtFixedRate({ ratePerSecond, warmupMs: options.warmupMs, durationMs: options.durationMs }, () => {
    return producer.send(topic, { value: stampedPayload(100) });
  });
  await new Promise((resolve) => setTimeout(resolve, 100)); // the last deliveries
  await producer.close();
  await consumer.close();
  const pressure = pressureNow();
  const reference = flush === 'sync' ? await referenceLatency(dir, { ratePerSecond, warmupMs: options.warmupMs, durationMs: options.durationMs }) : null;
  return { ack: ack.summary(), deliver: deliver.summary(), pressure, diskSync, reference };
}

function medianSummary(summaries: LatencySummary[]): LatencySummary {
  const pick = (key: keyof LatencySummary): number => median(summaries.map((s) => s[key]));
  return { samples: pick('samples'), p50Ms: pick('p50Ms'), p99Ms: pick('p99Ms'), p999Ms: pick('p999Ms'), maxMs: pick('maxMs') };
}

export async function latencySweep(options: LatencySweepOptions = defaultLatencySweepOptions): Promise<LatencyPoint[]> {
  const points: LatencyPoint[] = [];
  for (const rate of options.rates) points.push(await latencyPoint(rate, 'sync', options));
  // The same path without waiting for fdatasync: what the disk adds to the tail.
  points.push(await latencyPoint(intervalRate, 'interval', options));
  return points;
}

/** The rate of the flush: interval comparison row (the issue's latency target is at this rate). */
const intervalRate = 10_000;

async function latencyPoint(rate: number, flush: 'sync' | 'interval', options: LatencySweepOptions): Promise<LatencyPoint> {
  const dir = await tempDir('actormq-latency-');
  const broker = await spawnBroker(dir.path, 0, ['--flush', flush]);
  try {
    const client = await connect(broker.url, { clientId: 'bench-latency' });
    const runs: LatencyRun[] = [];
    for (let run = 0; run < options.runs; run++) {
      const result = await latencyRun(client, `latency-${rate}-${run}`, rate, flush, options, dir.path);
      runs.push(result);
      process.stdout.write(`  ${rate} msgs/s (flush ${flush}), run ${run + 1}/${options.runs}: ack ${format(result.ack)}, deliver ${format(result.deliver)}; disk fdatasync probe ${format(result.diskSync)}${result.reference ? `; physical reference ack ${format(result.reference)}` : ''} (machine pressure ${formatPressure(result.pressure)})\n`);
    }
    await client.close();
    return {
      ratePerSecond: rate, flush, runs,
      ack: medianSummary(runs.map((r) => r.ack)),
      deliver: medianSummary(runs.map((r) => r.deliver)),
      diskSync: medianSummary(runs.map((r) => r.diskSync)),
      reference: flush === 'sync' ? medianSummary(runs.map((r) => r.reference!)) : null,
    };
  } finally {
    await broker.stop();
    await dir.remove();
  }
}

function format(s: LatencySummary): string {
  return `p50 ${s.p50Ms.toFixed(2)} / p99 ${s.p99Ms.toFixed(2)} / p99.9 ${s.p999Ms.toFixed(2)} ms`;
}

export function latencyMarkdown(points: LatencyPoint[], options: LatencySweepOptions): string {
  const cell = (s: LatencySummary | null): string => (s ? `${s.p50Ms.toFixed(2)} / ${s.p99Ms.toFixed(2)} / ${s.p999Ms.toFixed(2)}` : '—');
  return [
    `Latency at fixed rates (100 B, 1 partition, flush: sync — every ack after fdatasync; median of ${options.runs} runs of ${options.durationMs} ms; ms)`,
    '',
    '| rate msgs/s | flush | produce→ack p50 / p99 / p99.9 | produce→deliver p50 / p99 / p99.9 | physical reference produce→ack p50 / p99 / p99.9 | bare fdatasync probe p50 / p99 / p99.9 | CPU / IO pressure after each run |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...points.map((p) => `| ${p.ratePerSecond.toLocaleString('en-US')} | ${p.flush} | ${cell(p.ack)} | ${cell(p.deliver)} | ${cell(p.reference)} | ${cell(p.diskSync)} | ${p.runs.map((r) => formatPressure(r.pressure)).join('; ')} |`),
  ].join('\n');
}

export function latencySvg(all: LatencyPoint[]): string {
  const points = all.filter((p) => p.flush === 'sync');
  const line = (name: string, color: string, dashed: boolean, pick: (p: LatencyPoint) => number | undefined) => ({
    name, color, dashed, points: points.flatMap((p) => (pick(p) === undefined ? [] : [{ x: p.ratePerSecond, y: pick(p)! }])),
  });
  const series = [
    line('ack p50', '#1f77b4', false, (p) => p.ack.p50Ms),
    line('ack p99', '#ff7f0e', false, (p) => p.ack.p99Ms),
    line('ack p99.9', '#d62728', false, (p) => p.ack.p999Ms),
    line('deliver p50', '#1f77b4', true, (p) => p.deliver.p50Ms),
    line('deliver p99', '#ff7f0e', true, (p) => p.deliver.p99Ms),
    line('deliver p99.9', '#d62728', true, (p) => p.deliver.p999Ms),
    line('physical reference ack p99', '#2ca02c', true, (p) => p.reference?.p99Ms),
    line('bare fdatasync p99', '#7f7f7f', true, (p) => p.diskSync.p99Ms),
  ].filter((s) => s.points.length > 0);
  return lineChartSvg('actormq latency against rate (flush: sync)', 'messages per second (log)', 'latency, ms (log)', series);
}
