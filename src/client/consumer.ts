/**
 * A consumer-group member on the client's connection (docs/protocol.md,
 * "Consumer groups"): joins, receives `assignment` and `deliver` pushes,
 * runs the handler through the Dispatcher (ordering, hold rule, ack
 * timeout), acknowledges in batches, heartbeats, releases partitions an
 * assignment takes away, and leaves on close.
 *
 * Membership ends with the socket: when it drops, everything queued is
 * dropped, handlers still running finish unreported (the broker redelivers
 * their messages), and the consumer joins again, with a new member id, as
 * soon as the connection is back. The same happens when the broker no longer
 * knows the member (its session expired).
 */
import { ActorMqError, ConnectionClosedError } from '../protocol/errors.js';
import type { AssignmentFrame, DeliverFrame, ForgetFrame, PushFrame, TopicPartition } from '../protocol/frames.js';
import { AckBatcher, PendingAcks } from './ack-batcher.js';
import { backoffMs } from './backoff.js';
import type { Connection } from './connection.js';
import { Dispatcher, PartitionWork } from './dispatcher.js';
import { readDelivery } from './inbound.js';
import type { ResolvedConsumerOptions } from './options.js';
import type { MessageHandler } from './types.js';
import { invalid } from './validate.js';

/** Waits between join attempts after a retriable failure (the connection is usually reconnecting meanwhile). */
const rejoinBackoffMs = 100;
const rejoinBackoffMaxMs = 5_000;

export class Consumer {
  private member: string | undefined;
  private readonly works = new Map<string, PartitionWork>();
  /** The latest assignment, by partitionKey. */
  private assigned = new Set<string>();
  private dispatcher: Dispatcher | undefined;
  private readonly acks: AckBatcher;
  private heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  private unroute: (() => void) | undefined;
  private unlisten: (() => void) | undefined;
  /** A join loop is between its start and its return (its promise may settle later). */
  private joinLoopRunning = false;
  /** The join loop in progress (first join or rejoin), if any. */
  private joining: Promise<void> | undefined;
  private pause: { timer: ReturnType<typeof setTimeout>; wake: () => void } | undefined;
  private stopping = false;
  private closing: Promise<void> | undefined;

  /** Made by `client.consumer()`; `onClosed` lets the client forget it. */
  constructor(
    private readonly connection: Connection,
    private readonly options: ResolvedConsumerOptions,
    private readonly onClosed: (consumer: Consumer) => void,
  ) {
    // A quarter of the credit window: the broker refills the window in steps that large, so each delivery carries many messages.
    const maxPendingAcks = Math.max(1, Math.floor(options.maxInFlightMessages / 4));
    this.acks = new AckBatcher((topic, partition, ranges) => this.sendAcks(topic, partition, ranges), maxPendingAcks);
  }

  get group(): string {
    return this.options.group;
  }

  /** The member id while joined; undefined before `run()`, while rejoining and after `close()`. */
  get memberId(): string | undefined {
    return this.member;
  }

  /** The partitions this member owns now (in `key` ordering: every partition of the topics). */
  get assignment(): TopicPartition[] {
    return [...this.works.values()].filter((work) => !work.revoking).map(({ topic, partition }) => ({ topic, partition }));
  }

  /**
   * Joins the group and starts handing messages to `handler`; resolves once
   * the member has joined. Rejects with the broker's error (UNKNOWN_TOPIC,
   * INVALID_REQUEST for settings that differ from the group's) and then the
   * consumer is closed. Retriable failures (a reconnect) are retried.
   */
  async run(handler: MessageHandler): Promise<void> {
    if (typeof handler !== 'function') throw invalid('run() takes a handler function');
    if (this.stopping) throw new ConnectionClosedError('the consumer is closed');
    if (this.dispatcher) throw invalid('run() was already called on this consumer');
    this.dispatcher = new Dispatcher(handler, this.options, {
      succeeded: (work, offset) => this.acks.add(work.acks, offset),
      failed: (work, offset, error) => this.sendNack(work, offset, error),
      drained: (work) => {
        if (work.revoking) this.release(work);
      },
    });
    this.unlisten = this.connection.onDisconnect(() => this.membershipLost());
    const first = this.joinLoop();
    this.joining = first;
    try {
      await first;
    } catch (error) {
      await this.close();
      throw error;
    } finally {
      if (this.joining === first) this.joining = undefined;
    }
  }

