/**
 * A broker in a child process (the built CLI, `dist/src/cli/main.js serve`):
 * tests SIGKILL it mid-write and restart it on the same data dir; benchmarks
 * give it a core of its own. `npm test` and `npm run bench` build dist/ first.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { brokerNodeOptions } from '../../src/cli/broker-node-options.js';

/** The package root, found from this file whether it runs from source or from dist/. */
function packageRoot(from: string): string {
  for (let dir = from; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
  }
  throw new Error(`no package.json above ${from}`);
}

const cliPath = join(packageRoot(import.meta.dirname), 'dist/src/cli/main.js');

export interface BrokerProcess {
  url: string;
  port: number;
  child: ChildProcess;
  /** SIGKILL: no shutdown code runs. */
  kill(): Promise<void>;
  /** SIGTERM: graceful shutdown; resolves with the exit code. */
  stop(): Promise<number | null>;
}

export async function spawnBroker(dataDir: string, port = 0, extraArgs: string[] = []): Promise<BrokerProcess> {
  if (!existsSync(cliPath)) throw new Error(`${cliPath} is missing: run npm run build first`);
  const child = spawn(process.execPath, [...brokerNodeOptions, cliPath, 'serve', '--port', String(port), '--data-dir', dataDir, '--log-level', 'warn', ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));
  const url = await new Promise<string>((resolveUrl, reject) => {
    let stdout = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /listening on (ws:\/\/\S+)/.exec(stdout);
      if (match) resolveUrl(match[1]!);
    });
    void exited.then((code) => reject(new Error(`broker exited with ${code} before listening: ${stderr}`)));
  });
  return {
    url,
    port: Number(new URL(url).port),
    child,
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
    },
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}
