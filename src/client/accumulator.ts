/**
 * Puts the messages of a send call into per-partition batches.
 *
 * Two passes: the first validates every message, picks keyed partitions and
 * sizes every record, so an invalid or oversized message rejects the call
 * before any of its messages is queued (a call is all or nothing); the
 * second appends each message to its partition's open batch, sealing batches
 * as they fill. Keyless messages follow the sticky partition, which moves on
 * whenever its batch is sealed. Per message this costs two small array
 * pushes and no allocation besides what msgpack-encoding a non-byte value
 * takes (done here once to size it, and again when the batch is encoded).
 */
import { MessageTooLargeError } from '../protocol/errors.js';
import { encodeValue } from '../protocol/value-codec.js';
import type { PartitionState, TopicState } from './partition-state.js';
import { keyBytes, partitionForKey } from './partitioner.js';
import { recordBodyBytes, singleRecordBatchBytes } from './producer-batch.js';
import type { SendCall } from './send-call.js';
import type { Message } from './types.js';
import { invalid } from './validate.js';

export interface BatchLimits {
  maxBatchBytes: number;
  maxRecordsPerBatch: number;
}

export class Accumulator {
  /** Per-message results of the first pass, reused across calls (grown on demand) so a call allocates nothing per message. */
  private partitions = new Int32Array(1024);
  private bodies = new Int32Array(1024);

  /** `active` collects partitions that got a batch, for the sender to drain. */
  constructor(private readonly active: Set<PartitionState>) {}

  /** Adds every message of `call`; returns the bytes the batches grew by. Throws, having added nothing, on an invalid or too large message. */
  add(call: SendCall, topic: TopicState, limits: BatchLimits, nowMs: number): number {
    const messages = call.messages;
    if (this.partitions.length < messages.length) {
      this.partitions = new Int32Array(messages.length);
      this.bodies = new Int32Array(messages.length);
    }
    for (let i = 0; i < messages.length; i++) this.measure(messages[i]!, i, topic, limits.maxBatchBytes);
    let grown = 0;
    for (let i = 0; i < messages.length; i++) {
      const message = messages[i]!;
      const timestamped = message.timestamp !== undefined;
      for (;;) {
        const keyed = this.partitions[i]!;
        const state = topic.partitions[keyed >= 0 ? keyed : topic.sticky.current]!;
        if (state.open === null) this.active.add(state);
        const growth = state.openBatch(nowMs).tryAppend(message, this.bodies[i]!, timestamped, call, i, limits.maxBatchBytes, limits.maxRecordsPerBatch);
        if (growth >= 0) {
          grown += growth;
          break;
        }
        state.seal();
      }
    }
    return grown;
  }

  /** First pass for message `i`: its partition (-1: keyless, decided when appended) and its record body size. */
  private measure(message: Message, i: number, topic: TopicState, maxBatchBytes: number): void {
    if (typeof message !== 'object' || message === null) throw invalid(`message ${i} must be an object with a value`);
    const { key, value, headers, timestamp } = message;
    let keyLength = -1;
    this.partitions[i] = -1;
    if (key !== undefined && key !== null) {
      if (typeof key !== 'string' && !(key instanceof Uint8Array)) throw invalid(`message ${i}: key must be a string or a Uint8Array`);
      const bytes = keyBytes(key);
      keyLength = bytes.length;
      this.partitions[i] = partitionForKey(bytes, topic.partitions.length);
    }
    if (timestamp !== undefined && (!Number.isSafeInteger(timestamp) || timestamp < 0)) {
      throw invalid(`message ${i}: timestamp must be epoch milliseconds (a non-negative integer), got ${String(timestamp)}`);
    }
    if (headers !== undefined) checkHeaders(headers, i);
    const body = recordBodyBytes(keyLength, valueLength(value, i), headers);
    const alone = singleRecordBatchBytes(body, timestamp !== undefined);
    if (alone > maxBatchBytes) {
      throw new MessageTooLargeError(`message ${i} needs a ${alone}-byte batch; the producer's maxBatchBytes is ${maxBatchBytes}`);
    }
    this.bodies[i] = body;
  }
}

function valueLength(value: unknown, i: number): number {
  if (value instanceof Uint8Array) return value.length;
  try {
    return encodeValue(value).bytes.length;
  } catch (error) {
    throw invalid(`message ${i}: value cannot be msgpack-encoded (${(error as Error).message})`);
  }
}

function checkHeaders(headers: unknown, i: number): void {
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) throw invalid(`message ${i}: headers must be an object of strings`);
  for (const name in headers) {
    if (typeof (headers as Record<string, unknown>)[name] !== 'string') throw invalid(`message ${i}: header ${JSON.stringify(name)} must be a string`);
  }
}
