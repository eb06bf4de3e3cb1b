import { describe, expect, it } from 'vitest';
import { spawnBroker } from '../../bench/lib/broker-process.js';
import { tempDir } from '../../bench/lib/temp-dir.js';
import { cli, cliAgainstBroker, run } from './cli-broker.js';

describe('actormq command', () => {
  const { actormq, url } = cliAgainstBroker();

  it('creates, lists and describes topics', async () => {
    expect((await actormq('topic', 'create', 'orders', '--partitions', '3')).stdout).toBe('topic orders: 3 partition(s)\n');
    expect((await actormq('topic', 'create', 'orders', '--partitions', '3')).stdout).toBe('topic orders: 3 partition(s)\n');
    expect((await actormq('topic', 'list')).stdout).toBe('orders\t3\n');
    const described = JSON.parse((await actormq('topic', 'describe', 'orders')).stdout);
    expect(described.partitions).toHaveLength(3);
    expect(described.partitions[0]).toMatchObject({ partition: 0, startOffset: 0, endOffset: 0, state: 'online' });
  });

  it('runs as the executable file `npx actormq` starts', async () => {
    await actormq('topic', 'create', 'direct');
    expect((await run(cli, ['topic', 'describe', 'direct', '--url', url()])).stdout).toContain('"name": "direct"');
  });

  it('produces a message and reports where it landed', async () => {
    await actormq('topic', 'create', 'events');
    const { stdout } = await actormq('produce', 'events', '{"id":1}', '--key', 'user-1');
    expect(stdout).toBe('events/0@0\n');
    const described = JSON.parse((await actormq('topic', 'describe', 'events')).stdout);
    expect(described.partitions[0].endOffset).toBe(1);
  });

  it('exits 1 with the error code for an unknown topic and 2 for bad usage', async () => {
    await expect(actormq('produce', 'missing', 'x')).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('UNKNOWN_TOPIC') });
    await expect(actormq('topic', 'frobnicate')).rejects.toMatchObject({ code: 2 });
    await expect(actormq('topic', 'create', 'bad', '--partitions', 'many')).rejects.toMatchObject({ code: 2 });
    await expect(run(process.execPath, [cli, 'serve', '--port', '0', '--group-assignment', 'random'])).rejects.toMatchObject({ code: 2, stderr: expect.stringContaining('--group-assignment must be sticky or range') });
  });

  it('shuts down gracefully on SIGTERM and keeps what was written', async () => {
    const own = await tempDir();
    const server = await spawnBroker(own.path);
    await run(process.execPath, [cli, 'topic', 'create', 'kept', '--url', server.url]);
    await run(process.execPath, [cli, 'produce', 'kept', 'v', '--url', server.url]);
    expect(await server.stop()).toBe(0);
    const again = await spawnBroker(own.path);
    const described = JSON.parse((await run(process.execPath, [cli, 'topic', 'describe', 'kept', '--url', again.url])).stdout);
    expect(described.partitions[0].endOffset).toBe(1);
    await again.kill();
    await own.remove();
  });
});
