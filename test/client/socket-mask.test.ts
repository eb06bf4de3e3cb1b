import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocketServer } from 'ws';
import { MaskKeys, socketConstructor } from '../../src/client/socket.js';

describe('client frame masking', () => {
  afterEach(() => vi.restoreAllMocks());

  it('takes keys from one random draw of 8 KiB, skips all-zero ones (ws would keep a reference to the reused frame buffer), and draws again when it is used up', () => {
    let draw = 0;
    const random = vi.spyOn(crypto, 'getRandomValues').mockImplementation(<T extends ArrayBufferView | null>(array: T): T => {
      const pool = array as unknown as Uint8Array;
      pool.fill(0);
      if (draw++ === 0) pool.set([1, 0, 0, 7, 2, 2, 2, 2], 8); // keys 0 and 1 are all zeros
      else pool.set([9, 9, 9, 9]);
      return array;
    });
    const keys = new MaskKeys();
    const mask = new Uint8Array(4);
    keys.fill(mask);
    expect([...mask]).toEqual([1, 0, 0, 7]);
    keys.fill(mask);
    expect([...mask]).toEqual([2, 2, 2, 2]);
    expect(random).toHaveBeenCalledTimes(1);
    keys.fill(mask); // the rest of the first draw is zeros: used up, drawn again
    expect([...mask]).toEqual([9, 9, 9, 9]);
    expect(random).toHaveBeenCalledTimes(2);
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
    expect(random).toHaveBeenCalled(); // the first frame draws the pool
    socket.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
});
