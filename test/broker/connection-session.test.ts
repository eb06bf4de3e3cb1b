import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { startBroker, type Broker } from '../../src/broker/index.js';
import { encodeFrame } from '../../src/protocol/codec.js';
import { encodeRecordBatch } from '../../src/protocol/record-batch.js';
import { protocolVersion } from '../../src/protocol/limits.js';
import { RawClient } from '../helpers/raw-client.js';
import { tempDir } from '../../bench/lib/temp-dir.js';

describe('connection protocol errors', () => {
  let broker: Broker;
  let dir: Awaited<ReturnType<typeof tempDir>>;

  beforeAll(async () => {
    dir = await tempDir();
    broker = await startBroker({ port: 0, dataDir: dir.path, logLevel: 'silent', token: 'secret', limits: { maxFrameBytes: 64 * 1024, maxBatchBytes: 32 * 1024, maxFetchBytes: 32 * 1024, maxEntriesPerRequest: 32, maxInFlightRequests: 4, helloTimeoutMs: 300 } });
  });
  afterAll(async () => {
    await broker.close();
    await dir.remove();
  });

  const hello = (extra: object = {}) => ({ type: 'hello', version: protocolVersion, clientId: 'c', token: 'secret', ...extra });

  it('answers a good hello with the welcome and the limits', async () => {
    const client = await RawClient.open(broker.url);
    const answer = await client.request(hello());
    expect(answer).toMatchObject({ type: 'result', body: { version: protocolVersion, limits: { maxFrameBytes: 64 * 1024, maxInFlightRequests: 4 } } });
    client.close();
  });

  it.each([
    ['a text frame', (c: RawClient) => c.sendBytes('hello'), 'TEXT_FRAME', 1003],
    ['bytes that are not msgpack', (c: RawClient) => c.sendBytes(new Uint8Array([0xc1, 0xff, 0x00])), 'MALFORMED_FRAME', 1002],
    ['a msgpack value that is not a map', (c: RawClient) => c.sendBytes(encodeFrame([1, 2, 3])), 'MALFORMED_FRAME', 1002],
    ['a request before hello', (c: RawClient) => c.send({ type: 'listTopics', id: 1 }), 'HELLO_REQUIRED', 1002],
    ['an unsupported protocol version', (c: RawClient) => c.send(hello({ id: 1, version: 99 })), 'UNSUPPORTED_VERSION', 1002],
    ['a wrong token', (c: RawClient) => c.send(hello({ id: 1, token: 'nope' })), 'NOT_AUTHORIZED', 1008],
    ['a frame over maxFrameBytes', (c: RawClient) => c.sendBytes(new Uint8Array(65 * 1024)), 'FRAME_TOO_LARGE', 1009],
  ])('closes on %s with an error frame and the close code', async (_name, act, code, closeCode) => {
    const client = await RawClient.open(broker.url);
    act(client);
    expect(await client.closed).toBe(closeCode);
    expect(client.frames).toContainEqual(expect.objectContaining({ type: 'error', code }));
  });

  it('closes a connection that never says hello', async () => {
    const client = await RawClient.open(broker.url);
    expect(await client.closed).toBe(1002);
  });

  it('answers a wrongly typed request with an error and keeps the connection', async () => {
    const client = await RawClient.open(broker.url);
    await client.request(hello());
    const bad = await client.request({ type: 'createTopic', topic: 42, partitions: 'x' });
    expect(bad).toMatchObject({ type: 'error', code: 'MALFORMED_FRAME' });
    const unknown = await client.request({ type: 'noSuchThing' });
    expect(unknown).toMatchObject({ type: 'error', code: 'MALFORMED_FRAME' });
    const good = await client.request({ type: 'listTopics' });
    expect(good).toMatchObject({ type: 'result', body: { topics: [] } });
    client.close();
  });

  it('refuses requests past maxInFlightRequests with TOO_MANY_REQUESTS', async () => {
    const client = await RawClient.open(broker.url);
    await client.request(hello());
    // createTopic waits for an fsync, so these overlap.
    for (let id = 100; id < 110; id++) client.send({ type: 'createTopic', id, topic: `inflight-${id}`, partitions: 1 });
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => client.waitFor((f) => f.id === 100 + i)));
    const refused = answers.filter((a) => a.code === 'TOO_MANY_REQUESTS');
    expect(refused.length).toBeGreaterThan(0);
    expect(answers.filter((a) => a.type === 'result').length).toBeGreaterThanOrEqual(4);
    client.close();
  });
});

