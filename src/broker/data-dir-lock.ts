/**
 * One broker per data directory: `<dataDir>/broker.lock` holds the owner's
 * pid. A lock left by a process that no longer exists (kill -9) is taken over,
 * and so is one naming this process that none of its brokers holds (a data
 * dir copied from a running broker, as crash tests do). The lock appears with
 * its pid in it (linked into place) and a stale one is moved aside in one
 * step, so two brokers starting on one dir at once cannot both take it.
 */
import { randomUUID } from 'node:crypto';
import { link, readFile, realpath, rename, rm, writeFile } from 'node:fs/promises';
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
  const release = async () => {
    await rm(path, { force: true });
    heldDataDirs.delete(held);
  };
  for (let attempt = 0; attempt < 3; attempt++) {
    if (await createLock(path)) return release;
    const text = await readIfExists(path);
    if (text === undefined) continue; // released meanwhile
    const owner = Number.parseInt(text, 10);
    if (Number.isSafeInteger(owner) && owner !== process.pid && processAlive(owner)) {
      throw new Error(`data directory ${dataDir} is in use by process ${owner}`);
    }
    // Stale (its process is gone, or it is unreadable): moved aside in one step, so of two brokers starting at once
    // only one takes it over; the other finds it gone and tries again.
    const aside = `${path}.stale-${process.pid}-${randomUUID()}`;
    try {
      await rename(path, aside);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw error;
    }
    const moved = await readIfExists(aside);
    if (moved !== text) {
      // Not the lock judged stale: another broker took it over in between. Put it back, and leave the dir to it.
      await link(aside, path).catch(() => undefined);
      await rm(aside, { force: true });
      throw new Error(`data directory ${dataDir} is in use by process ${Number.parseInt(moved ?? '', 10)}`);
    }
    await rm(aside, { force: true });
  }
  throw new Error(`could not lock data directory ${dataDir}`);
}

/**
 * Creates the lock with this pid already in it: written to a file of its
 * own, then linked into place — the link fails if a lock exists, and no
 * other process ever sees the lock empty (it would take it for a stale one).
 */
async function createLock(path: string): Promise<boolean> {
  const temporary = `${path}.${process.pid}-${randomUUID()}.tmp`;
  await writeFile(temporary, String(process.pid));
  try {
    await link(temporary, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    await rm(temporary, { force: true });
  }
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
