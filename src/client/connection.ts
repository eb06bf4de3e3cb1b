/**
 * One logical connection to a broker, carried by a succession of sockets.
 *
 * Requests are multiplexed by id: each gets a client-chosen id, the broker
 * echoes it in the result or error frame. At most `maxInFlightRequests` are
 * on the wire (the smaller of the option and the broker's limit); the rest
 * wait in a bounded queue, which also holds requests made while reconnecting.
 *
 * When the socket drops unexpectedly, requests on the wire reject with
 * `ConnectionClosedError` (their outcome is unknown; the producer resends its
 * batches itself) and a new socket is opened with exponential backoff and a
 * fresh hello. A non-retriable error (a refused token, an unsupported
 * version) ends reconnecting: the connection fails and every request rejects
 * with that error.
 *
 * Pushes (`deliver`, `assignment`) are routed by group and member id to the
 * consumer that registered the route; pushes for no registered member are
 * dropped. A consumer learns of a dropped socket through `onDisconnect`: the
 * broker ends every membership of a socket when it closes.
 */
import { encodeFrame } from '../protocol/codec.js';
import { encodeProduceFrame } from '../protocol/produce-frame.js';
import { WriteCoalescer } from '../protocol/write-coalescing.js';
import { ActorMqError, ConnectionClosedError, TimeoutError } from '../protocol/errors.js';
import type { TxnCheckFrame } from '../protocol/frames.js';
import type { ErrorFrame, PushFrame, RequestFrame, ResultBodies, WelcomeBody } from '../protocol/frames.js';
import { backoffMs } from './backoff.js';
import { handshake } from './handshake.js';
import type { ResolvedConnectOptions } from './options.js';
import { parseServerFrame, wireError } from './server-frame.js';
import { detach, type Socket } from './socket.js';

export type ClientRequestType = Exclude<RequestFrame['type'], 'hello'>;
export type RequestOf<T extends ClientRequestType> = Omit<Extract<RequestFrame, { type: T }>, 'id'>;

interface OutgoingRequest {
  frame: RequestOf<ClientRequestType>;
  /** Runs synchronously with the answer, before any frame after it is read (see `request`). */
  onResult: ((body: never) => void) | undefined;
  resolve(body: unknown): void;
  reject(error: ActorMqError): void;
  timer: ReturnType<typeof setTimeout> | undefined;
  settled: boolean;
}

/** Ids stay within uint32 so any msgpack implementation reads them as plain integers. */
const maxRequestId = 0xffff_ffff;

export class Connection {
  private state: 'connecting' | 'open' | 'reconnecting' | 'failed' | 'closed' = 'connecting';
  private socket: Socket | null = null;
  private welcome: WelcomeBody | null = null;
  /** Requests on the wire by id. A timed-out request stays until its answer or the socket's end: it still holds a broker slot. */
  private readonly pending = new Map<number, OutgoingRequest>();
  /** Requests waiting for a slot or a socket; a Set keeps insertion order and removes a timed-out request in O(1). */
  private readonly queue = new Set<OutgoingRequest>();
  private nextId = 1;
  private reconnectAttempts = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  /** Set when the connection failed for good; every request rejects with it. */
  private failure: ActorMqError | null = null;
  /** The last error frame without an id on the current socket: the reason for the close that usually follows. */
  private connectionError: ActorMqError | null = null;
  private readonly aborter = new AbortController();
  private closing: Promise<void> | undefined;
  /** Push handlers by routeKey(group, memberId). */
  private readonly routes = new Map<string, (frame: PushFrame) => void>();
  private readonly lostListeners = new Set<() => void>();

  /** Check-back handlers of transaction producers, by producer group. */
  private readonly checkRoutes = new Map<string, (frame: TxnCheckFrame) => void>();
  private readonly coalescer = new WriteCoalescer();

  private constructor(readonly url: string, private readonly options: ResolvedConnectOptions) {}

  /** Resolves once the first hello succeeded; rejects with the typed error otherwise (no retry). */
  static async open(url: string, options: ResolvedConnectOptions): Promise<Connection> {
    const connection = new Connection(url, options);
    await connection.establish();
    return connection;
  }

  get limits(): WelcomeBody['limits'] {
    return this.welcome!.limits;
  }

