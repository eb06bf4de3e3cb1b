/**
 * Frames sent on one WebSocket in one tick leave in one write. A broker
 * answering hundreds of requests after one group commit, or a client whose
 * many in-flight calls continue after one read, would otherwise make one
 * socket write (one system call) per frame; corking the `ws` package's
 * underlying Node socket until the next tick hands them all to one writev.
 * Where there is no such socket (a browser's WebSocket) frames go as sent.
 */

interface CorkableStream { cork(): void; uncork(): void }

/** The Node stream under a `ws` WebSocket (its private `_socket`), if there is one. */
function underlyingStream(socket: object): CorkableStream | undefined {
  const stream = (socket as { _socket?: Partial<CorkableStream> })._socket;
  return typeof stream?.cork === 'function' && typeof stream.uncork === 'function' ? (stream as CorkableStream) : undefined;
}

const nextTick = (globalThis as { process?: { nextTick?(fn: () => void): void } }).process?.nextTick;

export class WriteCoalescer {
  private corked: CorkableStream | undefined;

  /** Call before each send: the first one in a tick corks the stream, the next tick uncorks it (once). */
  beforeSend(socket: object): void {
    if (this.corked || !nextTick) return;
    const stream = underlyingStream(socket);
    if (!stream) return;
    stream.cork();
    this.corked = stream;
    nextTick(() => {
      this.corked = undefined;
      stream.uncork();
    });
  }
}
