/**
 * An open-loop load generator for latency runs: calls `send` at a fixed
 * rate (the calls due are made on ticks of 1 ms, whatever is still
 * outstanding) and records each call's latency from the moment it was made
 * until its promise settles. Only calls made after the warm-up are recorded.
 * It keeps a counter of outstanding calls, not their promises: a harness that
 * holds tens of thousands of settled promises adds its own GC pauses to the
 * tail it measures.
 */
import { LatencyRecorder } from './latency.js';

export interface FixedRateOptions {
  ratePerSecond: number;
  warmupMs: number;
  durationMs: number;
}

/** Resolves with the latencies of the calls made after the warm-up once every call has settled; rejects on the first failed call. */
export async function sendAtFixedRate(options: FixedRateOptions, send: () => Promise<unknown>): Promise<LatencyRecorder> {
  const recorder = new LatencyRecorder();
  const perMs = options.ratePerSecond / 1000;
  let outstanding = 0;
  let failure: unknown = null;
  let drained: (() => void) | null = null;
  const start = performance.now();
  const end = start + options.warmupMs + options.durationMs;
  let made = 0;
  while (failure === null && performance.now() < end) {
    const due = Math.floor((performance.now() - start) * perMs);
    for (; made < due; made++) {
      const sentAt = performance.now();
      const measured = sentAt - start >= options.warmupMs;
      outstanding++;
      send().then(
        () => {
          if (measured) recorder.recordMs(performance.now() - sentAt);
          if (--outstanding === 0) drained?.();
        },
        (error: unknown) => {
          failure ??= error;
          if (--outstanding === 0) drained?.();
        },
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 1));
  }
  if (outstanding > 0) await new Promise<void>((resolve) => (drained = resolve));
  if (failure !== null) throw failure;
  return recorder;
}