  get isClosed(): boolean {
    return this.state === 'closed';
  }

  /**
   * Sends a request; resolves with the result body. `onResult` runs with the
   * body synchronously, before the next frame is read: a consumer registers
   * its push route there, as pushes may follow the join result at once.
   */
  request<T extends ClientRequestType>(frame: RequestOf<T> & { type: T }, onResult?: (body: ResultBodies[T]) => void): Promise<ResultBodies[T]> {
    return new Promise((resolve, reject) => {
      if (this.state === 'closed') return reject(new ConnectionClosedError('the client is closed'));
      if (this.failure) return reject(this.failure);
      const request: OutgoingRequest = { frame, onResult, resolve: resolve as (body: unknown) => void, reject, timer: undefined, settled: false };
      if (!this.canTransmit() && this.queue.size >= this.options.maxQueuedRequests) {
        return reject(new ActorMqError('TOO_MANY_REQUESTS', `${this.queue.size} requests already wait for a connection slot (maxQueuedRequests)`));
      }
      request.timer = setTimeout(() => this.expire(request), this.options.requestTimeoutMs);
      if (this.canTransmit()) this.transmit(request);
      else this.queue.add(request);
    });
  }

  /** Routes `deliver` and `assignment` pushes of one group member to `handler`; returns the function that removes the route. */
  routePushes(group: string, memberId: string, handler: (frame: PushFrame) => void): () => void {
    return addRoute(this.routes, routeKey(group, memberId), handler);
  }

  /** Calls `listener` whenever a socket drops unexpectedly (a reconnect follows unless the connection failed); returns the function that removes it. */
  onDisconnect(listener: () => void): () => void {
    this.lostListeners.add(listener);
    return () => this.lostListeners.delete(listener);
  }

  /** Routes `txnCheck` pushes of a producer group to `handler`; returns the function that removes the route. */
  routeTransactionChecks(group: string, handler: (frame: TxnCheckFrame) => void): () => void {
    return addRoute(this.checkRoutes, group, handler);
  }

  /** Rejects everything outstanding with ConnectionClosedError and closes the socket; resolves when it has closed. */
  close(): Promise<void> {
    if (this.state === 'closed') return this.closing!;
    this.state = 'closed';
    clearTimeout(this.reconnectTimer);
    this.aborter.abort();
    this.rejectAll(new ConnectionClosedError('the client is closed'));
    const socket = this.socket;
    this.socket = null;
    this.closing = socket ? this.closeSocket(socket) : Promise.resolve();
    return this.closing;
  }

  private closeSocket(socket: Socket): Promise<void> {
    return new Promise((resolve) => {
      // The broker echoes the close at once; don't hang a shutdown on one that doesn't.
      const timer = setTimeout(resolve, this.options.connectTimeoutMs);
      detach(socket);
      socket.onclose = () => {
        clearTimeout(timer);
        resolve();
      };
      socket.close(1000, 'client closed');
    });
  }

  private establish(): Promise<void> {
    const { clientId, token, connectTimeoutMs } = this.options;
    const request = { url: this.url, clientId, token, timeoutMs: connectTimeoutMs, signal: this.aborter.signal };
    return handshake(request, (socket, welcome) => this.adopt(socket, welcome));
  }

  private adopt(socket: Socket, welcome: WelcomeBody): void {
    this.socket = socket;
    this.welcome = welcome;
    this.state = 'open';
    this.reconnectAttempts = 0;
    this.connectionError = null;
    socket.onmessage = (event) => this.onMessage(event.data);
    socket.onclose = (event) => this.onSocketLost(`closed with code ${event.code}`);
    this.pump();
  }

  private canTransmit(): boolean {
    return this.state === 'open' && this.pending.size < Math.min(this.options.maxInFlightRequests, this.limits.maxInFlightRequests);
  }

  private transmit(request: OutgoingRequest): void {
    const id = this.nextId;
    this.nextId = id === maxRequestId ? 1 : id + 1;
    // Produce frames go into one reused buffer: send() copies it (socket.ts), and a fresh buffer per batch-sized frame costs GC.
    const { frame } = request;
    const bytes = frame.type === 'produce' ? encodeProduceFrame(id, (frame as RequestOf<'produce'>).entries) : encodeFrame({ ...frame, id });
    if (bytes.length > this.limits.maxFrameBytes) {
      return this.settle(request, new ActorMqError('FRAME_TOO_LARGE', `${request.frame.type} frame of ${bytes.length} bytes exceeds the broker's maxFrameBytes ${this.limits.maxFrameBytes}`));
    }
    this.pending.set(id, request);
    this.coalescer.beforeSend(this.socket!);
    this.socket!.send(bytes);
  }

