import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startBroker, type Broker } from '../../src/broker/index.js';
import { RawClient } from '../helpers/raw-client.js';
import { tempDir } from '../../bench/lib/temp-dir.js';
import { defaultInspectorLimits } from '../../src/inspect/inspector.js';
import { encodeRecordBatch } from '../../src/protocol/record-batch.js';

describe('inspection stream', () => {
  let broker: Broker;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let watcher: RawClient;
  let admin: RawClient;

  beforeEach(async () => {
    dir = await tempDir();
    broker = await startBroker({ port: 0, dataDir: dir.path, logLevel: 'silent' });
    watcher = await RawClient.greeted(broker.url, 'watcher');
    admin = await RawClient.greeted(broker.url, 'admin');
  });
  afterEach(async () => {
    watcher.close();
    admin.close();
    await broker.close();
    await dir.remove();
  });

  const pushes = (id: string) => watcher.frames.filter((f) => f.type === 'actor' && f.actor.id === id).map((f) => f.actor);

  it('lists matching actors, then pushes every transition of a new partition', async () => {
    const first = await watcher.request({ type: 'inspect', kinds: ['partition'] });
    expect(first.body.actors).toEqual([]);
    await admin.request({ type: 'createTopic', topic: 'orders', partitions: 1 });
    await watcher.waitFor((f) => f.type === 'actor' && f.actor.id === 'partition/orders/0' && f.actor.state === 'online');
    const latest = pushes('partition/orders/0').at(-1);
    expect(latest).toMatchObject({ kind: 'partition', machine: 'partition', state: 'online', status: 'active', context: { topic: 'orders', partition: 0, failures: 0 } });
    expect(latest.history.map((h: { state: string }) => h.state)).toEqual(['recovering', 'online']);
    expect(latest.history[1].event).toBe('xstate.done.actor.recoverLog');
    // Connections are not in this filter.
    expect(watcher.frames.some((f) => f.type === 'actor' && f.actor.kind === 'connection')).toBe(false);
  });

  it('shows connections by id, including their end', async () => {
    const listed = await watcher.request({ type: 'inspect', kinds: ['connection'] });
    const ids = listed.body.actors.map((a: { id: string }) => a.id);
    expect(listed.body.actors.every((a: { state: string }) => a.state === 'open')).toBe(true);
    const other = await RawClient.greeted(broker.url, 'short-lived');
    const shortId = (await watcher.waitFor((f) => f.type === 'actor' && f.actor.context.clientId === 'short-lived')).actor.id;
    expect(ids).not.toContain(shortId);
    other.close();
    const ended = await watcher.waitFor((f) => f.type === 'actor' && f.actor.id === shortId && f.actor.state === 'closed');
    expect(ended.actor.status).toBe('done');
    expect(ended.actor.history.map((h: { state: string }) => h.state)).toEqual(['handshaking', 'open', 'closed']);
  });

  it('follows a consumer group and its members; stops after uninspect', async () => {
    await admin.request({ type: 'createTopic', topic: 'orders', partitions: 2 });
    await watcher.request({ type: 'inspect', kinds: ['group', 'member'] });
    const consumer = await RawClient.greeted(broker.url, 'consumer');
    const join = await consumer.request({
      type: 'joinGroup', group: 'cart', topics: ['orders'], ordering: 'partition', from: 'earliest', retryBackoffMs: [10], maxDeliveries: 3,
      sessionTimeoutMs: 10_000, maxInFlightMessages: 10, maxInFlightBytes: 65536,
    });
    await watcher.waitFor((f) => f.type === 'actor' && f.actor.id === 'group/cart' && f.actor.state === 'stable');
    const member = await watcher.waitFor((f) => f.type === 'actor' && f.actor.kind === 'member' && f.actor.state === 'assigned');
    expect(member.actor.context).toMatchObject({ group: 'cart', memberId: join.body.memberId, partitionCount: 2 });
    await watcher.request({ type: 'uninspect' });
    const seen = watcher.frames.length;
    consumer.close();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(watcher.frames.length).toBe(seen);
  });

  it('refuses a filter naming more than maxInspectFilterEntries ids or kinds, and keeps the stream it had', async () => {
    // Every transition of every actor is matched against each watcher's filter: a huge one would slow the whole broker.
    await watcher.request({ type: 'inspect', kinds: ['partition'] });
    const ids = Array.from({ length: 100_000 }, (_, i) => `partition/t/${i}`);
    expect(await watcher.request({ type: 'inspect', ids })).toMatchObject({ type: 'error', code: 'INVALID_REQUEST' });
    const kinds = Array.from({ length: 1_001 }, () => 'partition');
    expect(await watcher.request({ type: 'inspect', kinds })).toMatchObject({ type: 'error', code: 'INVALID_REQUEST' });
    await admin.request({ type: 'createTopic', topic: 'orders', partitions: 1 });
    await watcher.waitFor((f) => f.type === 'actor' && f.actor.id === 'partition/orders/0' && f.actor.state === 'online');
    const atLimit = await watcher.request({ type: 'inspect', ids: ids.slice(0, 1_000) });
    expect(atLimit).toMatchObject({ type: 'result', body: { actors: [] } });
  });
});

