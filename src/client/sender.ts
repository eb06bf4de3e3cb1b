/**
 * Moves sealed batches to the broker: picks what each partition may send
 * now, assigns sequence numbers, packs every ready partition of a drain into
 * as few produce frames as the frame limits allow, and handles the answers.
 *
 * Retries: a batch that fails with a retriable error (or whose request timed
 * out, or whose connection dropped) is resent with the same bytes, hence the
 * same sequence, after an exponential backoff, once every other batch of its
 * partition has its answer; then the partition's failed batches go again in
 * sequence order, so the broker either appends them in order or recognises
 * the ones it already has. A batch fails for good on a non-retriable error or
 * when a retry would start after its delivery deadline. The batches
 * pipelined behind it on the partition fail with it (they cannot be stored
 * in order without it); once the batches ahead of it are done, the
 * partition starts a fresh sequence under a new producer id.
 */
import { defaultBrokerLimits } from '../protocol/limits.js';
import { ActorMqError, TimeoutError } from '../protocol/errors.js';
import type { ProduceBody, ProduceEntry } from '../protocol/frames.js';
import { encodeRecordBatch } from '../protocol/record-batch.js';
import { backoffMs } from './backoff.js';
import type { Connection } from './connection.js';
import type { Metadata } from './metadata.js';
import type { ResolvedProducerOptions } from './options.js';
import type { PartitionState } from './partition-state.js';
import type { ProducerBatch } from './producer-batch.js';
import { anonymousIdentity, IdentitySource, type ProducerIdentity } from './producer-identity.js';
import { wireError } from './server-frame.js';

/** msgpack envelope of a produce frame besides its entries: map, type, id, array header. */
const frameEnvelopeBytes = 64;
/** Brokers whose welcome does not carry maxEntriesPerRequest take the default. */
const defaultMaxEntriesPerRequest = defaultBrokerLimits.maxEntriesPerRequest;
/** baseSequence is an int32 on the wire. */
const maxSequence = 0x7fff_ffff;

export class Sender {
  private readonly identities: IdentitySource;
  private drainQueued = false;
  private wakeTimer: ReturnType<typeof setTimeout> | undefined;
  private wakeAtMs = Infinity;
  private stopped = false;

  /** `active`: partitions that may have something to send. `onDone`: a batch got its outcome. */
  constructor(
    private readonly connection: Connection,
    private readonly metadata: Metadata,
    private readonly options: ResolvedProducerOptions,
    private readonly active: Set<PartitionState>,
    private readonly onDone: (batch: ProducerBatch) => void,
  ) {
    const backoff = { baseMs: options.retryBackoffMs, maxMs: options.retryBackoffMaxMs };
    this.identities = new IdentitySource(connection, backoff, () => this.scheduleDrain());
  }

  /** Drains once the current task is over, so every message added meanwhile is considered together. */
  scheduleDrain(): void {
    if (this.drainQueued || this.stopped) return;
    this.drainQueued = true;
    queueMicrotask(() => this.drain());
  }

