import { execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { exportMachines } from '../../src/inspect/machine-export.js';
import { machineGraphs } from '../../src/inspect/machine-graph.js';
import { tempDir } from '../../bench/lib/temp-dir.js';

const run = promisify(execFile);
const cli = join(import.meta.dirname, '../../dist/src/cli/main.js');
const actormq = (...args: string[]) => run(process.execPath, [cli, ...args]);

describe('actormq machines export', () => {
  it('prints every machine in each format, mermaid by default', async () => {
    expect((await actormq('machines', 'export')).stdout).toBe(exportMachines(machineGraphs(), 'mermaid'));
    expect((await actormq('machines', 'export', '--format', 'dot')).stdout).toBe(exportMachines(machineGraphs(), 'dot'));
    const json = JSON.parse((await actormq('machines', 'export', '--format', 'json')).stdout);
    expect(json.machines.map((graph: { id: string }) => graph.id)).toEqual(machineGraphs().map((graph) => graph.id));
  });

  it('prints one machine with --machine', async () => {
    const { stdout } = await actormq('machines', 'export', '--format', 'mermaid', '--machine', 'transaction');
    expect(stdout).toBe(exportMachines(machineGraphs('transaction'), 'mermaid'));
    expect(stdout).toContain('half --> checking : after nextCheck');
  });

  it('refuses an unknown format or machine with a usage error', async () => {
    await expect(actormq('machines', 'export', '--format', 'svg')).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('--format must be one of mermaid, dot, json') });
    await expect(actormq('machines', 'export', '--machine', 'nope')).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('unknown machine nope; machines: connection, group, member, partition, transaction') });
    await expect(actormq('machines', 'draw')).rejects.toMatchObject({ code: 2 });
  });
});

describe('actormq serve', () => {
  it('prints the visualiser URL', async () => {
    const dir = await tempDir();
    const child = spawn(process.execPath, [cli, 'serve', '--port', '0', '--data-dir', dir.path, '--log-level', 'silent'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let stdout = '';
        child.stdout.on('data', (chunk: Buffer) => {
          stdout += chunk.toString();
          const match = /visualiser: (http:\/\/\S+)/.exec(stdout);
          if (match) resolve(match[1]!);
        });
        child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${stdout}`)));
      });
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      const page = await fetch(url);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('actormq visualiser');
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
      await dir.remove();
    }
  });
});
