/**
 * A server in a child process for benchmarks (actormq's physical reference,
 * NATS, RabbitMQ): started, waited for, and stopped by its own pid.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { delimiter, join } from 'node:path';

export interface ChildServer {
  child: ChildProcess;
  /** SIGTERM, then SIGKILL after graceMs; resolves on exit. */
  stop(graceMs?: number): Promise<void>;
  output(): string;
}

/** The absolute path of an executable on PATH (plus the sbin folders Debian puts servers in), or null. */
export function findExecutable(name: string, extraDirs: string[] = ['/usr/sbin', '/usr/local/sbin', '/usr/lib/rabbitmq/bin']): string | null {
  for (const dir of [...(process.env.PATH ?? '').split(delimiter), ...extraDirs]) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return null;
}

export function startChild(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): ChildServer {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env, detached: true });
  let output = '';
  const keep = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    output: () => output,
    stop: async (graceMs = 10_000) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      // The child leads its own process group (detached): signal the group, so helpers it started go too.
      const signal = (name: NodeJS.Signals): void => {
        try {
          process.kill(-child.pid!, name);
        } catch {
          // already gone
        }
      };
      signal('SIGTERM');
      const timer = setTimeout(() => signal('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Resolves once `pattern` appears in the child's output; rejects if it exits or timeoutMs passes first. */
export function waitForOutput(server: ChildServer, pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = (): void => {
      const match = pattern.exec(server.output());
      if (match) return resolve(match);
      if (server.child.exitCode !== null) return reject(new Error(`server exited with ${server.child.exitCode}: ${server.output().slice(-2000)}`));
      if (Date.now() - started > timeoutMs) return reject(new Error(`server not ready after ${timeoutMs} ms: ${server.output().slice(-2000)}`));
      setTimeout(poll, 20);
    };
    poll();
  });
}

/** Resolves once 127.0.0.1:port accepts a TCP connection. */
export async function waitForPort(port: number, timeoutMs: number, server?: ChildServer): Promise<void> {
  const started = Date.now();
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (server && server.child.exitCode !== null) throw new Error(`server exited with ${server.child.exitCode}: ${server.output().slice(-2000)}`);
    if (Date.now() - started > timeoutMs) throw new Error(`port ${port} not open after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A TCP port that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    import('node:net').then(({ createServer }) => {
      const server = createServer();
      server.listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        server.close(() => resolve(port));
      });
      server.once('error', reject);
    }, reject);
  });
}
