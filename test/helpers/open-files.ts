/** Descriptors this process holds open, read from /proc/self/fd (Linux). */
import fs from 'node:fs';
import path from 'node:path';

/** Paths of the files under `dir` this process holds open, sorted. */
export function openFilesUnder(dir: string): string[] {
  const root = path.resolve(dir) + path.sep;
  return fs.readdirSync('/proc/self/fd').flatMap((fd) => {
    try {
      const target = fs.readlinkSync(`/proc/self/fd/${fd}`);
      return target.startsWith(root) ? [target] : [];
    } catch {
      return []; // closed meanwhile (the listing's own descriptor)
    }
  }).sort();
}
