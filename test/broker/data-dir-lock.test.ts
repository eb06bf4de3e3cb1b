import fs from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startBroker, type Broker } from '../../src/broker/index.js';
import { tempDir } from '../../bench/lib/temp-dir.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function dataDir(): Promise<string> {
  const dir = await tempDir();
  cleanups.push(dir.remove);
  return dir.path;
}

async function broker(dir: string): Promise<Broker> {
  const started = await startBroker({ port: 0, dataDir: dir, logLevel: 'silent' });
  cleanups.push(() => started.close());
  return started;
}

describe('data dir lock', () => {
  it('refuses a second broker of the same process on a data dir in use', async () => {
    const dir = await dataDir();
    await broker(dir);
    // Two brokers appending to the same segment files at positions each tracks alone overwrite each other's records.
    await expect(broker(dir)).rejects.toThrow(/in use/);
    await expect(broker(dir)).rejects.toThrow(/in use/); // the refused start left the lock in place
  });

  it('takes over a lock naming this process when none of its brokers holds the dir (a copied crash image)', async () => {
    const dir = await dataDir();
    const running = await broker(dir);
    const image = await dataDir();
    fs.cpSync(dir, image, { recursive: true });
    await broker(image);
    expect(fs.readFileSync(join(image, 'broker.lock'), 'utf8')).toBe(String(process.pid));
    await running.close();
  });
});
