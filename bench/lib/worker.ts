/** Runs one benchmark worker thread (a compiled file next to the caller) and resolves with the message it posts. */
import { Worker } from 'node:worker_threads';

export interface LoadResult { acknowledged: number; elapsedMs: number }

/** Timing shared by every load worker: warm up, then count acknowledgements for durationMs. */
export interface LoadTiming { durationMs: number; warmupMs: number }

export function runWorker<Result>(file: string, input: unknown): Promise<Result> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(file, { workerData: input });
    worker.once('message', resolve);
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`worker ${file} exited with ${code} before reporting`)));
  });
}

/**
 * Counts acknowledged messages inside the measured window: the window opens
 * at the first acknowledgement after the warm-up and closes durationMs later.
 */
export class AckCounter {
  private readonly warmupEnd: number;
  private measuredStart = 0;
  private acknowledged = 0;
  stopAt = Infinity;

  constructor(private readonly timing: LoadTiming) {
    this.warmupEnd = performance.now() + timing.warmupMs;
  }

  /** Records `count` messages acknowledged now; false once the measurement is over (stop sending). */
  add(count: number): boolean {
    const now = performance.now();
    if (now < this.warmupEnd) return true;
    if (this.measuredStart === 0) {
      this.measuredStart = now;
      this.stopAt = now + this.timing.durationMs;
      return true;
    }
    if (now > this.stopAt) return false;
    this.acknowledged += count;
    return true;
  }

  get running(): boolean {
    return performance.now() < this.stopAt;
  }

  result(): LoadResult {
    return { acknowledged: this.acknowledged, elapsedMs: this.stopAt - this.measuredStart };
  }
}
