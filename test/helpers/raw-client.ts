/**
 * A bare WebSocket peer for protocol tests: sends arbitrary bytes and frames,
 * collects every server frame and the close code. Deliberately not the
 * actormq client, so tests see exactly what the broker sends.
 */
import WebSocket from 'ws';
import { decodeFrame, encodeFrame } from '../../src/protocol/codec.js';
import { protocolVersion } from '../../src/protocol/limits.js';

/** Any frame the broker sent, as decoded: the fields every frame may carry, and whatever else its type has. */
export interface ServerFrameSeen { type: string; id?: number; code?: string; message?: string; body?: any; [field: string]: any }

export class RawClient {
  readonly frames: ServerFrameSeen[] = [];
  /** Bytes each frame took on the wire. */
  readonly frameBytes = new WeakMap<ServerFrameSeen, number>();
  closeCode: number | undefined;
  private nextId = 1;
  private waiters: Array<() => void> = [];
  readonly closed: Promise<number>;

  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const frame = decodeFrame(data as Buffer) as ServerFrameSeen;
      this.frames.push(frame);
      this.frameBytes.set(frame, (data as Buffer).length);
      this.wake();
    });
    this.closed = new Promise((resolve) => socket.on('close', (code) => {
      this.closeCode = code;
      this.wake();
      resolve(code);
    }));
    socket.on('error', () => undefined);
  }

  static async open(url: string): Promise<RawClient> {
    const socket = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return new RawClient(socket);
  }

  static async greeted(url: string, clientId = 'raw-test'): Promise<RawClient> {
    const client = await RawClient.open(url);
    const welcome = await client.request({ type: 'hello', version: protocolVersion, clientId });
    if (welcome.type !== 'result') throw new Error(`hello refused: ${JSON.stringify(welcome)}`);
    return client;
  }

  sendBytes(bytes: Uint8Array | string): void {
    this.socket.send(bytes);
  }

  send(frame: object): void {
    this.socket.send(encodeFrame(frame));
  }

  /** Sends a frame with a fresh id and waits for the frame answering it. */
  async request(frame: Record<string, unknown>): Promise<ServerFrameSeen> {
    const id = this.nextId++;
    this.send({ ...frame, id });
    return this.waitFor((f) => f.id === id);
  }

  async waitFor(match: (frame: ServerFrameSeen) => boolean, timeoutMs = 5_000): Promise<ServerFrameSeen> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.frames.find(match);
      if (found) return found;
      if (this.closeCode !== undefined) throw new Error(`socket closed (${this.closeCode}) before the expected frame; frames: ${JSON.stringify(this.frames)}`);
      if (Date.now() > deadline) throw new Error(`no matching frame within ${timeoutMs} ms; frames: ${JSON.stringify(this.frames)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 50);
        this.waiters.push(() => { clearTimeout(timer); resolve(); });
      });
    }
  }

  close(): void {
    this.socket.close();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}
