import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type Broker } from '../../src/broker/index.js';
import { connect } from '../../src/client/index.js';
import { tempDir } from '../../bench/lib/temp-dir.js';

describe('a broker that cannot listen', () => {
  let running: Broker;
  let runningDir: Awaited<ReturnType<typeof tempDir>>;
  let dir: Awaited<ReturnType<typeof tempDir>>;

  beforeAll(async () => {
    runningDir = await tempDir();
    dir = await tempDir();
    running = await startBroker({ port: 0, dataDir: runningDir.path, logLevel: 'silent' });
  });
  afterAll(async () => {
    await running.close();
    await runningDir.remove();
    await dir.remove();
  });

  it('fails to start with EADDRINUSE and a clear message, gives its data dir back, and leaves the broker on that port serving', async () => {
    await expect(startBroker({ port: running.port, dataDir: dir.path, logLevel: 'silent' })).rejects.toMatchObject({
      code: 'EADDRINUSE',
      message: `cannot listen on 127.0.0.1:${running.port}: the port is in use (another broker?)`,
    });
    const next = await startBroker({ port: 0, dataDir: dir.path, logLevel: 'silent' }); // the data dir is unlocked and its files closed
    await next.close();
    const client = await connect(running.url, { clientId: 'still-there' });
    await client.createTopic('after-the-clash', { partitions: 1 });
    expect((await client.listTopics()).map((t) => t.name)).toContain('after-the-clash');
    await client.close();
  });
});
