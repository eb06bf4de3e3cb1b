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
  it('takes over a lock whose process is gone, or that holds no pid (a crash while it was written), and leaves no other file behind', async () => {
    for (const stale of ['2147483646', '']) {
      const dir = await dataDir();
      fs.writeFileSync(join(dir, 'broker.lock'), stale);
      const started = await broker(dir);
      expect(fs.readFileSync(join(dir, 'broker.lock'), 'utf8')).toBe(String(process.pid));
      expect(fs.readdirSync(dir).filter((name) => name.startsWith('broker.lock'))).toEqual(['broker.lock']);
      await started.close();
      expect(fs.existsSync(join(dir, 'broker.lock'))).toBe(false);
    }
  });

  it('refuses a data dir locked by another live process, and leaves its lock as it was', async () => {
    const dir = await dataDir();
    fs.writeFileSync(join(dir, 'broker.lock'), '1'); // init: always alive
    await expect(broker(dir)).rejects.toThrow(`data directory ${dir} is in use by process 1`);
    expect(fs.readdirSync(dir).filter((name) => name.startsWith('broker.lock'))).toEqual(['broker.lock']);
    expect(fs.readFileSync(join(dir, 'broker.lock'), 'utf8')).toBe('1');
  });
});