  /** Seals every open batch, so they are sent without waiting for their linger (flush). */
  sealAll(): void {
    for (const state of this.active) state.seal();
    this.scheduleDrain();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.wakeTimer);
  }

  private drain(): void {
    this.drainQueued = false;
    if (this.stopped) return;
    const nowMs = Date.now();
    const ready: ProducerBatch[] = [];
    let wakeAtMs = Infinity;
    for (const state of this.active) {
      wakeAtMs = Math.min(wakeAtMs, this.drainPartition(state, nowMs, ready));
      if (state.idle) this.active.delete(state);
    }
    if (ready.length > 0) this.transmit(ready);
    if (wakeAtMs < Infinity) this.wakeAt(wakeAtMs, nowMs);
  }

  private wakeAt(atMs: number, nowMs: number): void {
    if (this.wakeTimer !== undefined && this.wakeAtMs <= atMs) return;
    clearTimeout(this.wakeTimer);
    this.wakeAtMs = atMs;
    this.wakeTimer = setTimeout(() => {
      this.wakeTimer = undefined;
      this.wakeAtMs = Infinity;
      this.drain();
    }, atMs - nowMs);
  }

  /** Adds the batches `state` may send now to `ready`; returns when to look again (Infinity: an answer will trigger it). */
  private drainPartition(state: PartitionState, nowMs: number, ready: ProducerBatch[]): number {
    while (state.inFlight < this.options.maxInFlightPerPartition) {
      if (this.options.idempotent && !state.acknowledged && state.inFlight > 0) return Infinity;
      if (state.blocked) {
        if (state.inFlight > 0) return Infinity;
        if (nowMs < state.retryAtMs) return state.retryAtMs;
        state.blocked = false;
      }
      const resend = state.nextResend();
      if (resend) {
        this.dispatch(state, resend, ready);
        continue;
      }
      if (state.sealed.length === 0) {
        if (state.open === null) return Infinity;
        const dueAtMs = state.open.createdAtMs + this.options.lingerMs;
        if (dueAtMs > nowMs) return dueAtMs;
        state.seal();
      }
      const identity = this.identityFor(state, state.sealed.peek()!, nowMs);
      if (identity === null) return this.waitForIdentity(state, nowMs);
      this.encode(state, state.sealed.shift()!, identity, nowMs, ready);
    }
    return Infinity;
  }

  /** The identity the partition's next sequence continues, or null while a fresh one is needed and not yet there. */
  private identityFor(state: PartitionState, batch: ProducerBatch, nowMs: number): ProducerIdentity | null {
    if (!this.options.idempotent) return anonymousIdentity;
    if (state.identity !== null && state.nextSequence + batch.records.length > maxSequence && state.unacked.length === 0) {
      state.retire(); // the sequence would wrap: continue under a new id instead
    }
    if (state.identity === null) {
      if (state.unacked.length > 0) return null; // batches of the broken sequence are still settling
      const identity = this.identities.take(state.retiredIdentity, nowMs);
      if (identity === null) return null;
      state.adopt(identity);
    }
    return state.nextSequence + batch.records.length > maxSequence ? null : state.identity;
  }

  /** No identity yet: fail the sealed batches that can no longer be sent in time; say when to try again. */
  private waitForIdentity(state: PartitionState, nowMs: number): number {
    const error = this.identities.lastError;
    if (error !== null) {
      for (let batch = state.sealed.peek(); batch; batch = state.sealed.peek()) {
        if (error.retriable && nowMs < batch.createdAtMs + this.options.deliveryTimeoutMs) break;
        state.sealed.shift();
        this.finish(batch, error.retriable ? this.deliveryTimeout(error) : error);
      }
    }
    return this.identities.pending || this.identities.retryAtMs <= nowMs ? Infinity : this.identities.retryAtMs;
  }

  private encode(state: PartitionState, batch: ProducerBatch, identity: ProducerIdentity, nowMs: number, ready: ProducerBatch[]): void {
    const baseSequence = identity === anonymousIdentity ? -1 : state.nextSequence;
    const producer = { producerId: identity.producerId, producerEpoch: identity.producerEpoch, baseSequence };
    const encoded = encodeRecordBatch(batch.records, { now: nowMs, producer });
    if (encoded.length > batch.bytes) {
      // The size bound is exact arithmetic; only a message changed after send can break it.
      return this.finish(batch, new ActorMqError('INVALID_REQUEST', `batch encoded to ${encoded.length} bytes, sized at ${batch.bytes}: was a message changed after send?`));
    }
    batch.encoded = encoded;
    state.nextSequence += batch.records.length;
    state.unacked.push(batch);
    this.dispatch(state, batch, ready);
  }

  private dispatch(state: PartitionState, batch: ProducerBatch, ready: ProducerBatch[]): void {
    batch.inFlight = true;
    batch.attempts++;
    state.inFlight++;
    ready.push(batch);
  }

  /** Packs batches into produce frames within maxFrameBytes and maxEntriesPerRequest. */
  private transmit(batches: ProducerBatch[]): void {
    const { maxFrameBytes, maxEntriesPerRequest = defaultMaxEntriesPerRequest } = this.connection.limits;
    let start = 0;
    let frameBytes = frameEnvelopeBytes;
    for (let i = 0; i < batches.length; i++) {
      const batch = batches[i]!;
      const entryBytes = batch.encoded!.length + batch.state.topic.entryOverheadBytes;
      if (i > start && (i - start === maxEntriesPerRequest || frameBytes + entryBytes > maxFrameBytes)) {
        this.request(batches.slice(start, i));
        start = i;
        frameBytes = frameEnvelopeBytes;
      }
      frameBytes += entryBytes;
    }
    this.request(start === 0 ? batches : batches.slice(start));
  }

  private request(batches: ProducerBatch[]): void {
    const entries: ProduceEntry[] = batches.map((batch) => ({ topic: batch.state.topic.name, partition: batch.state.partition, batch: batch.encoded! }));
    this.connection.request({ type: 'produce', entries }).then(
      (body) => this.onAnswer(batches, body),
      (error: ActorMqError) => {
        const nowMs = Date.now();
        for (const batch of batches) this.onFailure(batch, error, nowMs);
        this.scheduleDrain();
      },
    );
  }

  private onAnswer(batches: ProducerBatch[], body: ProduceBody): void {
    const nowMs = Date.now();
    for (let i = 0; i < batches.length; i++) {
      const batch = batches[i]!;
      const result = body.results?.[i];
      if (result !== undefined && 'baseOffset' in result) this.onSuccess(batch, result.baseOffset);
      else {
        const error = result ? wireError(result.code, result.message) : new ActorMqError('INTERNAL_ERROR', `produce answer has no result for entry ${i}`);
        this.onFailure(batch, error, nowMs);
      }
    }
    this.scheduleDrain();
  }

  private onSuccess(batch: ProducerBatch, baseOffset: number): void {
    const state = batch.state;
    state.inFlight--;
    batch.inFlight = false;
    if (batch.done) return; // failed with its partition's sequence meanwhile
    state.removeUnacked(batch);
    state.acknowledged = true;
    batch.complete(baseOffset);
    this.onDone(batch);
  }

  private onFailure(batch: ProducerBatch, error: ActorMqError, nowMs: number): void {
    const state = batch.state;
    state.inFlight--;
    batch.inFlight = false;
    if (batch.done) return;
    const retriable = error.retriable && !this.connection.isClosed;
    const retryAtMs = nowMs + backoffMs(batch.attempts, this.options.retryBackoffMs, this.options.retryBackoffMaxMs);
    if (retriable && retryAtMs < batch.createdAtMs + this.options.deliveryTimeoutMs) {
      state.blocked = true;
      state.retryAtMs = Math.max(state.retryAtMs, retryAtMs);
      this.active.add(state);
      return;
    }
    this.breakSequence(state, batch, retriable ? this.deliveryTimeout(error) : error);
  }

  /**
   * Fails `failed` and the batches behind it. Batches ahead of it keep their
   * chance; the partition starts a new sequence under a new identity once
   * they are all done, so nothing new can overtake them.
   */
  private breakSequence(state: PartitionState, failed: ProducerBatch, error: ActorMqError): void {
    const index = state.unacked.indexOf(failed);
    for (const batch of state.unacked.splice(index)) this.finish(batch, error);
    if (state.unacked.length === 0) state.blocked = false;
    if (this.options.idempotent && state.identity !== null) state.retire();
    if (error.code === 'UNKNOWN_TOPIC') this.metadata.forget(state.topic.name);
  }

  private finish(batch: ProducerBatch, error: ActorMqError): void {
    batch.fail(error);
    this.onDone(batch);
  }

  private deliveryTimeout(last: ActorMqError): TimeoutError {
    return new TimeoutError(`not acknowledged within deliveryTimeoutMs ${this.options.deliveryTimeoutMs}; last error ${last.code}: ${last.message}`);
  }
}