  private pump(): void {
    for (const request of this.queue) {
      if (!this.canTransmit()) return;
      this.queue.delete(request);
      this.transmit(request);
    }
  }

  private expire(request: OutgoingRequest): void {
    const waited = this.queue.delete(request);
    const what = waited ? 'waited for a connection' : 'got no answer';
    this.settle(request, new TimeoutError(`${request.frame.type} ${what} within requestTimeoutMs ${this.options.requestTimeoutMs}`));
  }

  private settle(request: OutgoingRequest, outcome: unknown): void {
    if (request.settled) return;
    request.settled = true;
    clearTimeout(request.timer);
    if (outcome instanceof ActorMqError) return request.reject(outcome);
    request.onResult?.(outcome as never);
    request.resolve(outcome);
  }

  private onMessage(data: unknown): void {
    let frame: ReturnType<typeof parseServerFrame>;
    try {
      frame = parseServerFrame(data);
    } catch (error) {
      // The stream can no longer be trusted; a new socket starts clean.
      const socket = this.socket!;
      detach(socket);
      socket.close(1002, 'malformed frame');
      return this.onSocketLost(`dropped: ${(error as Error).message}`);
    }
    if (frame === null) return;
    if (frame.type === 'txnCheck') return this.checkRoutes.get(frame.group)?.(frame);
    if (frame.type === 'deliver' || frame.type === 'assignment' || frame.type === 'forget') return this.routes.get(routeKey(frame.group, frame.memberId))?.(frame);
    const id = frame.id;
    if (id === undefined) {
      this.connectionError = wireError((frame as ErrorFrame).code, (frame as ErrorFrame).message);
      return;
    }
    const request = this.pending.get(id);
    if (!request) return; // an answer to nothing we asked: nothing to deliver it to
    this.pending.delete(id);
    this.settle(request, frame.type === 'result' ? frame.body : wireError(frame.code, frame.message));
    this.pump();
  }

  private onSocketLost(how: string): void {
    detach(this.socket!);
    this.socket = null;
    const cause = this.connectionError;
    const detail = cause ? ` after ${cause.code}: ${cause.message}` : '';
    const lost = new ConnectionClosedError(`connection to ${this.url} ${how}${detail}`);
    for (const request of this.pending.values()) this.settle(request, lost);
    this.pending.clear();
    if (cause && !cause.retriable) this.fail(cause);
    else this.scheduleReconnect();
    for (const listener of this.lostListeners) listener();
  }

  private scheduleReconnect(): void {
    this.state = 'reconnecting';
    this.reconnectAttempts++;
    const delayMs = backoffMs(this.reconnectAttempts, this.options.reconnectBackoffMs, this.options.reconnectBackoffMaxMs);
    this.reconnectTimer = setTimeout(() => void this.reconnect(), delayMs);
  }

  private async reconnect(): Promise<void> {
    try {
      await this.establish();
    } catch (error) {
      if (this.state === 'closed') return;
      const failure = error as ActorMqError;
      if (failure.retriable) this.scheduleReconnect();
      else this.fail(failure);
    }
  }

  private fail(error: ActorMqError): void {
    this.state = 'failed';
    this.failure = error;
    this.rejectAll(error);
  }

  private rejectAll(error: ActorMqError): void {
    for (const request of this.queue) this.settle(request, error);
    this.queue.clear();
    for (const request of this.pending.values()) this.settle(request, error);
    this.pending.clear();
  }
}

function routeKey(group: string, memberId: string): string {
  return `${group}\u0000${memberId}`;
}

/** Sets a route; the returned function removes it unless another handler has taken the key since. */
function addRoute<Handler>(routes: Map<string, Handler>, key: string, handler: Handler): () => void {
  routes.set(key, handler);
  return () => {
    if (routes.get(key) === handler) routes.delete(key);
  };
}
