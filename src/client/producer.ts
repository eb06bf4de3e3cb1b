/**
 * The producer: `send` and `sendBatch` accept messages into per-partition
 * batches (accumulator.ts), the sender ships them (sender.ts), and each call's
 * one promise resolves once every message of it is durable on the broker.
 *
 * Backpressure: accepted but unacknowledged messages may take at most
 * `maxBufferedBytes` (one call may overshoot it); further calls wait in order
 * until acknowledgements free room. Calls to a topic whose partition count is
 * not known yet wait for one describeTopic.
 */
import { ConnectionClosedError, type ActorMqError } from '../protocol/errors.js';
import { Accumulator } from './accumulator.js';
import type { Connection } from './connection.js';
import { Fifo } from './fifo.js';
import type { Metadata } from './metadata.js';
import type { ResolvedProducerOptions } from './options.js';
import { TopicState, type PartitionState } from './partition-state.js';
import type { ProducerBatch } from './producer-batch.js';
import { SendCall } from './send-call.js';
import { Sender } from './sender.js';
import type { Message, SendResult } from './types.js';
import { checkTopicName, invalid } from './validate.js';

export class Producer {
  private readonly topics = new Map<string, TopicState>();
  private readonly accumulator: Accumulator;
  private readonly sender: Sender;
  /** Calls not yet accepted (no buffer room, or no partition count yet), in call order. */
  private readonly waiting = new Fifo<SendCall>();
  /** Calls without an outcome yet, for flush. */
  private readonly incomplete = new Set<SendCall>();
  private bufferedBytes = 0;
  private lookingUp = false;
  /** flush() calls in progress: while any is, accepted messages are sent without lingering. */
  private flushing = 0;
  private closing: Promise<void> | undefined;

  /** Made by `client.producer()`; `onClosed` lets the client forget it. */
  constructor(
    private readonly connection: Connection,
    private readonly metadata: Metadata,
    private readonly options: ResolvedProducerOptions,
    private readonly onClosed: (producer: Producer) => void,
  ) {
    const active = new Set<PartitionState>();
    this.accumulator = new Accumulator(active);
    this.sender = new Sender(connection, metadata, options, active, (batch) => this.onBatchDone(batch));
  }

  /** Sends one message; resolves with where it was stored once the broker has it durably. */
  send(topic: string, message: Message): Promise<SendResult> {
    return this.submit(topic, [message], true) as Promise<SendResult>;
  }

  /** Sends messages; resolves with their results in the same order, or rejects if any of them failed. */
  sendBatch(topic: string, messages: readonly Message[]): Promise<SendResult[]> {
    return this.submit(topic, messages, false) as Promise<SendResult[]>;
  }

  /** Sends everything buffered now, without lingering; resolves when every call made before has its outcome. */
  async flush(): Promise<void> {
    const outcomes = Array.from(this.incomplete, (call) => call.promise);
    this.flushing++;
    this.sender.sealAll();
    try {
      await Promise.allSettled(outcomes);
    } finally {
      this.flushing--;
    }
  }

  /** Flushes, then refuses further sends with ConnectionClosedError. */
  close(): Promise<void> {
    this.closing ??= this.flush().then(() => {
      this.sender.stop();
      this.onClosed(this);
    });
    return this.closing;
  }

  private submit(topic: string, messages: readonly Message[], single: boolean): Promise<unknown> {
    if (this.closing) return Promise.reject(new ConnectionClosedError('the producer is closed'));
    try {
      checkTopicName(topic);
      if (!Array.isArray(messages)) throw invalid('sendBatch takes an array of messages');
    } catch (error) {
      return Promise.reject(error);
    }
    if (messages.length === 0) return Promise.resolve([]);
    const call = new SendCall(topic, messages, single, this.incomplete);
    const state = this.topics.get(topic);
    if (state !== undefined && this.waiting.length === 0 && this.bufferedBytes < this.options.maxBufferedBytes) this.accept(call, state);
    else {
      this.waiting.push(call);
      this.acceptWaiting();
    }
    return call.promise;
  }

  private accept(call: SendCall, topic: TopicState): void {
    const limits = this.connection.limits;
    const batchLimits = { maxBatchBytes: Math.min(this.options.maxBatchBytes, limits.maxBatchBytes), maxRecordsPerBatch: limits.maxRecordsPerBatch };
    try {
      this.bufferedBytes += this.accumulator.add(call, topic, batchLimits, Date.now());
    } catch (error) {
      return call.fail(error as ActorMqError);
    }
    if (this.flushing > 0) this.sender.sealAll();
    else this.sender.scheduleDrain();
  }

  private acceptWaiting(): void {
    for (let call = this.waiting.peek(); call; call = this.waiting.peek()) {
      if (call.settled) {
        this.waiting.shift();
        continue;
      }
      const topic = this.topics.get(call.topic);
      if (topic === undefined) return this.lookUp(call.topic);
      if (this.bufferedBytes >= this.options.maxBufferedBytes) return;
      this.waiting.shift();
      this.accept(call, topic);
    }
  }

  /** One describeTopic at a time: the head of the queue waits for it, and calls behind it keep their order. */
  private lookUp(topic: string): void {
    if (this.lookingUp) return;
    this.lookingUp = true;
    this.metadata.partitionCount(topic, Date.now() + this.options.deliveryTimeoutMs).then(
      (count) => {
        if (!this.topics.has(topic)) this.topics.set(topic, new TopicState(topic, count));
      },
      (error: ActorMqError) => {
        for (const call of this.waiting) if (call.topic === topic) call.fail(error);
      },
    ).finally(() => {
      this.lookingUp = false;
      this.acceptWaiting();
    });
  }

  private onBatchDone(batch: ProducerBatch): void {
    this.bufferedBytes -= batch.bytes;
    if (this.waiting.length > 0) this.acceptWaiting();
  }
}
