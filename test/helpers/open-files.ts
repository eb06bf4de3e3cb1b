/** Descriptors this process holds open, read from /proc/self/fd (Linux). */
import fs from 'node:fs';
import path from 'node:path';

/** Paths of the files this process has open under `dir`. */
export function openFilesUnder(dir: string): string[] {
  const root = fs.realpathSync(dir) + path.sep;
  const paths: string[] = [];
  for (const fd of fs.readdirSync('/proc/self/fd')) {
    try {
      const target = fs.readlinkSync(`/proc/self/fd/${fd}`);
      if (target.startsWith(root)) paths.push(target);
    } catch {
      // the descriptor readdir itself used is closed by now
    }
  }
  return paths.sort();
}
