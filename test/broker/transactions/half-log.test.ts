import fs from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { HalfLog } from '../../../src/broker/transactions/half-log.js';
import { silentLogger } from '../../../src/logger.js';
import { realTimers } from '../../../src/broker/actor-environment.js';
import { decodeRecords, encodeRecordBatch } from '../../../src/protocol/record-batch.js';
import { SegmentDescriptorCache } from '../../../src/storage/index.js';
import { tempDir } from '../../../bench/lib/temp-dir.js';
import { HalfLogFaults } from '../../helpers/half-log-faults.js';

const batch = (value: string) => encodeRecordBatch([{ value }], { now: 5 });
const options = (dataDir: string, clock: () => number) => ({ dataDir, maxWriteBytes: 1 << 20, segmentBytes: 64 << 20, descriptorCache: new SegmentDescriptorCache(1_000), clock, timers: realTimers, reopenBackoffMs: 100, reopenBackoffMaxMs: 1_000, logger: silentLogger });
const half = (value: string, partition = 0) => ({ k: 'h' as const, g: 'g', p: 7, t: 'orders', n: partition, b: batch(value) });

describe('half log', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  afterEach(async () => dir.remove());

  async function reopen(write: (log: HalfLog) => Promise<void>) {
    dir = await tempDir();
    const log = await HalfLog.open(options(dir.path, () => 1_000));
    await write(log);
    await log.close();
    const again = await HalfLog.open(options(dir.path, () => 2_000));
    const replayed = await again.replay();
    await again.close();
    return replayed;
  }

  it('rebuilds pending transactions with their messages, checks and parking; forgets rolled-back and applied ones', async () => {
    const replayed = await reopen(async (log) => {
      await Promise.all([
        log.write('txn-1', [half('a'), half('b', 1)]),
        log.write('txn-2', [half('c')]),
        log.write('txn-3', [half('d')]),
        log.write('txn-4', [half('e')]),
      ]);
      await log.write('txn-1', [{ k: 'c', g: 'g', c: 2 }]);
      await log.write('txn-2', [{ k: 'o', g: 'g', o: 'rollback' }]);
      await log.write('txn-3', [{ k: 'o', g: 'g', o: 'commit' }]);
      await log.write('txn-4', [{ k: 'c', g: 'g', c: 3 }, { k: 'p', g: 'g' }]);
      await log.write('txn-4', [{ k: 'o', g: 'g', o: 'commit' }, { k: 'a' }]);
      await log.write('txn-2', [half('late')]); // after its outcome: starts nothing
    });
    expect(replayed.pending.map((t) => ({ id: t.id, entries: t.entries.length, checks: t.checks, parked: t.parked, firstAt: t.firstAt }))).toEqual([
      { id: 'txn-1', entries: 2, checks: 2, parked: false, firstAt: 1_000 },
    ]);
    expect(replayed.unapplied.map((t) => t.id)).toEqual(['txn-3']);
    expect(replayed.ended).toEqual([
      { id: 'txn-2', group: 'g', outcome: 'rollback' },
      { id: 'txn-3', group: 'g', outcome: 'commit' },
      { id: 'txn-4', group: 'g', outcome: 'commit' },
    ]);
  });

  it('deletes whole sealed segments below an offset, but none holding a write not yet answered', async () => {
    dir = await tempDir();
    const log = await HalfLog.open({ ...options(dir.path, () => 1_000), segmentBytes: 1024 });
    const segments = () => fs.readdirSync(join(dir.path, 'internal', 'transactions')).filter((name) => name.endsWith('.log')).length;
    const first = await log.write('txn-1', [half('a'.repeat(600))]);
    expect(first).toBe(0);
    const faults = new HalfLogFaults(dir.path);
    const release = faults.holdSync();
    const held = log.write('txn-2', [half('b'.repeat(600))]); // appended, its sync held: not answered
    await vi.waitFor(() => expect(faults.held).toBe(1));
    for (let i = 0; i < 4; i++) {
      void log.write(`txn-${3 + i}`, [half('c'.repeat(600))]); // a batch, and a segment, each
      await new Promise((resolve) => setImmediate(resolve));
    }
    await vi.waitFor(() => expect(segments()).toBeGreaterThanOrEqual(4));
    const before = segments();
    expect(log.deleteBelow(Infinity)).toBe(1); // only the segment of txn-1: txn-2's write is not answered yet
    expect(segments()).toBe(before - 1);
    release();
    expect(await held).toBe(1);
    await vi.waitFor(() => expect(log.deleteBelow(Infinity)).toBeGreaterThan(0));
    await log.close();
    vi.restoreAllMocks();
  });

  it('rebuilds a restated transaction from its restatement: what it restates counts once, what follows it counts too', async () => {
    const replayed = await reopen(async (log) => {
      await log.write('txn-5', [half('a'), half('b')]);
      await log.write('txn-5', [{ k: 'c', g: 'g', c: 1 }]);
      await log.write('txn-5', [{ k: 'r', g: 'g', p: 7, e: [{ t: 'orders', n: 0, b: batch('a') }, { t: 'orders', n: 0, b: batch('b') }], c: 1, pk: false, f: 500 }]);
      await log.write('txn-5', [half('c')]);
      await log.write('txn-6', [{ k: 'r', g: 'g', p: 8, e: [{ t: 'orders', n: 1, b: batch('x') }], c: 15, pk: true, f: 600 }]); // its older records deleted
    });
    expect(replayed.pending.map((t) => ({ id: t.id, values: t.entries.map((e) => decodeRecords(e.batch)[0]!.value), checks: t.checks, parked: t.parked, firstAt: t.firstAt, producerId: t.producerId }))).toEqual([
      { id: 'txn-5', values: ['a', 'b', 'c'], checks: 1, parked: false, firstAt: 500, producerId: 7 },
      { id: 'txn-6', values: ['x'], checks: 15, parked: true, firstAt: 600, producerId: 8 },
    ]);
  });

  it('keeps a parked transaction parked', async () => {
    const replayed = await reopen(async (log) => {
      await log.write('txn-9', [half('x')]);
      await log.write('txn-9', [{ k: 'c', g: 'g', c: 15 }, { k: 'p', g: 'g' }]);
    });
    expect(replayed.pending).toEqual([expect.objectContaining({ id: 'txn-9', parked: true, checks: 15, producerId: 7 })]);
  });
});