describe('a connection that does not read its answers', () => {
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  /** Topic `big` holding one stored batch of 1,000 values of 1 KB (a fetch from 0 is answered with ~1 MB). */
  const storeMegabyteBatch = async (client: RawClient): Promise<Uint8Array> => {
    await client.request({ type: 'createTopic', topic: 'big', partitions: 1 });
    const batch = encodeRecordBatch(Array.from({ length: 1_000 }, () => ({ value: 'x'.repeat(1_000) })), { now: 1_000 });
    expect(await client.request({ type: 'produce', entries: [{ topic: 'big', partition: 0, batch }] })).toMatchObject({ type: 'result' });
    return batch;
  };
  /** `count` fetches of `big` from offset 0, ids 1,000 on, sent without waiting; returns their ids. */
  const sendFetches = (client: RawClient, count: number, maxBytes: number): number[] => {
    const ids = Array.from({ length: count }, (_, index) => 1_000 + index);
    for (const id of ids) client.send({ type: 'fetch', id, topic: 'big', partition: 0, offset: 0, maxBytes });
    return ids;
  };

  it('has no further requests read while more than maxUnsentBytes of answers wait for it, and is served again once it reads', async () => {
    const dir = await tempDir();
    const broker = await startBroker({ port: 0, dataDir: dir.path, logLevel: 'silent' });
    const client = await RawClient.greeted(broker.url);
    try {
      await storeMegabyteBatch(client);
      // 20-byte requests, ~1 MB answers: a peer that never reads would otherwise make the broker buffer without bound.
      client.socket.pause();
      const fetchIds = sendFetches(client, 64, 2 << 20);
      await sleep(1_000); // the broker reads the partition 64 times and queues the answers
      client.send({ type: 'createTopic', id: 2_000, topic: 'sent-while-not-reading', partitions: 1 });
      await sleep(500);
      expect(broker.topics.get('sent-while-not-reading')).toBeUndefined();
      client.socket.resume();
      expect(await client.waitFor((f) => f.id === 2_000, 20_000)).toMatchObject({ type: 'result', body: { created: true } });
      const answers = await Promise.all(fetchIds.map((id) => client.waitFor((f) => f.id === id)));
      expect(answers.every((answer) => answer.type === 'result' && answer.body.records.length > 1_000_000)).toBe(true);
    } finally {
      client.close();
      await broker.close();
      await dir.remove();
    }
  }, 30_000);

  it('serves no more of a burst of fetches sent at once than maxUnsentBytes of answers allow before it reads', async () => {
    const dir = await tempDir();
    const broker = await startBroker({ port: 0, dataDir: dir.path, logLevel: 'silent', limits: { maxUnsentBytes: 1 << 20 } });
    const client = await RawClient.greeted(broker.url);
    const producer = await RawClient.greeted(broker.url, 'producer');
    try {
      const batch = await storeMegabyteBatch(client);
      const produce = { type: 'produce', entries: [{ topic: 'big', partition: 0, batch }] };
      // 20-byte requests read together, before any answer exists; maxBytes 1, yet each is answered with the whole 1 MB batch.
      client.socket.pause();
      const fetchIds = sendFetches(client, 48, 1);
      await sleep(1_000);
      // A fetch served after this second batch is appended answers with endOffset 2,000.
      expect(await producer.request(produce)).toMatchObject({ type: 'result' });
      client.socket.resume();
      const answers = await Promise.all(fetchIds.map((id) => client.waitFor((f) => f.id === id, 20_000)));
      expect(answers.every((answer) => answer.type === 'result' && answer.body.records.length === batch.length)).toBe(true);
      const servedWhileNotReading = answers.filter((answer) => answer.body.endOffset === 1_000).length;
      // The first answers and what loopback's kernel buffers take in (a few MB), not all 48 MB.
      expect(servedWhileNotReading).toBeGreaterThan(0);
      expect(servedWhileNotReading).toBeLessThan(fetchIds.length / 2);
    } finally {
      client.close();
      producer.close();
      await broker.close();
      await dir.remove();
    }
  }, 30_000);

  it('releases the held requests, timers, inspection stream and group membership of a connection that vanishes while it is behind', async () => {
    const dir = await tempDir();
    const broker = await startBroker({ port: 0, dataDir: dir.path, logLevel: 'silent', limits: { maxUnsentBytes: 1 << 20 } });
    const admin = await RawClient.greeted(broker.url, 'admin');
    const timers = () => process.getActiveResourcesInfo().filter((resource) => resource === 'Timeout').length;
    try {
      await storeMegabyteBatch(admin);
      const timersBefore = timers();
      const client = await RawClient.greeted(broker.url, 'vanishing');
      await client.request({ type: 'inspect', kinds: ['connection'] });
      await client.request({
        type: 'joinGroup', group: 'audit', topics: ['big'], ordering: 'partition', from: 'latest', retryBackoffMs: [0],
        maxDeliveries: 16, sessionTimeoutMs: 3_600_000, maxInFlightMessages: 100, maxInFlightBytes: 1 << 20,
      });
      client.socket.pause();
      sendFetches(client, 16, 2 << 20);
      await sleep(500);
      client.send({ type: 'createTopic', id: 2_000, topic: 'held', partitions: 1 });
      for (let index = 0; index < 3; index++) {
        const short = await RawClient.greeted(broker.url, 'short'); // inspection updates that wait for the stalled watcher
        short.close();
        await short.closed;
      }
      await sleep(200);
      expect(broker.topics.get('held')).toBeUndefined();
      client.socket.terminate();
      await client.closed;
      const deadline = Date.now() + 2_000;
      while (timers() > timersBefore && Date.now() < deadline) await sleep(20);
      expect(timers()).toBeLessThanOrEqual(timersBefore);
      expect((await admin.request({ type: 'describeGroup', group: 'audit' })).body.members).toEqual([]);
      const views = broker.inspector.list({ kinds: ['connection'] }).filter((view) => view.context.clientId === 'vanishing');
      expect(views.map((view) => view.status)).toEqual(['done']);
      expect(broker.topics.get('held')).toBeUndefined();
    } finally {
      admin.close();
      await broker.close();
      await dir.remove();
    }
  }, 30_000);

  it('ends the close handshake of a connection whose requests are held at shutdown as soon as it reads again, not at the close timeout', async () => {
    const dir = await tempDir();
    // Simulated timers: the close timeout that would terminate the socket never fires.
    const broker = await startBroker({ port: 0, dataDir: dir.path, logLevel: 'silent', timers: new SimulatedClock(), limits: { maxUnsentBytes: 1 << 20 } });
    const client = await RawClient.greeted(broker.url);
    try {
      await storeMegabyteBatch(client);
      client.socket.pause();
      sendFetches(client, 16, 2 << 20);
      await sleep(500);
      client.send({ type: 'createTopic', id: 2_000, topic: 'held', partitions: 1 });
      await sleep(200);
      expect(broker.topics.get('held')).toBeUndefined();
      await broker.close();
      client.socket.resume();
      const closeCode = await Promise.race([client.closed, sleep(3_000).then(() => 'still open')]);
      expect(closeCode).toBe(1001);
      expect(client.frames).toContainEqual(expect.objectContaining({ type: 'error', code: 'SHUTTING_DOWN' }));
    } finally {
      client.socket.terminate();
      await broker.close();
      await dir.remove();
    }
  }, 30_000);
});
