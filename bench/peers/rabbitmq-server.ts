/**
 * RabbitMQ under test: the Debian `rabbitmq-server` package (bench/peers/
 * install.sh), run as a private node on 127.0.0.1 with its own ports, data,
 * logs and Erlang cookie in a temp directory (HOME), no plugins. Queues are
 * quorum queues (declared by the workers): a quorum queue confirms a
 * publish only after its Raft log (WAL) has fsynced it.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findExecutable, freePort, startChild, waitForOutput } from '../lib/child-server.js';
import type { PeerServer } from './nats-server.js';

export function rabbitmqInstalled(): string | null {
  return findExecutable('rabbitmq-server', ['/usr/lib/rabbitmq/bin']) && findExecutable('rabbitmqctl', ['/usr/lib/rabbitmq/bin']);
}

function packageVersion(): string {
  try {
    return `RabbitMQ ${execFileSync('dpkg-query', ['-W', '-f=${Version}', 'rabbitmq-server']).toString().trim()}`;
  } catch {
    return 'RabbitMQ (version unknown)';
  }
}

export async function startRabbitmq(dataDir: string): Promise<PeerServer> {
  // The scripts in /usr/lib/rabbitmq/bin run the server as the calling user (the /usr/sbin wrappers switch to the rabbitmq user).
  const script = '/usr/lib/rabbitmq/bin/rabbitmq-server';
  if (!rabbitmqInstalled()) throw new Error('rabbitmq-server is not installed: run bench/peers/install.sh');
  const home = join(dataDir, 'rabbitmq');
  mkdirSync(join(home, 'log'), { recursive: true });
  const port = await freePort();
  const distPort = await freePort();
  const node = `actormq-bench-${process.pid}@localhost`;
  writeFileSync(join(home, 'rabbitmq.conf'), [
    `listeners.tcp.default = 127.0.0.1:${port}`,
    'loopback_users = none',
    'log.console = true',
    'log.console.level = warning',
    'log.file = false',
    // Wide enough that the benchmark's backlog of a few million 100 B messages never blocks publishers.
    'vm_memory_high_watermark.relative = 0.6',
    'disk_free_limit.absolute = 1GB',
  ].join('\n'));
  writeFileSync(join(home, 'enabled_plugins'), '[].\n');
  const env = {
    ...process.env,
    HOME: home,
    RABBITMQ_NODENAME: node,
    RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
    RABBITMQ_NODE_PORT: String(port),
    RABBITMQ_DIST_PORT: String(distPort),
    RABBITMQ_CONFIG_FILE: join(home, 'rabbitmq'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(home, 'enabled_plugins'),
    RABBITMQ_MNESIA_BASE: join(home, 'mnesia'),
    RABBITMQ_LOG_BASE: join(home, 'log'),
    RABBITMQ_PID_FILE: join(home, 'rabbit.pid'),
  };
  const epmdBefore = epmdPids();
  const server = startChild(script, [], env);
  await waitForOutput(server, /completed with \d+ plugins|Server startup complete/, 90_000);
  return {
    name: 'RabbitMQ quorum queue',
    version: packageVersion(),
    url: `amqp://guest:guest@127.0.0.1:${port}`,
    server,
    stop: async () => {
      await server.stop(20_000);
      // Erlang starts epmd as a daemon outside the server's process group: end the one this start brought up.
      for (const pid of epmdPids()) if (!epmdBefore.includes(pid)) process.kill(pid, 'SIGTERM');
    },
  };
}

function epmdPids(): number[] {
  try {
    return execFileSync('pgrep', ['-x', 'epmd']).toString().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return []; // pgrep exits 1 when there is none
  }
}
