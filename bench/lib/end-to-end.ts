/**
 * End-to-end measurement shared by every system: a producer (worker thread)
 * sends stamped values (lib/stamp.ts); the consumer calls `onMessage` per
 * message it has received (the ack is the system's own business). After the
 * warm-up, messages are counted for durationMs and every 97th one's age is
 * recorded.
 */
import { LatencyRecorder } from './latency.js';
import { stampAgeMs } from './stamp.js';
import type { LoadResult, LoadTiming } from './worker.js';

const latencySampleEvery = 97; // a prime, so samples spread over batches

export interface EndToEndMeasurement { consumedPerSecond: number; producedPerSecond: number; p50Ms: number; p99Ms: number }

export class EndToEndMeter {
  private measuring = false;
  private consumed = 0;
  private seen = 0;
  private readonly latency = new LatencyRecorder();

  readonly onMessage = (payload: Uint8Array): void => {
    if (!this.measuring) return;
    this.consumed++;
    if (++this.seen % latencySampleEvery === 0) this.latency.recordMs(stampAgeMs(payload));
  };

  /** Starts `produce`, measures for the timing's window, then waits for the producer to finish. */
  async measure(timing: LoadTiming, produce: () => Promise<LoadResult>): Promise<EndToEndMeasurement> {
    const producing = produce();
    await new Promise((resolve) => setTimeout(resolve, timing.warmupMs));
    this.measuring = true;
    const started = performance.now();
    await new Promise((resolve) => setTimeout(resolve, timing.durationMs));
    this.measuring = false;
    const elapsedSeconds = (performance.now() - started) / 1000;
    const produced = await producing;
    const { p50Ms, p99Ms } = this.latency.summary();
    return { consumedPerSecond: this.consumed / elapsedSeconds, producedPerSecond: produced.acknowledged / (produced.elapsedMs / 1000), p50Ms, p99Ms };
  }
}
