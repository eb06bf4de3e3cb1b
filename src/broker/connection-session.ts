/**
 * Runtime of one WebSocket connection: runs `connectionMachine`, decodes and
 * validates each frame, serves `hello` while handshaking and requests once
 * open. A bad frame is answered with an error frame; where the connection
 * cannot continue (undecodable frame, bad hello, text frame, oversized frame)
 * the machine moves to closing and the socket is closed with the close code
 * from the error table. Other connections are never affected. While more
 * than maxUnsentBytes wait for the peer to read, its requests are held and
 * its group members get no deliveries.
 */
import { tell } from './actor-environment.js';
import type { WebSocket } from 'ws';
import { createActor, type Actor } from 'xstate';
import { connectionMachine } from '../../machines/connection.machine.js';
import { decodeFrame, encodeFrame, encodeHeadBefore } from '../protocol/codec.js';
import { roomForLists, widestInteger } from '../protocol/answer-room.js';
import { ActorMqError, errorTable, type ErrorCode } from '../protocol/errors.js';
import type { ErrorFrame, HelloFrame, RequestFrame, WelcomeBody } from '../protocol/frames.js';
import { protocolVersion, type BrokerLimits } from '../protocol/limits.js';
import { validateFrame } from '../protocol/validate-frame.js';
import { WriteCoalescer } from '../protocol/write-coalescing.js';
import type { Logger } from '../logger.js';
import type { ActorView, DeliverFrame, PushFrame, TxnCheckFrame } from '../protocol/frames.js';
import type { InspectFilter } from '../inspect/inspector.js';
import { requestHandlers, type BrokerServices, type RequestContext } from './request-handlers.js';

/** A socket that has not completed its close handshake by then is terminated. */
const closeTimeoutMs = 5_000;
/** Inspection updates wait (coalesced per actor) while the socket has this much unsent. */
const maxInspectionBufferedBytes = 1024 * 1024;
/** How often a backed-up socket's unsent bytes are looked at again (ws has no public drain event). */
const drainRecheckMs = 10;

export class ConnectionSession implements RequestContext {
  readonly actor: Actor<typeof connectionMachine>;
  private inFlightRequests = 0;
  /** The most bytes the answers of the requests in flight may still add to what waits to be sent (see answerBytesBound). */
  private answerBytesReserved = 0;
  private stopWatching: (() => void) | undefined;
  /** Latest unsent view per live actor: a slow inspector sees fewer intermediate states, never unbounded memory. */
  private readonly pendingViews = new Map<string, ActorView>();
  /** Unsent views of ended actors, oldest first, no more than the inspector keeps: ended actors come and go without bound. */
  private readonly pendingEndedViews = new Map<string, ActorView>();
  private flushScheduled = false;
  private readonly coalescer = new WriteCoalescer();
  /**
   * Frames read while the peer had more than maxUnsentBytes unread, handled
   * in order once it reads. The socket is paused meanwhile, so these are at
   * most what ws had already received: one socket read, or one frame.
   */
  private readonly heldFrames: Array<{ data: Buffer; isBinary: boolean }> = [];
  /** Called once the peer has read enough that this connection is no longer sendingBehind. */
  private readonly caughtUpWaiters = new Set<() => void>();
  private drainPoll: ReturnType<typeof setTimeout> | undefined;

  constructor(
    readonly connectionId: string,
    private readonly socket: WebSocket,
    private readonly services: BrokerServices,
    private readonly logger: Logger,
  ) {
    const machine = connectionMachine.provide({
      actions: {
        closeSocket: ({ context }) => this.closeSocket(context.closeCode ?? 1000, (context.closeReason ?? '').slice(0, 120)),
        terminateSocket: () => this.socket.terminate(),
      },
    });
    this.actor = createActor(machine, {
      id: `connection/${connectionId}`,
      input: { connectionId, helloTimeoutMs: services.options.limits.helloTimeoutMs, closeTimeoutMs },
      clock: services.environment.timers,
    });
    services.inspector.observe('connection', this.actor, (c: { connectionId: string; clientId: string | undefined; closeCode: number | undefined; closeReason: string | undefined }) => ({
      connectionId: c.connectionId, clientId: c.clientId, closeCode: c.closeCode, closeReason: c.closeReason,
    }));
    this.actor.start();
    socket.on('message', (data, isBinary) => this.onMessage(data as Buffer, isBinary));
    socket.on('close', () => {
      tell(this.actor, { type: 'socket.closed' });
      this.heldFrames.length = 0;
      this.caughtUpWaiters.clear();
      clearTimeout(this.drainPoll);
      this.unwatch();
      services.groups.connectionClosed(connectionId);
      services.transactions.connectionClosed(connectionId);
    });
    socket.on('error', (error) => this.logger.debug('socket error', { connection: connectionId, error }));
    this.answerOversizedFrames();
  }

