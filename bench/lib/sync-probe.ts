/**
 * The disk's own fdatasync latency right now, for context: appends 1200
 * bytes and fdatasyncs (on the libuv threadpool, like the broker), once per
 * millisecond for `durationMs`, in a temp file. A broker that acknowledges
 * after fdatasync cannot have a p99 below this probe's p99 (a request waits
 * for the rest of a running sync plus its own).
 */
import fs from 'node:fs';
import { join } from 'node:path';
import { LatencyRecorder, type LatencySummary } from './latency.js';

export async function syncProbe(dir: string, durationMs = 1_500): Promise<LatencySummary> {
  const path = join(dir, 'sync-probe.bin');
  const fd = fs.openSync(path, 'w');
  const bytes = Buffer.alloc(1200, 0x61);
  const recorder = new LatencyRecorder();
  const end = performance.now() + durationMs;
  let position = 0;
  try {
    while (performance.now() < end) {
      fs.writeSync(fd, bytes, 0, bytes.length, position);
      position += bytes.length;
      const started = performance.now();
      await new Promise<void>((resolve, reject) => fs.fdatasync(fd, (error) => (error ? reject(error) : resolve())));
      recorder.recordMs(performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  } finally {
    fs.closeSync(fd);
    fs.unlinkSync(path);
  }
  return recorder.summary();
}
