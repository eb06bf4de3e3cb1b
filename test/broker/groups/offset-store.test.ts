import fs from 'node:fs';
import { join, sep } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { OffsetStore } from '../../../src/broker/groups/offset-store.js';
import { createLogger } from '../../../src/logger.js';
import { SegmentDescriptorCache } from '../../../src/storage/index.js';
import { tempDir } from '../../../bench/lib/temp-dir.js';

const logger = createLogger('silent');
const clock = () => 1_700_000_000_000;
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function openStore(dataDir: string, segmentBytes?: number): Promise<OffsetStore> {
  const store = await OffsetStore.open(dataDir, clock, logger, new SegmentDescriptorCache(1_000), segmentBytes);
  cleanups.push(() => store.close().catch(() => undefined));
  return store;
}

const segmentDir = (dataDir: string) => join(dataDir, 'internal', 'consumer-offsets');

/** The next write into a consumer-offsets segment fails before any byte is written. */
function failNextSegmentWrite(dataDir: string): void {
  const segments = segmentDir(dataDir) + sep;
  const writeSync = fs.writeSync;
  let failed = false;
  vi.spyOn(fs, 'writeSync').mockImplementation(((fd: number, ...rest: unknown[]) => {
    if (!failed && fs.readlinkSync(`/proc/self/fd/${fd}`).startsWith(segments)) {
      failed = true;
      throw Object.assign(new Error('ENOSPC: no space left on device, write (injected)'), { code: 'ENOSPC' });
    }
    return (writeSync as (...args: unknown[]) => number)(fd, ...rest);
  }) as typeof fs.writeSync);
}

describe('offset store', () => {
  it('commits again after one failed write, and the commit survives a restart', async () => {
    const dir = await tempDir();
    cleanups.push(dir.remove);
    const store = await openStore(dir.path);
    failNextSegmentWrite(dir.path);
    store.set('g', 'orders', 0, 10);
    await expect(store.flush()).rejects.toMatchObject({ code: 'ENOSPC' });

    store.set('g', 'orders', 0, 20);
    await store.flush(); // a transient failure must not stop every later commit
    await store.close();
    const reopened = await openStore(dir.path);
    expect(reopened.get('g', 'orders', 0)).toBe(20);
  });

  it('writes again by itself after a failed write, with nothing new to commit', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const dir = await tempDir();
      cleanups.push(dir.remove);
      const store = await openStore(dir.path);
      failNextSegmentWrite(dir.path);
      store.set('g', 'orders', 0, 10); // written by the commit timer, which fails
      await vi.advanceTimersByTimeAsync(100);
      expect(store.get('g', 'orders', 0)).toBe(10);
      vi.restoreAllMocks();
      const stored = () => fs.readdirSync(segmentDir(dir.path)).filter((name) => name.endsWith('.log')).reduce((sum, name) => sum + fs.statSync(join(segmentDir(dir.path), name)).size, 0);
      expect(stored()).toBe(0);
      await vi.advanceTimersByTimeAsync(1_000); // the retry: the log is reopened, then written
      for (let turn = 0; turn < 1_000 && stored() === 0; turn++) await new Promise((resolve) => setImmediate(resolve));
      expect(stored()).toBeGreaterThan(0);
      await store.close();
      expect((await openStore(dir.path)).get('g', 'orders', 0)).toBe(10);
    } finally {
      vi.useRealTimers();
    }
  });

  it('keeps the log about a segment long: after a roll every offset is written again and the segments before go', async () => {
    const dir = await tempDir();
    cleanups.push(dir.remove);
    const store = await openStore(dir.path, 4096);
    const segments = () => fs.readdirSync(segmentDir(dir.path)).filter((name) => name.endsWith('.log')).sort();
    for (let round = 0; round < 200; round++) {
      for (let partition = 0; partition < 4; partition++) store.set('g', 'orders', partition, round * 10 + partition);
      await store.flush();
    }
    expect(segments().length).toBeLessThanOrEqual(2);
    expect(segments()[0]).not.toBe('00000000000000000000.log'); // it rolled, and the first segments went
    await store.close();
    const reopened = await openStore(dir.path, 4096);
    expect([0, 1, 2, 3].map((p) => reopened.get('g', 'orders', p))).toEqual([1990, 1991, 1992, 1993]);
  });
});
