/** Shared fixtures for storage tests: batches, options with an injected clock, temp dirs, read-back. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach } from 'vitest';
import { encodeRecordBatch } from '../../src/protocol/record-batch.js';
import { createLogger, type Logger } from '../../src/logger.js';
import { defaultBrokerLimits } from '../../src/protocol/limits.js';
import { PartitionLog, SegmentDescriptorCache, defaultLogOptions, type LogOptions } from '../../src/storage/index.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A fresh directory under the OS temp dir, and a function that removes it. */
export async function tempDir(prefix = 'actormq-storage-'): Promise<{ path: string; remove: () => Promise<void> }> {
  const dir = await fs.promises.mkdtemp(path.join(os.tmpdir(), prefix));
  return { path: dir, remove: () => fs.promises.rm(dir, { recursive: true, force: true }) };
}

/** A temp directory removed after the test (after any log registered later is closed). */
export async function testDir(): Promise<string> {
  const dir = await tempDir();
  cleanups.push(dir.remove);
  return dir.path;
}

/** Opens a log that is closed after the test. */
export async function openLog(dir: string, options: LogOptions): Promise<PartitionLog> {
  const log = await PartitionLog.open(dir, options);
  cleanups.push(() => log.close().catch(() => undefined));
  return log;
}

export interface TestClock {
  nowMs: number;
  clock: () => number;
}

export function testClock(startMs = 1_700_000_000_000): TestClock {
  const state = { nowMs: startMs, clock: () => state.nowMs };
  return state;
}

/** Log lines captured as parsed JSON. */
export function captureLogger(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  return { logger: createLogger('debug', (line) => lines.push(JSON.parse(line) as Record<string, unknown>)), lines };
}

/** Options with a descriptor cache of the broker's default size, unless `overrides` brings one (to share it or shrink it). */
export function logOptions(clock: TestClock, overrides: Partial<LogOptions> = {}): LogOptions {
  const descriptorCache = new SegmentDescriptorCache(defaultBrokerLimits.maxOpenSealedSegments);
  return { ...defaultLogOptions, descriptorCache, clock: clock.clock, logger: createLogger('silent'), ...overrides };
}

/** A batch of `count` records of `valueBytes` bytes each; record i's first value byte is `seed + i`. */
export function makeBatch(count: number, options: { valueBytes?: number; timestamp?: number; seed?: number } = {}): Uint8Array {
  const timestamp = options.timestamp ?? 1_700_000_000_000;
  const records = Array.from({ length: count }, (_, i) => {
    const value = new Uint8Array(options.valueBytes ?? 20).fill(((options.seed ?? 0) + i) & 0xff);
    return { key: `k${i}`, value, timestamp };
  });
  return encodeRecordBatch(records, { now: timestamp });
}

/** Every stored byte from `fromOffset` to the end, reading segment by segment. */
export async function readAll(log: PartitionLog, fromOffset = log.startOffset, maxBytes = 1 << 20): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  let offset = fromOffset;
  while (offset < log.endOffset) {
    const result = await log.read(offset, maxBytes);
    if (result.records.length === 0) throw new Error(`empty read at ${offset} below endOffset ${log.endOffset}`);
    parts.push(result.records.slice());
    offset = result.endOffset;
  }
  return Buffer.concat(parts);
}

export function concat(parts: readonly Uint8Array[]): Buffer {
  return Buffer.concat(parts);
}

export function segmentFiles(dir: string, suffix = '.log'): string[] {
  return fs.readdirSync(dir).filter((name) => name.endsWith(suffix)).sort();
}

export function filePath(dir: string, name: string): string {
  return path.join(dir, name);
}
