/** `actormq consume` and `actormq group list|describe` against a broker process (run `npm run build` first). */
import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { cli, cliAgainstBroker } from './cli-broker.js';

describe('actormq consume and group', () => {
  const { actormq, url } = cliAgainstBroker();
  const describeJson = async (group: string) => JSON.parse((await actormq('group', 'describe', group, '--json')).stdout);

  it('prints each message as it arrives, shows the member in group describe, and leaves on Ctrl-C', async () => {
    await actormq('topic', 'create', 'orders', '--partitions', '2');
    await actormq('produce', 'orders', '{"id":1}', '--key', 'user-1');
    await actormq('produce', 'orders', 'plain text');
    const consumer = spawn(process.execPath, [cli, 'consume', '--group', 'cart', '--topic', 'orders', '--from', 'earliest', '--url', url()], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    consumer.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => consumer.once('exit', resolve));
    try {
      await expect.poll(() => stdout.split('\n').filter(Boolean).length, { timeout: 10_000 }).toBe(2);
      const lines = stdout.trim().split('\n').sort();
      expect(lines).toContainEqual(expect.stringMatching(/^orders\/[01]@0 user-1 \{"id":1\}$/));
      expect(lines).toContainEqual(expect.stringMatching(/^orders\/[01]@[01] - "plain text"$/));
      // A message sent while it runs appears too.
      await actormq('produce', 'orders', '[1,2]', '--key', 'user-1');
      await expect.poll(() => stdout.includes(' user-1 [1,2]'), { timeout: 10_000 }).toBe(true);

      await expect.poll(async () => (await describeJson('cart')).lag.every((l: { committedOffset: number; endOffset: number }) => l.committedOffset === l.endOffset), { timeout: 10_000 }).toBe(true);
      const table = (await actormq('group', 'describe', 'cart')).stdout;
      expect(table).toMatch(/^group cart: stable, generation \d+, ordering partition, topics orders\n/);
      expect(table).toMatch(/cart-[0-9a-f]+ +actormq-cli +assigned +orders\/0,orders\/1\n/);
      expect(table).toMatch(/TOPIC +PARTITION +COMMITTED +END +LAG\n/);
      expect(table).toMatch(/orders +[01] +\d+ +\d+ +0\n/);
      expect((await actormq('group', 'list')).stdout).toMatch(/^GROUP +STATE +MEMBERS\ncart +stable +1\n$/);
    } finally {
      consumer.kill('SIGINT');
    }
    expect(await exited).toBe(0);
    const after = await describeJson('cart');
    expect(after.members).toEqual([]);
    expect(after.lag.reduce((sum: number, l: { committedOffset: number }) => sum + l.committedOffset, 0)).toBe(3);
  });

  it('exits 2 on bad usage and 1 with the code for an unknown topic or group', async () => {
    await expect(actormq('consume', '--topic', 'orders')).rejects.toMatchObject({ code: 2 });
    await expect(actormq('consume', '--group', 'g', '--topic', 'orders', '--ordering', 'random')).rejects.toMatchObject({ code: 2 });
    await expect(actormq('consume', '--group', 'g', '--topic', 'missing')).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('UNKNOWN_TOPIC') });
    await expect(actormq('group', 'describe', 'nobody')).rejects.toMatchObject({ code: 1, stderr: expect.stringContaining('UNKNOWN_GROUP') });
    await expect(actormq('group', 'describe')).rejects.toMatchObject({ code: 2 });
  });
});
