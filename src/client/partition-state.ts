/**
 * What a producer tracks per topic and per partition.
 *
 * A partition's batches move: open (filling) → sealed (full, or lingered
 * long enough) → unacked (sequence assigned, sent at least once) → done.
 * Sequence numbers belong to the partition's producer identity: the broker
 * expects each batch's baseSequence to continue the previous one, so batches
 * are sent, and after a failure resent, strictly in sequence order.
 */
import { utf8Length, ProducerBatch } from './producer-batch.js';
import { Fifo } from './fifo.js';
import { StickyPartitioner } from './partitioner.js';
import type { ProducerIdentity } from './producer-identity.js';

/** msgpack envelope of a produce entry besides the topic name and batch bytes: map, keys, partition, bin header. */
const entryEnvelopeBytes = 40;

export class TopicState {
  readonly partitions: PartitionState[];
  readonly sticky: StickyPartitioner;
  /** Bytes one produce entry of this topic adds to a frame on top of its batch. */
  readonly entryOverheadBytes: number;

  constructor(readonly name: string, partitionCount: number) {
    this.partitions = Array.from({ length: partitionCount }, (_, partition) => new PartitionState(this, partition));
    this.sticky = new StickyPartitioner(partitionCount);
    this.entryOverheadBytes = entryEnvelopeBytes + utf8Length(name);
  }
}

export class PartitionState {
  open: ProducerBatch | null = null;
  readonly sealed = new Fifo<ProducerBatch>();
  /** Sent at least once and not done, in sequence order; those not in flight wait to be resent. */
  readonly unacked: ProducerBatch[] = [];
  inFlight = 0;
  /**
   * After a retriable failure nothing is sent until every answer is back and
   * `retryAtMs` has passed; then the failed batches go again, in order.
   */
  blocked = false;
  retryAtMs = 0;
  /** Producer identity the current sequence belongs to; null until the first send and after a failure broke the sequence. */
  identity: ProducerIdentity | null = null;
  /** The identity given up after a failure: the partition must not continue with it. */
  retiredIdentity: ProducerIdentity | null = null;
  nextSequence = 0;
  /** A batch of the current identity has been acknowledged. Until then only one batch is in flight: the broker accepts any sequence as a producer's first, so a second batch must not overtake a failed first one. */
  acknowledged = false;

  constructor(readonly topic: TopicState, readonly partition: number) {}

  /** Opens a batch if none is open. */
  openBatch(nowMs: number): ProducerBatch {
    this.open ??= new ProducerBatch(this, nowMs);
    return this.open;
  }

  /** Moves the open batch to the sealed queue; keyless messages move on to the next partition. */
  seal(): void {
    if (!this.open) return;
    this.sealed.push(this.open);
    this.open = null;
    this.topic.sticky.batchSealed(this.partition);
  }

  /** The first unacked batch waiting to be resent, if any. */
  nextResend(): ProducerBatch | undefined {
    for (const batch of this.unacked) if (!batch.inFlight) return batch;
    return undefined;
  }

  /** True when the partition has nothing to send now or later (answers may still be outstanding). */
  get idle(): boolean {
    return this.open === null && this.sealed.length === 0 && this.nextResend() === undefined;
  }

  /** Starts a new sequence under `identity`. */
  adopt(identity: ProducerIdentity): void {
    this.identity = identity;
    this.nextSequence = 0;
    this.acknowledged = false;
  }

  /** Gives up the current identity: the sequence is broken (a batch failed for good, or the 31-bit sequence would wrap). */
  retire(): void {
    this.retiredIdentity = this.identity;
    this.identity = null;
  }

  removeUnacked(batch: ProducerBatch): void {
    const index = this.unacked.indexOf(batch);
    if (index >= 0) this.unacked.splice(index, 1);
  }
}
