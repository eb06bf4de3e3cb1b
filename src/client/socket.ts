/**
 * The WebSocket the client runs on: the platform's own where there is one
 * (browsers, Deno, Node ≥ 22), otherwise the `ws` package, loaded lazily so
 * browser bundles never include it. Only the browser-style API below is used,
 * which both implement.
 */
export interface Socket {
  binaryType: string;
  /**
   * Must be done with `data` when it returns (the connection reuses the
   * buffer of produce frames): `ws` masks a client frame into a new buffer,
   * and the WHATWG WebSocket takes a copy of a buffer source.
   */
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

export type SocketConstructor = new (url: string) => Socket;

let wsPackage: Promise<SocketConstructor> | undefined;

export function socketConstructor(): Promise<SocketConstructor> {
  const platform = (globalThis as { WebSocket?: SocketConstructor }).WebSocket;
  if (platform) return Promise.resolve(platform);
  wsPackage ??= import('ws').then((module) => {
    const WebSocket = module.default;
    return class extends WebSocket {
      constructor(url: string) {
        super(url, { generateMask: (mask) => maskKeys.fill(mask) });
      }
    } as unknown as SocketConstructor;
  });
  return wsPackage;
}

/** Random bytes drawn at once for masking keys: one draw serves 2048 frames (ws's own default does the same). */
const maskPoolBytes = 8 * 1024;

/**
 * Masking keys from a pool of random bytes, never all zeros: with a zero key
 * `ws` skips masking and keeps a reference to the caller's buffer instead of
 * a masked copy — and the connection reuses the buffer of produce frames, so
 * a frame still waiting in the socket (writes are coalesced until the next
 * tick) would be overwritten by the next one.
 */
export class MaskKeys {
  private readonly pool = new Uint8Array(maskPoolBytes);
  private next = maskPoolBytes;

  /** Writes a fresh key into the first 4 bytes of `mask`. */
  fill(mask: Uint8Array): void {
    do {
      if (this.next === maskPoolBytes) {
        crypto.getRandomValues(this.pool);
        this.next = 0;
      }
      for (let i = 0; i < 4; i++) mask[i] = this.pool[this.next++]!;
    } while ((mask[0]! | mask[1]! | mask[2]! | mask[3]!) === 0);
  }
}

const maskKeys = new MaskKeys();

function ignore(): void {}

/**
 * Stops every callback of a socket that is being abandoned, so a late event
 * cannot reach a newer connection's state. The error callback stays as a
 * no-op: `ws` throws an 'error' event that has no listener (closing a socket
 * that is still connecting emits one).
 */
export function detach(socket: Socket): void {
  socket.onopen = null;
  socket.onmessage = null;
  socket.onclose = null;
  socket.onerror = ignore;
}