describe('inspection stream to a watcher that stopped reading', () => {
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

  it('keeps no more ended actors waiting for it than the inspector keeps, the newest ones', async () => {
    const dir = await tempDir();
    const broker = await startBroker({ port: 0, dataDir: dir.path, logLevel: 'silent' });
    const watcher = await RawClient.greeted(broker.url, 'watcher');
    try {
      await watcher.request({ type: 'createTopic', topic: 'big', partitions: 1 });
      const batch = encodeRecordBatch(Array.from({ length: 1_000 }, () => ({ value: 'x'.repeat(1_000) })), { now: 1_000 });
      await watcher.request({ type: 'produce', entries: [{ topic: 'big', partition: 0, batch }] });
      await watcher.request({ type: 'inspect', kinds: ['connection'] });
      // ~48 MB of fetch answers it does not read (more than the kernel buffers) back up its socket, so inspection updates wait for it.
      watcher.socket.pause();
      for (let id = 1_000; id < 1_048; id++) watcher.send({ type: 'fetch', id, topic: 'big', partition: 0, offset: 0, maxBytes: 2 << 20 });
      await sleep(500);
      const endedCount = defaultInspectorLimits.maxEndedActors + 200;
      for (let index = 0; index < endedCount; index++) {
        const client = await RawClient.greeted(broker.url, `short-${index}`);
        client.close();
        await client.closed;
      }
      const lastId = broker.inspector.list({ kinds: ['connection'] }).find((view) => view.context.clientId === `short-${endedCount - 1}`)!.id;
      watcher.socket.resume();
      await watcher.waitFor((f) => f.type === 'actor' && f.actor.id === lastId && f.actor.status === 'done', 20_000);
      const endedSeen = new Set(watcher.frames.filter((f) => f.type === 'actor' && f.actor.status === 'done').map((f) => f.actor.id));
      expect(endedSeen.size).toBeLessThanOrEqual(defaultInspectorLimits.maxEndedActors);
    } finally {
      watcher.close();
      await broker.close();
      await dir.remove();
    }
  }, 60_000);
});

describe('inspect answer on a broker with more matching actors than maxInspectListed', () => {
  it('lists the first maxInspectListed of them and counts them all in total; pushes still come for every one', async () => {
    const dir = await tempDir();
    const broker = await startBroker({ port: 0, dataDir: dir.path, logLevel: 'silent', limits: { maxInspectListed: 3 } });
    const watcher = await RawClient.greeted(broker.url, 'watcher');
    try {
      await watcher.request({ type: 'createTopic', topic: 'orders', partitions: 8 });
      const all = await watcher.request({ type: 'inspect', kinds: ['partition'] });
      const listed = new Set(all.body.actors.map((actor: { id: string }) => actor.id));
      expect(listed.size).toBe(3);
      for (const id of listed) expect(id).toMatch(/^partition\/orders\/[0-7]$/);
      expect(all.body.total).toBe(8);
      const two = await watcher.request({ type: 'inspect', ids: ['partition/orders/5', 'partition/orders/7'] });
      expect(two.body).toMatchObject({ actors: [{ id: 'partition/orders/5' }, { id: 'partition/orders/7' }], total: 2 });
      await watcher.request({ type: 'inspect', kinds: ['partition'] });
      await watcher.request({ type: 'createTopic', topic: 'more', partitions: 4 });
      for (let partition = 0; partition < 4; partition++) {
        await watcher.waitFor((f) => f.type === 'actor' && f.actor.id === `partition/more/${partition}` && f.actor.state === 'online');
      }
    } finally {
      watcher.close();
      await broker.close();
      await dir.remove();
    }
  });
});
