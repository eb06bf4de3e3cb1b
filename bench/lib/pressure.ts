/**
 * Machine noise during a measurement: Linux pressure stall information
 * (/proc/pressure/cpu and io, "some" avg10 = % of the last 10 s in which some
 * task waited for a CPU / for I/O). On a shared machine a p99 measured under
 * high pressure says more about the neighbours than about the code, so
 * reports carry it. Missing files (non-Linux) give null.
 */
import { readFileSync } from 'node:fs';

export interface Pressure { cpuSomePct: number; ioSomePct: number }

function some(resource: 'cpu' | 'io'): number {
  const text = readFileSync(`/proc/pressure/${resource}`, 'utf8');
  const match = /some avg10=([\d.]+)/.exec(text);
  return match ? Number(match[1]) : Number.NaN;
}

export function pressureNow(): Pressure | null {
  try {
    return { cpuSomePct: some('cpu'), ioSomePct: some('io') };
  } catch {
    return null;
  }
}

export function formatPressure(pressure: Pressure | null): string {
  return pressure ? `cpu ${pressure.cpuSomePct.toFixed(0)} %, io ${pressure.ioSomePct.toFixed(0)} %` : 'n/a';
}

/** Cumulative stall microseconds ("some total=") and the time read, to average pressure over a span. */
export interface PressureMark { cpuStallUs: number; ioStallUs: number; atMs: number }

function stallTotal(resource: 'cpu' | 'io'): number {
  const match = /some .*total=(\d+)/.exec(readFileSync(`/proc/pressure/${resource}`, 'utf8'));
  return match ? Number(match[1]) : Number.NaN;
}

export function pressureMark(): PressureMark | null {
  try {
    return { cpuStallUs: stallTotal('cpu'), ioStallUs: stallTotal('io'), atMs: performance.now() };
  } catch {
    return null;
  }
}

/** Average pressure between two marks (share of the span in which some task waited). */
export function pressureSince(mark: PressureMark | null): Pressure | null {
  const now = pressureMark();
  if (!mark || !now) return null;
  const spanUs = (now.atMs - mark.atMs) * 1000;
  return { cpuSomePct: ((now.cpuStallUs - mark.cpuStallUs) / spanUs) * 100, ioSomePct: ((now.ioStallUs - mark.ioStallUs) / spanUs) * 100 };
}
