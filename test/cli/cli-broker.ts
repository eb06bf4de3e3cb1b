/**
 * For CLI tests: the built command (`npm run build` first) and a broker
 * process per describe block, started before its tests and killed after.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll } from 'vitest';
import { spawnBroker, type BrokerProcess } from '../../bench/lib/broker-process.js';
import { tempDir } from '../../bench/lib/temp-dir.js';

export const run = promisify(execFile);
export const cli = join(import.meta.dirname, '../../dist/src/cli/main.js');

/** Call inside a describe block; `actormq(...args)` runs the command with `--url` of that block's broker. */
export function cliAgainstBroker(): { actormq: (...args: string[]) => ReturnType<typeof run>; url: () => string } {
  let broker: BrokerProcess;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  beforeAll(async () => {
    dir = await tempDir();
    broker = await spawnBroker(dir.path);
  });
  afterAll(async () => {
    await broker.kill();
    await dir.remove();
  });
  return {
    actormq: (...args: string[]) => run(process.execPath, [cli, ...args, '--url', broker.url]),
    url: () => broker.url,
  };
}
