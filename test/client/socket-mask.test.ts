import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocketServer } from 'ws';
import { nonZeroMask, socketConstructor } from '../../src/client/socket.js';

describe('client frame masking', () => {
  afterEach(() => vi.restoreAllMocks());

  it('draws again until the masking key is not all zeros (ws would keep a reference to the reused frame buffer)', () => {
    const draws = [[0, 0, 0, 0], [0, 0, 0, 0], [1, 0, 0, 7]];
    const random = vi.spyOn(crypto, 'getRandomValues').mockImplementation(<T extends ArrayBufferView | null>(array: T): T => {
      (array as unknown as Uint8Array).set(draws.shift()!);
      return array;
    });
    const mask = new Uint8Array(4);
    nonZeroMask(mask);
    expect([...mask]).toEqual([1, 0, 0, 7]);
    expect(random).toHaveBeenCalledTimes(3);
  });

  it('masks every frame a ws client socket sends with such a key', async () => {
    const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    const received = new Promise<Buffer>((resolve) => server.on('connection', (socket) => socket.on('message', (data) => resolve(data as Buffer))));
    const Socket = await socketConstructor();
    const socket = new Socket(`ws://127.0.0.1:${(server.address() as { port: number }).port}`);
    await new Promise((resolve) => (socket.onopen = resolve));
    const random = vi.spyOn(crypto, 'getRandomValues');
    socket.send(new Uint8Array([1, 2, 3]));
    expect([...(await received)]).toEqual([1, 2, 3]);
    expect(random).toHaveBeenCalled();
    socket.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
});
