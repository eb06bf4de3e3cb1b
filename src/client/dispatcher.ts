/**
 * Runs a consumer's handler: decides which delivered message may start,
 * times each hand-over out after `ackTimeoutMs`, and reports outcomes.
 *
 * Ordering. `partition`: one lane per partition, one handler at a time in
 * arrival (= offset) order, partitions concurrently. `key`: one lane per key,
 * keyless messages start at once. `none`: every message starts at once (the
 * broker's credit window bounds how many are delivered).
 *
 * Hold rule. When a message of a lane fails (or times out) and may be
 * delivered again (deliveryCount < maxDeliveries), the lane holds: later
 * messages wait until that offset comes back and succeeds. When it may not
 * (the broker moves it to the dead-letter topic), the lane moves on.
 *
 * Timeouts. A tick timer divides `ackTimeoutMs` into `ticksPerTimeout`
 * periods and counts them; each hand-over records the tick it started in,
 * and fails once `ticksPerTimeout + 1` ticks have passed: after at least
 * ackTimeoutMs, at most one period later. Running hand-overs form a list in
 * start order, so each tick looks only at the oldest ones. No clock is read
 * and no timer is set per message.
 */
import { Fifo } from './fifo.js';
import type { PendingAcks } from './ack-batcher.js';
import type { ConsumerMessage, MessageHandler } from './types.js';
import type { Ordering } from '../protocol/frames.js';

/** A lane: messages that must be handled one at a time, in order. */
class Lane {
  queue = new Fifo<Delivery>();
  running: Delivery | undefined;
  /** The failed offset whose successful redelivery the queue waits for; -1 when not held. */
  hold = -1;
  /** The redelivery of `hold`, when it has arrived. */
  retry: Delivery | undefined;

  constructor(readonly key: string) {}

  next(): Delivery | undefined {
    if (this.retry) {
      const retry = this.retry;
      this.retry = undefined;
      return retry;
    }
    return this.hold < 0 ? this.queue.shift() : undefined;
  }

  get idle(): boolean {
    return this.running === undefined && this.retry === undefined && this.hold < 0 && this.queue.length === 0;
  }
}

/** What the consumer holds about one assigned partition. */
export class PartitionWork {
  readonly lane = new Lane('');
  readonly keyLanes = new Map<string, Lane>();
  /** Handlers of this partition's messages that are running and not timed out. */
  running = 0;
  /** Taken away by an assignment: nothing new starts; released once `running` is 0. */
  revoking = false;
  /** The membership ended: outcomes of its running handlers are no longer reported. */
  dropped = false;

  constructor(readonly topic: string, readonly partition: number, readonly acks: PendingAcks) {}
}

const queued = 0;
const running = 1;
const finished = 2;

class Delivery {
  state = queued;
  startTick = 0;
  /** Neighbours in the running list (start order). */
  previous: Delivery | undefined;
  next: Delivery | undefined;

  constructor(readonly message: ConsumerMessage, readonly work: PartitionWork, readonly lane: Lane | undefined) {}
}

/** Hand-overs running, oldest first; O(1) insert and removal. */
class RunningList {
  head: Delivery | undefined;
  private tail: Delivery | undefined;
  size = 0;

  append(delivery: Delivery): void {
    delivery.previous = this.tail;
    if (this.tail) this.tail.next = delivery;
    else this.head = delivery;
    this.tail = delivery;
    this.size++;
  }

  remove(delivery: Delivery): void {
    if (delivery.previous) delivery.previous.next = delivery.next;
    else this.head = delivery.next;
    if (delivery.next) delivery.next.previous = delivery.previous;
    else this.tail = delivery.previous;
    delivery.previous = delivery.next = undefined;
    this.size--;
  }
}

/** Timeout precision: a hand-over fails between ackTimeoutMs and ackTimeoutMs × (1 + 1/ticksPerTimeout) after it started. */
const ticksPerTimeout = 8;

export interface DispatchSettings {
  ordering: Ordering;
  ackTimeoutMs: number;
  maxDeliveries: number;
}

export interface DispatchOutcomes {
  succeeded(work: PartitionWork, offset: number): void;
  failed(work: PartitionWork, offset: number, error: string): void;
  /** The partition has no running handler any more (it may be revoking). */
  drained(work: PartitionWork): void;
}

