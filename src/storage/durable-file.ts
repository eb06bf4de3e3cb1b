/**
 * Small metadata files replaced atomically: write `<name>.tmp`, fsync it,
 * rename over `<name>`, fsync the directory. A crash leaves either the old or
 * the new content, never a mix.
 */
import { open, rename, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export async function writeFileDurable(path: string, content: string | Uint8Array): Promise<void> {
  const temporary = `${path}.tmp`;
  const file = await open(temporary, 'w');
  try {
    await file.writeFile(content);
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(temporary, path);
  const directory = await open(dirname(path), 'r');
  try {
    await directory.sync();
  } finally {
    await directory.close();
  }
}

/** The file's text, or undefined when it does not exist. */
export async function readFileIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