  /**
   * Leaves the group gracefully: nothing new starts, queued messages are
   * dropped (the broker hands them to other members), running handlers
   * finish (or time out), their acks are sent, then the member leaves.
   */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.stopping = true;
    if (this.pause) {
      clearTimeout(this.pause.timer);
      this.pause.wake();
    }
    await this.joining?.catch(() => undefined);
    const dispatcher = this.dispatcher;
    if (dispatcher) {
      for (const work of this.works.values()) dispatcher.dropQueued(work);
      await dispatcher.idle();
      dispatcher.stop();
    }
    const memberId = this.member;
    if (memberId !== undefined) {
      this.acks.flush();
      await this.connection.request({ type: 'leaveGroup', group: this.options.group, memberId }).catch(() => undefined);
    }
    this.endMembership();
    this.unlisten?.();
    this.onClosed(this);
  }

  /** Joins until a member, retrying retriable failures with backoff. */
  private async joinLoop(): Promise<void> {
    this.joinLoopRunning = true;
    try {
      await this.joinUntilMember();
    } finally {
      this.joinLoopRunning = false; // synchronously on return: a loss after this needs a new loop
    }
  }

  private async joinUntilMember(): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      if (this.stopping) throw new ConnectionClosedError('the consumer was closed before it joined');
      try {
        await this.join();
        if (this.member !== undefined) return;
        // Joined, but the socket dropped before this continuation ran: join again.
      } catch (error) {
        if (!(error instanceof ActorMqError && error.retriable) || this.stopping) throw error;
        await this.sleep(backoffMs(attempt, rejoinBackoffMs, rejoinBackoffMaxMs));
      }
    }
  }

  private async join(): Promise<void> {
    const o = this.options;
    await this.connection.request(
      {
        type: 'joinGroup', group: o.group, topics: o.topics, ordering: o.ordering, from: o.from, retryBackoffMs: o.retryBackoffMs,
        maxDeliveries: o.maxDeliveries, sessionTimeoutMs: o.sessionTimeoutMs, maxInFlightMessages: o.maxInFlightMessages, maxInFlightBytes: o.maxInFlightBytes,
      },
      // Synchronously with the answer: the assignment push may be the very next frame.
      (body) => this.joined(body.memberId),
    );
  }

  private joined(memberId: string): void {
    this.member = memberId;
    this.unroute = this.connection.routePushes(this.options.group, memberId, (frame) => this.onPush(frame));
    const intervalMs = Math.max(1, Math.floor(this.options.sessionTimeoutMs / 3));
    this.heartbeatTimer = setInterval(() => this.heartbeat(memberId), intervalMs);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        this.pause = undefined;
        resolve();
      };
      this.pause = { timer: setTimeout(wake, ms), wake };
    });
  }

  /** The broker no longer has this member (socket dropped, session expired): drop its work and join again. */
  private membershipLost(): void {
    if (this.member === undefined) return; // not a member: a join in flight fails and retries by itself
    this.endMembership();
    // A running loop sees the lost membership and joins again; one that has just returned (its promise not yet
    // settled) does not, so a new loop starts.
    if (this.stopping || this.joinLoopRunning) return;
    const loop: Promise<void> = this.joinLoop().then(
      () => {
        if (this.joining === loop) this.joining = undefined;
      },
      (error: ActorMqError) => {
        if (this.joining === loop) this.joining = undefined;
        if (this.stopping) return;
        this.options.onError?.(error);
        void this.close();
      },
    );
    this.joining = loop;
  }

  private endMembership(): void {
    this.member = undefined;
    this.unroute?.();
    this.unroute = undefined;
    clearInterval(this.heartbeatTimer);
    this.acks.clear();
    for (const work of this.works.values()) {
      work.dropped = true;
      this.dispatcher?.dropQueued(work);
    }
    this.works.clear();
    this.assigned = new Set();
  }

  private onPush(frame: PushFrame): void {
    if (frame.type === 'assignment') this.onAssignment(assignedPartitions(frame));
    else if (frame.type === 'forget') this.onForget(frame);
    else this.onDeliver(frame);
  }

  private onAssignment(partitions: readonly TopicPartition[]): void {
    this.assigned = new Set(partitions.map(partitionKey));
    for (const work of this.works.values()) {
      if (!this.assigned.has(partitionKey(work))) {
        if (!work.revoking) this.revoke(work);
      } else if (this.options.ordering === 'key') {
        this.dispatcher!.releaseHolds(work);
      }
    }
    for (const { topic, partition } of partitions) {
      const key = partitionKey({ topic, partition });
      if (!this.works.has(key)) this.works.set(key, newWork(topic, partition));
    }
  }

  /** Retention deleted offsets waiting for redelivery: lanes held for them go on. */
  private onForget(frame: ForgetFrame): void {
    const work = this.works.get(partitionKey(frame));
    if (work) this.dispatcher!.forget(work, new Set(frame.offsets));
  }

  /** The partition went to another member: nothing new starts; once its running handlers are done, it is released. */
  private revoke(work: PartitionWork): void {
    work.revoking = true;
    this.dispatcher!.dropQueued(work);
    if (work.running === 0) this.release(work);
  }

  private release(work: PartitionWork): void {
    const key = partitionKey(work);
    if (this.works.get(key) !== work || this.member === undefined) return;
    this.works.delete(key);
    this.acks.flushPartition(work.acks); // before the release, so the broker counts them as done
    const memberId = this.member;
    this.connection.request({ type: 'release', group: this.options.group, memberId, topic: work.topic, partition: work.partition })
      .catch((error: ActorMqError) => this.onRequestError(memberId, error));
    if (this.assigned.has(key)) this.works.set(key, newWork(work.topic, work.partition)); // given back meanwhile
  }

  private onDeliver(frame: DeliverFrame): void {
    const work = this.works.get(partitionKey(frame));
    if (!work || work.revoking || this.stopping) return; // not ours (any more): the broker takes it back on release
    const dispatcher = this.dispatcher!;
    const { topic, partition, deliveryCount } = frame;
    readDelivery(frame.records, frame.ranges, {
      record: (offset, timestamp, key, value, headers) => {
        if (!work.dropped && !this.stopping) dispatcher.accept(work, { topic, partition, offset, key, value, headers, timestamp, deliveryCount });
      },
      skip: (offset) => this.acks.add(work.acks, offset),
      broken: (offset, reason) => this.sendNack(work, offset, reason),
    });
  }

  private sendAcks(topic: string, partition: number, ranges: number[]): void {
    const memberId = this.member;
    if (memberId === undefined) return;
    this.connection.request({ type: 'ack', group: this.options.group, memberId, topic, partition, ranges })
      .catch((error: ActorMqError) => this.onRequestError(memberId, error));
  }

  private sendNack(work: PartitionWork, offset: number, error: string): void {
    const memberId = this.member;
    if (memberId === undefined) return;
    this.connection.request({ type: 'nack', group: this.options.group, memberId, topic: work.topic, partition: work.partition, offset, error })
      .catch((failure: ActorMqError) => this.onRequestError(memberId, failure));
  }

  private heartbeat(memberId: string): void {
    this.connection.request({ type: 'heartbeat', group: this.options.group, memberId })
      .catch((error: ActorMqError) => this.onRequestError(memberId, error));
  }

  /**
   * A failed ack, nack, release or heartbeat needs no retry: the broker
   * redelivers whatever it did not record. Only a broker that no longer
   * knows the member matters: the membership is over.
   */
  private onRequestError(memberId: string, error: ActorMqError): void {
    if ((error.code === 'UNKNOWN_MEMBER' || error.code === 'UNKNOWN_GROUP') && memberId === this.member) this.membershipLost();
  }
}

function newWork(topic: string, partition: number): PartitionWork {
  return new PartitionWork(topic, partition, new PendingAcks(topic, partition));
}

function partitionKey(tp: TopicPartition): string {
  return `${tp.topic}/${tp.partition}`;
}

/** The partitions an assignment push gives: those listed and every partition of the topics it names whole (key ordering). */
function assignedPartitions(frame: AssignmentFrame): TopicPartition[] {
  const partitions = [...frame.partitions];
  for (const { name, partitions: count } of frame.topics) for (let partition = 0; partition < count; partition++) partitions.push({ topic: name, partition });
  return partitions;
}
