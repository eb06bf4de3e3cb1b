/** The connection against a fake broker over a real WebSocket: hello, multiplexing, errors, limits, reconnects. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connect, type Client } from '../../src/client/index.js';
import { ActorMqError, ConnectionClosedError, NotAuthorizedError, TimeoutError, UnknownTopicError } from '../../src/protocol/errors.js';
import { FakeBroker, FakeError, noAnswer } from './fake-broker.js';

let broker: FakeBroker;
const clients: Client[] = [];

async function open(options: Partial<Parameters<typeof connect>[1]> = {}): Promise<Client> {
  const client = await connect(broker.url, { clientId: 'test', reconnectBackoffMs: 10, ...options });
  clients.push(client);
  return client;
}

const until = async (condition: () => boolean, timeoutMs = 2_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

beforeEach(async () => {
  broker = await FakeBroker.start();
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  await broker.close();
});

describe('hello', () => {
  it('sends hello first, with protocol version, client id and token', async () => {
    await open({ clientId: 'order-svc', token: 'secret' });
    expect(broker.frames[0]).toEqual({ type: 'hello', id: 0, version: 1, clientId: 'order-svc', token: 'secret' });
  });

  it('rejects connect with the typed error of a refused hello', async () => {
    broker.handlers.hello = () => {
      throw new FakeError('NOT_AUTHORIZED', 'token missing or not accepted');
    };
    await expect(connect(broker.url, { clientId: 'test' })).rejects.toBeInstanceOf(NotAuthorizedError);
  });

  it('rejects connect with ConnectionClosedError when nothing listens, and TimeoutError when no welcome comes', async () => {
    const url = broker.url;
    await broker.close();
    await expect(connect(url, { clientId: 'test' })).rejects.toBeInstanceOf(ConnectionClosedError);
    broker = await FakeBroker.start();
    broker.handlers.hello = () => noAnswer;
    await expect(connect(broker.url, { clientId: 'test', connectTimeoutMs: 50 })).rejects.toBeInstanceOf(TimeoutError);
  });

  it('validates options before connecting', async () => {
    await expect(connect(broker.url, { clientId: '' })).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    await expect(connect('http://x', { clientId: 'a' })).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    await expect(connect(broker.url, { clientId: 'a', requestTimeoutMs: -1 })).rejects.toThrow(/requestTimeoutMs/);
    await expect(connect(broker.url, { clientId: 'a', requestTimoutMs: 5 } as never)).rejects.toThrow(/no option "requestTimoutMs"/);
    expect(broker.frames).toHaveLength(0);
  });
});

describe('requests', () => {
  it('matches answers to requests by id, whatever their order', async () => {
    const client = await open();
    broker.createTopic('a', 1);
    broker.createTopic('b', 3);
    const held: Array<() => void> = [];
    const describe = broker.handlers.describeTopic!;
    broker.handlers.describeTopic = (frame, socket) => new Promise((resolve) => held.push(() => resolve(describe(frame, socket))));
    const a = client.describeTopic('a');
    const b = client.describeTopic('b');
    await until(() => held.length === 2);
    held[1]!();
    held[0]!();
    expect((await a).partitions).toHaveLength(1);
    expect((await b).partitions).toHaveLength(3);
    const ids = broker.received('describeTopic').map((frame) => frame.id);
    expect(new Set(ids).size).toBe(2);
  });

  it('maps error frames to the exported classes', async () => {
    const client = await open();
    const error = await client.describeTopic('missing').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnknownTopicError);
    expect(error).toMatchObject({ code: 'UNKNOWN_TOPIC', retriable: false });
    broker.handlers.listTopics = () => {
      throw new FakeError('SOME_FUTURE_CODE' as never, 'new in a later version');
    };
    await expect(client.listTopics()).rejects.toMatchObject({ code: 'INTERNAL_ERROR', message: 'SOME_FUTURE_CODE: new in a later version' });
  });

  it('times a request out with TimeoutError', async () => {
    const client = await open({ requestTimeoutMs: 50 });
    broker.handlers.listTopics = () => noAnswer;
    await expect(client.listTopics()).rejects.toBeInstanceOf(TimeoutError);
  });

  it("keeps at most the broker's maxInFlightRequests on the wire and queues the rest", async () => {
    broker.limits = { ...broker.limits, maxInFlightRequests: 2 };
    const client = await open();
    const held: Array<() => void> = [];
    let answered = 0;
    let mostOutstanding = 0;
    broker.handlers.listTopics = () => {
      mostOutstanding = Math.max(mostOutstanding, broker.received('listTopics').length - answered);
      return new Promise((resolve) => held.push(() => resolve({ topics: [] })));
    };
    const answers = Array.from({ length: 5 }, () => client.listTopics());
    while (answered < 5) {
      await until(() => held.length > 0);
      await new Promise((resolve) => setTimeout(resolve, 5)); // room for a request that should not come
      answered++;
      held.shift()!();
    }
    await Promise.all(answers);
    expect(broker.received('listTopics')).toHaveLength(5);
    expect(mostOutstanding).toBe(2);
  });

  it('rejects requests beyond maxQueuedRequests with TOO_MANY_REQUESTS', async () => {
    broker.limits = { ...broker.limits, maxInFlightRequests: 1 };
    const client = await open({ maxQueuedRequests: 1, requestTimeoutMs: 200 });
    broker.handlers.listTopics = () => noAnswer;
    const first = client.listTopics().catch((e: unknown) => e);
    const second = client.listTopics().catch((e: unknown) => e);
    await expect(client.listTopics()).rejects.toMatchObject({ code: 'TOO_MANY_REQUESTS' });
    expect(await first).toBeInstanceOf(TimeoutError);
    expect(await second).toBeInstanceOf(TimeoutError);
  });
});

describe('reconnect', () => {
  it('rejects requests on the wire with ConnectionClosedError, reconnects with a new hello and serves again', async () => {
    const client = await open();
    broker.handlers.listTopics = () => noAnswer;
    const lost = client.listTopics();
    await until(() => broker.received('listTopics').length === 1);
    broker.dropAll();
    await expect(lost).rejects.toBeInstanceOf(ConnectionClosedError);
    delete (broker.handlers as Record<string, unknown>).listTopics;
    broker.handlers.listTopics = () => ({ topics: [{ name: 'x', partitions: 2 }] });
    await expect(client.listTopics()).resolves.toEqual([{ name: 'x', partitions: 2 }]);
    expect(broker.received('hello')).toHaveLength(2);
  });

  it('queues requests made while reconnecting and sends them after the new hello', async () => {
    const client = await open({ reconnectBackoffMs: 100 });
    broker.dropAll();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await expect(client.listTopics()).resolves.toEqual([]);
    expect(broker.frames.map((frame) => frame.type)).toEqual(['hello', 'hello', 'listTopics']);
  });

  it('keeps trying with backoff while the broker is away', async () => {
    const client = await open({ reconnectBackoffMs: 10, reconnectBackoffMaxMs: 20 });
    const refusals: number[] = [];
    broker.handlers.hello = () => {
      refusals.push(Date.now());
      throw new FakeError('TOO_MANY_CONNECTIONS', 'full');
    };
    broker.dropAll();
    await until(() => refusals.length >= 3);
    broker.handlers.hello = () => ({ version: 1, brokerId: 'fake', limits: broker.limits });
    await expect(client.listTopics()).resolves.toEqual([]);
  });

  it('stops for good after a connection-level error that retrying cannot fix', async () => {
    const client = await open();
    broker.sendRaw({ type: 'error', code: 'NOT_AUTHORIZED', message: 'token revoked' });
    await new Promise((resolve) => setTimeout(resolve, 20));
    broker.dropAll();
    await until(() => broker.sockets.size === 0);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await expect(client.listTopics()).rejects.toBeInstanceOf(NotAuthorizedError);
    expect(broker.received('hello')).toHaveLength(1);
  });

  it('drops a socket that sends a malformed frame and reconnects', async () => {
    const client = await open();
    broker.sendRaw({ type: 'result', body: {} });
    await until(() => broker.received('hello').length === 2);
    await expect(client.listTopics()).resolves.toEqual([]);
  });

  it('ignores well-formed frames of types it does not use (pushes)', async () => {
    const client = await open();
    broker.sendRaw({ type: 'assignment', group: 'g', memberId: 'm', generation: 1, partitions: [], topics: [] });
    await expect(client.listTopics()).resolves.toEqual([]);
    expect(broker.received('hello')).toHaveLength(1);
  });
});

describe('close', () => {
  it('rejects every later call with ConnectionClosedError', async () => {
    const client = await open();
    broker.handlers.listTopics = () => noAnswer;
    const pending = client.listTopics().catch((error: unknown) => error);
    await until(() => broker.received('listTopics').length === 1);
    await client.close();
    expect(await pending).toBeInstanceOf(ConnectionClosedError);
    await expect(client.listTopics()).rejects.toBeInstanceOf(ConnectionClosedError);
    await expect(client.createTopic('t')).rejects.toBeInstanceOf(ConnectionClosedError);
    expect(() => client.producer()).toThrow(ConnectionClosedError);
    await until(() => broker.sockets.size === 0);
    expect(new ActorMqError('TIMEOUT', 'x').retriable).toBe(true);
  });
});
