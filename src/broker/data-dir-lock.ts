/**
 * One broker per data directory: `<dataDir>/broker.lock` holds the owner's
 * pid. A lock left by a process that no longer exists (kill -9) is taken over,
 * and so is one naming this process that none of its brokers holds (a data
 * dir copied from a running broker, as crash tests do).
 */
import { open, readFile, realpath, rm } from 'node:fs/promises';
import { join } from 'node:path';

/** Real paths of the data dirs that brokers of this process hold. */
const heldDataDirs = new Set<string>();

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export async function lockDataDir(dataDir: string): Promise<() => Promise<void>> {
  const held = await realpath(dataDir);
  if (heldDataDirs.has(held)) throw new Error(`data directory ${dataDir} is in use by this process`);
  heldDataDirs.add(held);
  try {
    return await takeLock(dataDir, held);
  } catch (error) {
    heldDataDirs.delete(held);
    throw error;
  }
}

async function takeLock(dataDir: string, held: string): Promise<() => Promise<void>> {
  const path = join(dataDir, 'broker.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const file = await open(path, 'wx');
      await file.writeFile(String(process.pid));
      await file.close();
      return async () => {
        await rm(path, { force: true });
        heldDataDirs.delete(held);
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10);
      if (Number.isSafeInteger(owner) && owner !== process.pid && processAlive(owner)) {
        throw new Error(`data directory ${dataDir} is in use by process ${owner}`);
      }
      await rm(path, { force: true });
    }
  }
  throw new Error(`could not lock data directory ${dataDir}`);
}
