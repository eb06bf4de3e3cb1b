/**
 * Small file helpers shared by segments and indexes. Calls go through the
 * `fs` module object at call time (never bound at load time), so tests can
 * spy on `fs.fdatasync` and count or fail real syncs.
 */
import fs from 'node:fs';

/** Reads into `buffer` from `position` until it is full or the file ends; returns bytes read. */
export async function readFully(fd: number, buffer: Uint8Array, position: number): Promise<number> {
  let filled = 0;
  while (filled < buffer.length) {
    const bytesRead = await new Promise<number>((resolve, reject) => {
      fs.read(fd, buffer, filled, buffer.length - filled, position + filled, (error, count) => (error ? reject(error) : resolve(count)));
    });
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled;
}

/** Writes all of `bytes` at `position` (into the page cache; not durable until a sync). */
export function writeFully(fd: number, bytes: Uint8Array, position: number): void {
  let written = 0;
  while (written < bytes.length) {
    written += fs.writeSync(fd, bytes, written, bytes.length - written, position + written);
  }
}

/** fdatasync on the libuv threadpool, so the event loop keeps appending meanwhile. */
export function fdatasync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.fdatasync(fd, (error) => (error ? reject(error) : resolve())));
}

/** Makes file creations and deletions in `dir` durable (a new segment is useless if its name is lost). */
export function fsyncDirectory(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

export function unlinkIfExists(filePath: string): boolean {
  try {
    fs.unlinkSync(filePath);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

/** The whole file, or null when it does not exist. */
export function readBytesIfExists(filePath: string): Buffer | null {
  try {
    return fs.readFileSync(filePath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}