  get clientId(): string {
    return this.actor.getSnapshot().context.clientId ?? '';
  }

  /** Deliveries and assignment changes for members on this connection. */
  push(frame: PushFrame | TxnCheckFrame): void {
    this.send(frame);
  }

  watch(filter: InspectFilter): { actors: ActorView[]; total: number } {
    this.unwatch();
    this.stopWatching = this.services.inspector.subscribe(filter, (view) => this.queueView(view));
    const { inspector, options } = this.services;
    return inspector.listUpTo(filter, options.limits.maxInspectListed, roomForLists(options.limits.maxFrameBytes, { actors: [], total: widestInteger }, 1));
  }

  unwatch(): void {
    this.stopWatching?.();
    this.stopWatching = undefined;
    this.pendingViews.clear();
    this.pendingEndedViews.clear();
  }

  private queueView(view: ActorView): void {
    if (view.status === 'active') {
      this.pendingEndedViews.delete(view.id); // a new actor under the id of one that ended
      this.pendingViews.set(view.id, view);
    } else {
      this.queueEndedView(view);
    }
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flushViews());
  }

  /** A watcher this far behind would not be shown the oldest of them by a fresh inspect either. */
  private queueEndedView(view: ActorView): void {
    this.pendingViews.delete(view.id);
    this.pendingEndedViews.delete(view.id);
    this.pendingEndedViews.set(view.id, view);
    if (this.pendingEndedViews.size > this.services.inspector.limits.maxEndedActors) this.pendingEndedViews.delete(this.pendingEndedViews.keys().next().value!);
  }

  private flushViews(): void {
    this.flushScheduled = false;
    const pending = this.pendingViews.size + this.pendingEndedViews.size;
    if (this.socket.bufferedAmount > maxInspectionBufferedBytes) {
      if (pending > 0) setTimeout(() => this.flushViews(), drainRecheckMs);
      this.flushScheduled = pending > 0;
      return;
    }
    for (const actor of this.pendingViews.values()) this.send({ type: 'actor', actor });
    for (const actor of this.pendingEndedViews.values()) this.send({ type: 'actor', actor });
    this.pendingViews.clear();
    this.pendingEndedViews.clear();
  }

  get state(): string {
    return String(this.actor.getSnapshot().value);
  }

  /** Ends the connection from the broker side (shutdown): error frame, then close. */
  shutdown(): void {
    this.fail(undefined, 'SHUTTING_DOWN', 'broker is shutting down');
  }

  /** True when every request this connection started has been answered. */
  get idle(): boolean {
    return this.inFlightRequests === 0;
  }

  /**
   * More than maxUnsentBytes of answers and pushes wait for the peer to read,
   * counting the answers still to come at their largest: requests read
   * together are all started before any of them is answered.
   */
  get sendingBehind(): boolean {
    return this.socket.bufferedAmount + this.answerBytesReserved > this.services.options.limits.maxUnsentBytes;
  }

  /** Polls the peer's reading: ws has no public event for its buffered amount going down. */
  whenCaughtUp(wake: () => void): void {
    this.caughtUpWaiters.add(wake);
    this.drainPoll ??= setTimeout(() => this.checkCaughtUp(), drainRecheckMs);
  }

  private checkCaughtUp(): void {
    this.drainPoll = undefined;
    if (this.socket.readyState !== this.socket.OPEN) return this.caughtUpWaiters.clear();
    if (this.caughtUpWaiters.size > 0 && this.sendingBehind) this.drainPoll = setTimeout(() => this.checkCaughtUp(), drainRecheckMs);
    else this.wakeIfCaughtUp();
  }

  private wakeIfCaughtUp(): void {
    if (this.caughtUpWaiters.size === 0 || this.sendingBehind || this.socket.readyState !== this.socket.OPEN) return;
    const waiters = [...this.caughtUpWaiters];
    this.caughtUpWaiters.clear();
    for (const wake of waiters) wake();
  }

  /**
   * Held frames are not served any more, and reading goes on: the peer's
   * close frame comes behind them, and a paused socket would end the
   * handshake only at the close timeout.
   */
  private closeSocket(code: number, reason: string): void {
    this.heldFrames.length = 0;
    this.socket.resume();
    this.socket.close(code, reason);
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    if (this.socket.readyState !== this.socket.OPEN) return; // closing: nothing more is served
    if (this.heldFrames.length === 0 && !this.sendingBehind) return this.onFrame(data, isBinary);
    this.heldFrames.push({ data, isBinary });
    if (this.heldFrames.length > 1) return;
    // Stops reading the peer's requests until what waits to be sent to it is back under maxUnsentBytes.
    this.socket.pause();
    this.whenCaughtUp(this.handleHeldFrames);
  }

  /** Handles held frames in order while the peer keeps up; reads again once none are left. */
  private readonly handleHeldFrames = (): void => {
    while (this.heldFrames.length > 0 && !this.sendingBehind) {
      const { data, isBinary } = this.heldFrames.shift()!;
      this.onFrame(data, isBinary);
    }
    if (this.heldFrames.length > 0) return this.whenCaughtUp(this.handleHeldFrames);
    this.socket.resume();
  };

  private onFrame(data: Buffer, isBinary: boolean): void {
    const state = this.actor.getSnapshot().value;
    if (state === 'closing' || state === 'closed') return;
    if (!isBinary) return this.fail(undefined, 'TEXT_FRAME', 'text frames are not accepted; send binary msgpack frames');
    let decoded: unknown;
    try {
      decoded = decodeFrame(data);
    } catch (error) {
      return this.fail(undefined, 'MALFORMED_FRAME', `frame is not valid msgpack: ${(error as Error).message}`);
    }
    const check = validateFrame(decoded);
    if (!check.ok) {
      // Without a request id there is nothing to answer: the stream cannot be trusted.
      if (check.id === undefined || state === 'handshaking') return this.fail(check.id, check.code, check.message);
      return this.sendError(check.id, check.code, check.message);
    }
    if (state === 'handshaking') return this.onHandshakeFrame(check.frame);
    this.onRequest(check.frame);
  }

  private onHandshakeFrame(frame: RequestFrame): void {
    if (frame.type !== 'hello') return this.fail(frame.id, 'HELLO_REQUIRED', `expected hello, got ${frame.type}`);
    const rejection = this.checkHello(frame);
    if (rejection) return this.fail(frame.id, rejection.code, rejection.message);
    const { limits, brokerId } = this.services.options;
    const body: WelcomeBody = {
      version: protocolVersion,
      brokerId,
      limits: {
        maxFrameBytes: limits.maxFrameBytes,
        maxBatchBytes: limits.maxBatchBytes,
        maxRecordsPerBatch: limits.maxRecordsPerBatch,
        maxInFlightRequests: limits.maxInFlightRequests,
        maxEntriesPerRequest: limits.maxEntriesPerRequest,
      },
    };
    tell(this.actor, { type: 'hello.accepted', clientId: frame.clientId });
    this.send({ type: 'result', id: frame.id, body });
  }

  private checkHello(frame: HelloFrame): { code: ErrorCode; message: string } | undefined {
    const { token, limits } = this.services.options;
    if (frame.version !== protocolVersion) return { code: 'UNSUPPORTED_VERSION', message: `protocol version ${frame.version} is not supported; this broker speaks ${protocolVersion}` };
    if (frame.clientId.length === 0 || frame.clientId.length > limits.maxNameLength) {
      return { code: 'MALFORMED_FRAME', message: `clientId must be 1-${limits.maxNameLength} characters` };
    }
    if (token !== undefined && frame.token !== token) return { code: 'NOT_AUTHORIZED', message: 'token missing or not accepted' };
    return undefined;
  }

  private onRequest(frame: RequestFrame): void {
    if (frame.type === 'hello') return this.sendError(frame.id, 'INVALID_REQUEST', 'hello already completed');
    if (this.inFlightRequests >= this.services.options.limits.maxInFlightRequests) {
      return this.sendError(frame.id, 'TOO_MANY_REQUESTS', `more than maxInFlightRequests ${this.services.options.limits.maxInFlightRequests} unanswered`);
    }
    this.inFlightRequests++;
    const answerBytes = answerBytesBound(frame, this.services.options.limits);
    this.answerBytesReserved += answerBytes;
    const handler = requestHandlers[frame.type] as (f: RequestFrame, s: BrokerServices, c: RequestContext) => Promise<unknown>;
    let answer: Promise<unknown>;
    try {
      answer = handler(frame, this.services, this);
    } catch (error) {
      answer = Promise.reject(error);
    }
    answer.then(
      (body) => this.send({ type: 'result', id: frame.id, body }),
      (error: unknown) => this.answerFailure(frame, error),
    ).finally(() => {
      this.inFlightRequests--;
      this.answerBytesReserved -= answerBytes;
      if (answerBytes > 0) this.wakeIfCaughtUp(); // the answer is out: held frames need not wait for the next poll
    });
  }

  private answerFailure(frame: RequestFrame, error: unknown): void {
    if (error instanceof ActorMqError) return this.sendError(frame.id, error.code, error.message);
    this.logger.error('request failed', { connection: this.connectionId, request: frame.type, error });
    this.sendError(frame.id, 'INTERNAL_ERROR', 'internal error; see broker log');
  }

  /** ws closes an oversized frame with 1009 itself; answer first, while the socket is still open. */
  private answerOversizedFrames(): void {
    const receiver = (this.socket as unknown as { _receiver?: { prependListener(event: 'error', fn: (error: { code?: string }) => void): void } })._receiver;
    receiver?.prependListener('error', (error) => {
      if (error.code !== 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') return;
      this.send({ type: 'error', code: 'FRAME_TOO_LARGE', message: `frame exceeds maxFrameBytes ${this.services.options.limits.maxFrameBytes}` });
      tell(this.actor, { type: 'connection.close', code: 1009, reason: 'frame too large' });
    });
  }

  private fail(id: number | undefined, code: ErrorCode, message: string): void {
    this.sendError(id, code, message);
    tell(this.actor, { type: 'connection.close', code: errorTable[code].closeCode ?? 1002, reason: code });
  }

  private sendError(id: number | undefined, code: ErrorCode, message: string): void {
    const frame: ErrorFrame = id === undefined ? { type: 'error', code, message } : { type: 'error', id, code, message };
    this.send(frame);
  }

  private send(frame: object): void {
    if (this.socket.readyState !== this.socket.OPEN) return;
    this.coalescer.beforeSend(this.socket);
    if (!isDeliverFrame(frame)) return this.socket.send(encodeFrame(frame));
    // One message in two fragments: the records go out as they were read, without a copy into a frame buffer.
    this.socket.send(encodeHeadBefore(frame), { binary: true, fin: false });
    this.socket.send(frame.records, { binary: true, fin: true });
  }
}

/**
 * The most bytes a request's answer may take, for the requests answered
 * with far more than they carry (the others: 0): a fetch up to its maxBytes,
 * but at least one whole batch; lists and descriptions grow with the
 * broker's state and are cut to fit one frame.
 */
function answerBytesBound(frame: RequestFrame, limits: BrokerLimits): number {
  switch (frame.type) {
    case 'fetch':
      return Math.max(Math.min(frame.maxBytes, limits.maxFetchBytes), limits.maxBatchBytes);
    case 'inspect': case 'listTopics': case 'describeTopic': case 'listGroups': case 'describeGroup': case 'listTransactions':
      return limits.maxFrameBytes;
    default:
      return 0;
  }
}

function isDeliverFrame(frame: object): frame is DeliverFrame {
  return (frame as { type?: unknown }).type === 'deliver';
}
