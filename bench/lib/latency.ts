/**
 * Latency recording with HdrHistogram (hdr-histogram-js): values in
 * microseconds, 3 significant digits, so percentiles are exact to 0.1 %.
 */
import { build, type Histogram } from 'hdr-histogram-js';

export interface LatencySummary { samples: number; p50Ms: number; p99Ms: number; p999Ms: number; maxMs: number }

export class LatencyRecorder {
  private readonly histogram: Histogram = build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });

  recordMs(ms: number): void {
    this.histogram.recordValue(Math.max(1, Math.round(ms * 1000)));
  }

  summary(): LatencySummary {
    const h = this.histogram;
    const at = (p: number): number => h.getValueAtPercentile(p) / 1000;
    return { samples: h.totalCount, p50Ms: at(50), p99Ms: at(99), p999Ms: at(99.9), maxMs: h.maxValue / 1000 };
  }
}
