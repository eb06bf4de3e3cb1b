/**
 * NATS JetStream under test: the Debian `nats-server` binary (bench/peers/
 * install.sh), started on 127.0.0.1 with JetStream file storage in a temp
 * directory. Server defaults otherwise — in 2.9 that means JetStream acks a
 * publish once the message is written to the block file, *without* fsync
 * (it syncs in the background every 2 minutes); see bench/peers/README.md.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { findExecutable, freePort, startChild, waitForOutput, type ChildServer } from '../lib/child-server.js';

export interface PeerServer { name: string; version: string; url: string; server: ChildServer; stop(): Promise<void> }

export function natsInstalled(): string | null {
  return findExecutable('nats-server');
}

export async function startNats(dataDir: string): Promise<PeerServer> {
  const binary = natsInstalled();
  if (!binary) throw new Error('nats-server is not installed: run bench/peers/install.sh');
  const version = execFileSync(binary, ['--version']).toString().trim();
  const port = await freePort();
  const server = startChild(binary, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', join(dataDir, 'nats')]);
  await waitForOutput(server, /Server is ready/, 20_000);
  return { name: 'NATS JetStream', version, url: `nats://127.0.0.1:${port}`, server, stop: () => server.stop() };
}
