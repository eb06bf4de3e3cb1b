/** Bad flag values and missing arguments: exit code 2 and a message, before anything is opened or connected. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../bench/lib/temp-dir.js';
import { cli, cliAgainstBroker, run } from './cli-broker.js';

// Nothing listens there: a command that tried to connect would exit 1 (CONNECTION_CLOSED), not 2.
const nowhere = 'ws://127.0.0.1:1';
// A serve that wrongly starts would run until killed; this bounds the test.
const serveTimeoutMs = 5_000;

describe('actormq flags', () => {
  const { actormq } = cliAgainstBroker();
  let dir: Awaited<ReturnType<typeof tempDir>>;
  beforeAll(async () => {
    dir = await tempDir();
  });
  afterAll(async () => {
    await dir.remove();
  });

  // Run inside the temp dir, so a serve that wrongly takes the current directory as its data dir writes there.
  const serve = (...args: string[]) => run(process.execPath, [cli, 'serve', '--data-dir', dir.path, ...args], { cwd: dir.path, timeout: serveTimeoutMs, killSignal: 'SIGKILL' });

  it('refuses an empty number instead of reading it as 0', async () => {
    await expect(serve('--port', '')).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('--port') });
    await expect(actormq('topic', 'create', 'kept-forever', '--retention-ms', '')).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('--retention-ms') });
    await expect(actormq('topic', 'create', 'hex', '--partitions', '0x2')).rejects.toMatchObject({ code: 2 });
    expect((await actormq('topic', 'list')).stdout).toBe('');
  });

  it('refuses serve settings the broker cannot run with, before opening the data dir', async () => {
    await expect(serve('--port', '70000')).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('port') });
    await expect(serve('--port', '0', '--flush-interval-ms', '0')).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('flushIntervalMs') });
    await expect(serve('--port', '0', '--txn-max-checks', '0')).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('maxChecks') });
  });

  it('refuses an empty host, which would listen on every interface, and an empty data dir', async () => {
    await expect(serve('--port', '0', '--host', '')).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('host') });
    await expect(serve('--port', '0', '--data-dir', '')).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('dataDir') });
  });

  it('asks for a missing name or id without connecting', async () => {
    await expect(run(process.execPath, [cli, 'topic', 'describe', '--url', nowhere])).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('topic name is required') });
    await expect(run(process.execPath, [cli, 'txn', 'status', '--url', nowhere])).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('transaction id is required') });
  });
});
