/**
 * The page's inspection stream: its own WebSocket to the broker, greeted with
 * the client's handshake (so the broker token applies exactly as for any
 * client), then `inspect` with no filter: every actor now, then an `actor`
 * push per transition. A dropped socket reconnects with backoff and starts
 * over with a fresh list; a refused token stops and says so. The same socket
 * carries the page's read-only admin polls (`request`): topics, groups, lag.
 */
import { handshake } from '../../client/handshake.js';
import type { Socket } from '../../client/socket.js';
import { decodeFrame, encodeFrame } from '../../protocol/codec.js';
import type { ActorMqError } from '../../protocol/errors.js';
import type { ActorView, RequestFrame, ResultBodies } from '../../protocol/frames.js';

export type StreamStatus = 'connecting' | 'live' | 'reconnecting' | 'unauthorized' | 'failed';

export interface StreamHandlers {
  /**
   * The actors the broker listed, replacing whatever was shown (after each
   * (re)connect): every one it knows, or the first that fit in its answer
   * when that is fewer than `total`.
   */
  snapshot(actors: ActorView[], total: number): void;
  update(actor: ActorView): void;
  status(status: StreamStatus, detail: string): void;
}

const inspectRequestId = 1;
/** Admin polls in flight at once; the page asks for a bounded picture. */
const maxPendingRequests = 128;

type ReadRequest = Extract<RequestFrame, { type: 'listTopics' | 'describeTopic' | 'listGroups' | 'describeGroup' }>;
interface Pending { resolve(body: unknown): void; reject(error: Error): void }
const helloTimeoutMs = 10_000;
const reconnectBackoffMs = [250, 500, 1_000, 2_000, 5_000];

export class InspectStream {
  private socket: Socket | null = null;
  private attempts = 0;
  private readonly aborter = new AbortController();
  private readonly pending = new Map<number, Pending>();
  private nextRequestId = inspectRequestId + 1;

  constructor(private readonly url: string, private readonly token: string | undefined, private readonly handlers: StreamHandlers) {}

  start(): void {
    this.handlers.status(this.attempts === 0 ? 'connecting' : 'reconnecting', this.url);
    const request = { url: this.url, clientId: 'actormq-visualiser', token: this.token, timeoutMs: helloTimeoutMs, signal: this.aborter.signal };
    handshake(request, (socket) => this.adopt(socket)).catch((error: ActorMqError) => {
      if (this.aborter.signal.aborted) return;
      if (error.code === 'NOT_AUTHORIZED') return this.handlers.status('unauthorized', error.message);
      if (!error.retriable && error.code !== 'CONNECTION_CLOSED' && error.code !== 'TIMEOUT') return this.handlers.status('failed', error.message);
      this.retry();
    });
  }

  close(): void {
    this.aborter.abort();
    this.socket?.close(1000, 'page closed');
  }

  /** One read-only request on the inspection socket; rejects when there is no live socket or it drops. */
  request<T extends ReadRequest['type']>(frame: Omit<Extract<ReadRequest, { type: T }>, 'id'> & { type: T }): Promise<ResultBodies[T]> {
    return new Promise((resolve, reject) => {
      if (!this.socket) return reject(new Error('not connected'));
      if (this.pending.size >= maxPendingRequests) return reject(new Error('too many requests in flight'));
      const id = this.nextRequestId++;
      this.pending.set(id, { resolve: resolve as (body: unknown) => void, reject });
      this.socket.send(encodeFrame({ ...frame, id }));
    });
  }

  private retry(): void {
    const delayMs = reconnectBackoffMs[Math.min(this.attempts, reconnectBackoffMs.length - 1)]!;
    this.attempts++;
    setTimeout(() => this.start(), delayMs);
  }

  private adopt(socket: Socket): void {
    this.socket = socket;
    socket.onmessage = (event) => this.onFrame(decodeFrame(new Uint8Array(event.data as ArrayBuffer)) as Record<string, unknown>);
    socket.onclose = () => {
      this.socket = null;
      for (const { reject } of this.pending.values()) reject(new Error('connection lost'));
      this.pending.clear();
      if (this.aborter.signal.aborted) return;
      this.handlers.status('reconnecting', 'the broker closed the connection');
      this.retry();
    };
    socket.send(encodeFrame({ type: 'inspect', id: inspectRequestId }));
  }

  private onFrame(frame: Record<string, unknown>): void {
    if (frame.type === 'actor') return this.handlers.update(frame.actor as ActorView);
    if (frame.type === 'result' && frame.id === inspectRequestId) {
      this.attempts = 0;
      this.handlers.status('live', this.url);
      const { actors, total } = frame.body as ResultBodies['inspect'];
      return this.handlers.snapshot(actors, total);
    }
    const pending = typeof frame.id === 'number' ? this.pending.get(frame.id) : undefined;
    if (pending) {
      this.pending.delete(frame.id as number);
      if (frame.type === 'result') pending.resolve(frame.body);
      else pending.reject(new Error(`${String(frame.code)}: ${String(frame.message)}`));
      return;
    }
    if (frame.type === 'error') this.handlers.status('failed', `${String(frame.code)}: ${String(frame.message)}`);
  }
}
