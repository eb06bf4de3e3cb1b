import fs from 'node:fs';
import { join, sep } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { OffsetStore } from '../../../src/broker/groups/offset-store.js';
import { createLogger } from '../../../src/logger.js';
import { tempDir } from '../../../bench/lib/temp-dir.js';

const logger = createLogger('silent');
const clock = () => 1_700_000_000_000;
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function openStore(dataDir: string): Promise<OffsetStore> {
  const store = await OffsetStore.open(dataDir, clock, logger);
  cleanups.push(() => store.close().catch(() => undefined));
  return store;
}

/** The next write into a consumer-offsets segment fails before any byte is written. */
function failNextSegmentWrite(dataDir: string): void {
  const segmentDir = join(dataDir, 'internal', 'consumer-offsets') + sep;
  const writeSync = fs.writeSync;
  let failed = false;
  vi.spyOn(fs, 'writeSync').mockImplementation(((fd: number, ...rest: unknown[]) => {
    if (!failed && fs.readlinkSync(`/proc/self/fd/${fd}`).startsWith(segmentDir)) {
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
});
