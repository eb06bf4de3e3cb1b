/** Memory and CPU of another process, from /proc (Linux). */
import { readFileSync } from 'node:fs';

const ticksPerSecond = 100; // USER_HZ on Linux

export function residentBytes(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) * 1024 : Number.NaN;
}

/** User + system CPU seconds the process has used so far. */
export function cpuSeconds(pid: number): number {
  // Fields after the parenthesised command name; utime and stime are the 12th and 13th of them.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

/** The share of one core the process used over the next `durationMs` (0.05 = 5 %). */
export async function cpuShare(pid: number, durationMs: number): Promise<number> {
  const before = cpuSeconds(pid);
  const started = performance.now();
  await new Promise((resolve) => setTimeout(resolve, durationMs));
  return (cpuSeconds(pid) - before) / ((performance.now() - started) / 1000);
}
