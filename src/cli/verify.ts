/** `actormq verify --url ws://… [--duration 60s]`: checks a running broker's guarantees and reports each invariant. */
import { runVerification } from '../verify/run-verification.js';
import { connectionFlags, connectionSettings, parse, stringFlag, UsageError } from './args.js';

export const verifyUsage = 'actormq verify [--url ws://127.0.0.1:7070] [--duration 60s] [--seed N]   (creates verify-* topics and groups; exit 1 if an invariant broke)';

function parseDuration(text: string): number {
  const match = /^(\d+)(ms|s|m)?$/.exec(text);
  if (!match) throw new UsageError(`--duration takes a number with ms, s or m, got ${text}`);
  const value = Number(match[1]);
  return match[2] === 'ms' ? value : match[2] === 'm' ? value * 60_000 : value * 1_000;
}

/** A bar redrawn in place on a terminal (at most 4 times a second); elsewhere one line per 10 %. */
function progressReporter(durationMs: number): (progress: { elapsedMs: number; commands: number }) => void {
  const width = 30;
  let lastDrawMs = 0;
  let lastTenth = -1;
  return ({ elapsedMs, commands }) => {
    const fraction = Math.min(1, elapsedMs / durationMs);
    const percent = Math.round(fraction * 100);
    if (process.stderr.isTTY) {
      if (elapsedMs - lastDrawMs < 250 && fraction < 1) return;
      lastDrawMs = elapsedMs;
      const done = Math.round(fraction * width);
      process.stderr.write(`\r[${'#'.repeat(done)}${'.'.repeat(width - done)}] ${percent}% ${commands} commands`);
    } else if (Math.floor(percent / 10) > lastTenth) {
      lastTenth = Math.floor(percent / 10);
      process.stderr.write(`${percent}% ${commands} commands\n`);
    }
  };
}

export async function verify(argv: string[]): Promise<void> {
  const { values } = parse(argv, { ...connectionFlags, duration: { type: 'string' }, seed: { type: 'string' } });
  const { url, token } = connectionSettings(values);
  const durationMs = parseDuration(stringFlag(values, 'duration') ?? '60s');
  const seedText = stringFlag(values, 'seed');
  const seed = seedText === undefined ? Date.now() % 2 ** 31 : Number(seedText);
  if (!Number.isSafeInteger(seed)) throw new UsageError(`--seed takes an integer, got ${seedText}`);
  process.stderr.write(`verifying ${url} for ${durationMs} ms (seed ${seed})\n`);
  const report = await runVerification({
    url, token, durationMs, seed,
    onProgress: progressReporter(durationMs),
  });
  if (process.stderr.isTTY) process.stderr.write('\n');
  process.stdout.write(`${report.commands} commands, ${report.messagesAcknowledged} messages acknowledged, ${report.transactionsCommitted} transactions committed (run ${report.runId}, seed ${report.seed})\n`);
  for (const invariant of report.invariants) {
    process.stdout.write(invariant.held ? `  held    ${invariant.name}\n` : `  BROKEN  ${invariant.name}: ${invariant.counterexample}\n`);
  }
  process.stdout.write(report.held ? 'every invariant held\n' : `invariants broken; replay with --seed ${report.seed}\n`);
  if (!report.held) process.exitCode = 1;
}
