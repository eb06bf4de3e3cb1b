import type { Socket as NetSocket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { WriteCoalescer } from '../../src/protocol/write-coalescing.js';

/** A connected pair of ws sockets on loopback; `received` collects what the server side gets. */
async function socketPair(): Promise<{ client: WebSocket; received: string[]; close(): Promise<void> }> {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  const received: string[] = [];
  server.on('connection', (socket) => socket.on('message', (data) => received.push(String(data))));
  const client = new WebSocket(`ws://127.0.0.1:${(server.address() as { port: number }).port}`);
  await new Promise<void>((resolve, reject) => {
    client.once('open', () => resolve());
    client.once('error', reject);
  });
  return {
    client, received,
    close: async () => {
      client.terminate();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Counts the writes the Node socket under `socket` hands to the OS layer (one _write or _writev each). */
function countWrites(socket: WebSocket): { writes: number } {
  const stream = (socket as unknown as { _socket: NetSocket & { _write: Function; _writev: Function } })._socket;
  const counts = { writes: 0 };
  const write = stream._write.bind(stream);
  const writev = stream._writev.bind(stream);
  stream._write = (...args: unknown[]) => {
    counts.writes++;
    return write(...args);
  };
  stream._writev = (chunks: unknown[], callback: unknown) => {
    counts.writes++;
    return writev(chunks, callback);
  };
  return counts;
}

const nextTick = () => new Promise<void>((resolve) => process.nextTick(resolve));

describe('WriteCoalescer', () => {
  let pair: Awaited<ReturnType<typeof socketPair>> | undefined;
  afterEach(async () => pair?.close());

  it('sends the frames of one tick in one write, in order, and the next tick in another', async () => {
    pair = await socketPair();
    const coalescer = new WriteCoalescer();
    const counts = countWrites(pair.client);
    for (const text of ['a', 'b', 'c']) {
      coalescer.beforeSend(pair.client);
      pair.client.send(text);
    }
    expect(counts.writes).toBe(0); // held until the tick ends
    await nextTick();
    expect(counts.writes).toBe(1);
    coalescer.beforeSend(pair.client);
    pair.client.send('d');
    await nextTick();
    expect(counts.writes).toBe(2);
    await expect.poll(() => pair!.received).toEqual(['a', 'b', 'c', 'd']);
  });

  it('without it, each frame is a write of its own', async () => {
    pair = await socketPair();
    const counts = countWrites(pair.client);
    for (const text of ['a', 'b', 'c']) pair.client.send(text);
    await nextTick();
    expect(counts.writes).toBe(3);
    await expect.poll(() => pair!.received).toEqual(['a', 'b', 'c']);
  });

  it('leaves a socket without a Node stream beneath (a browser WebSocket) alone', () => {
    expect(() => new WriteCoalescer().beforeSend({ send() {} })).not.toThrow();
  });
});