export class Dispatcher {
  private readonly running = new RunningList();
  private tick = 0;
  private readonly ticker: ReturnType<typeof setInterval>;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly handler: MessageHandler,
    private readonly settings: DispatchSettings,
    private readonly outcomes: DispatchOutcomes,
  ) {
    this.ticker = setInterval(() => this.onTick(), Math.max(1, Math.ceil(settings.ackTimeoutMs / ticksPerTimeout)));
  }

  /** Takes a delivered message of `work`: starts it now or queues it behind its lane. */
  accept(work: PartitionWork, message: ConsumerMessage): void {
    const lane = this.laneOf(work, message.key);
    const delivery = new Delivery(message, work, lane);
    if (!lane) return this.start(delivery);
    if (message.offset === lane.hold) lane.retry = delivery;
    else lane.queue.push(delivery);
    this.pump(lane);
  }

  /** Drops every queued message of `work` (never handed to a handler); running ones go on. */
  dropQueued(work: PartitionWork): void {
    clearLane(work.lane);
    for (const lane of work.keyLanes.values()) clearLane(lane);
    work.keyLanes.clear();
  }

  /**
   * Key mode after a rebalance: a held key whose redelivery may now go to
   * another member must not wait for it. A key with later messages queued
   * here cannot move (the broker keeps a key with the member while any of its
   * messages is out), so its redelivery comes back here and the hold stays.
   */
  releaseHolds(work: PartitionWork): void {
    for (const lane of work.keyLanes.values()) {
      if (lane.queue.length > 0) continue;
      lane.hold = -1;
      this.pump(lane);
    }
  }

  /** The broker forgot these offsets (retention deleted them before their redelivery): lanes held for one go on. */
  forget(work: PartitionWork, offsets: ReadonlySet<number>): void {
    for (const lane of [work.lane, ...work.keyLanes.values()]) {
      if (!offsets.has(lane.hold)) continue;
      lane.hold = -1;
      this.pump(lane);
    }
  }

  get runningCount(): number {
    return this.running.size;
  }

  /** Resolves once no handler runs (each finishes or times out). */
  idle(): Promise<void> {
    if (this.running.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  stop(): void {
    clearInterval(this.ticker);
  }

  private laneOf(work: PartitionWork, key: string | Uint8Array | null): Lane | undefined {
    if (this.settings.ordering === 'partition') return work.lane;
    if (this.settings.ordering === 'none' || key === null) return undefined;
    const name = laneName(key);
    let lane = work.keyLanes.get(name);
    if (!lane) {
      lane = new Lane(name);
      work.keyLanes.set(name, lane);
    }
    return lane;
  }

  private pump(lane: Lane): void {
    while (lane.running === undefined) {
      const next = lane.next();
      if (!next) return;
      this.start(next);
    }
  }

  /** Hands one message to the handler. A synchronous outcome is settled here and the caller's pump loop continues. */
  private start(delivery: Delivery): void {
    delivery.state = running;
    delivery.startTick = this.tick;
    if (delivery.lane) delivery.lane.running = delivery;
    delivery.work.running++;
    this.running.append(delivery);
    let result: unknown;
    try {
      result = this.handler(delivery.message);
    } catch (error) {
      return this.settle(delivery, describe(error));
    }
    if (isPromiseLike(result)) {
      result.then(
        () => this.finish(delivery, undefined),
        (error: unknown) => this.finish(delivery, describe(error)),
      );
    } else {
      this.settle(delivery, undefined);
    }
  }

  /** An asynchronous outcome; ignored when the hand-over timed out or was dropped meanwhile. */
  private finish(delivery: Delivery, error: string | undefined): void {
    if (delivery.state !== running) return;
    this.settle(delivery, error);
    if (delivery.lane) this.pump(delivery.lane);
  }

  /** Records the outcome of a running hand-over; `error` undefined means success. */
  private settle(delivery: Delivery, error: string | undefined): void {
    delivery.state = finished;
    this.running.remove(delivery);
    const { work, lane, message } = delivery;
    work.running--;
    if (lane) {
      if (lane.running === delivery) lane.running = undefined;
      if (error === undefined) {
        if (lane.hold === message.offset) lane.hold = -1;
      } else {
        lane.hold = message.deliveryCount < this.settings.maxDeliveries ? message.offset : -1;
      }
      if (lane !== work.lane && lane.idle) work.keyLanes.delete(lane.key);
    }
    if (!work.dropped) {
      if (error === undefined) this.outcomes.succeeded(work, message.offset);
      else this.outcomes.failed(work, message.offset, error);
      if (work.running === 0) this.outcomes.drained(work);
    }
    if (this.running.size === 0) this.wakeIdleWaiters();
  }

  /** Fails every hand-over that started `ticksPerTimeout + 1` ticks ago or earlier (the oldest are first in the list). */
  private onTick(): void {
    this.tick++;
    for (let delivery = this.running.head; delivery && this.tick - delivery.startTick > ticksPerTimeout; delivery = this.running.head) {
      this.settle(delivery, 'ack timeout');
      if (delivery.lane) this.pump(delivery.lane);
    }
  }

  private wakeIdleWaiters(): void {
    if (this.idleWaiters.length === 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }
}

function clearLane(lane: Lane): void {
  lane.queue = new Fifo();
  lane.retry = undefined;
  lane.hold = -1;
}

/** Lane names keep string and byte keys apart. */
function laneName(key: string | Uint8Array): string {
  if (typeof key === 'string') return `s${key}`;
  let name = 'b';
  for (let i = 0; i < key.length; i++) name += String.fromCharCode(key[i]!);
  return name;
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

/** The handler's failure as the nack's error text (the broker keeps 1 000 characters of it in dlq.error). */
function describe(error: unknown): string {
  const text = error instanceof Error ? error.message || error.name : String(error);
  return text.slice(0, 1_000);
}
