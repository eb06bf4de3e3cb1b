/** Public shapes of messages, results and admin answers. */
import type { GroupState, TopicConfig } from '../protocol/frames.js';
import type { RecordInput } from '../protocol/record-batch.js';

/**
 * A message to send: `{ key?, value, headers?, timestamp? }`. `value`: a
 * Uint8Array travels as its bytes, anything else is msgpack-encoded and
 * decodes back to the same value. `key`: a string or bytes; messages with the
 * same key go to the same partition. `timestamp`: epoch milliseconds, default
 * the time the batch is encoded. It is the record batch codec's input type:
 * messages go into batches as they are, without copying.
 */
export type Message = RecordInput;

/** Where a message was stored. */
export interface SendResult {
  topic: string;
  partition: number;
  offset: number;
}

export interface CreateTopicOptions extends TopicConfig {
  /** Default 1. */
  partitions?: number;
}

export interface CreateTopicResult {
  topic: string;
  partitions: number;
  /** false when the topic already existed with the same partition count. */
  created: boolean;
}

export interface FetchOptions {
  /** Upper bound of record bytes returned (the broker may cap it lower). Default 1 MiB. */
  maxBytes?: number;
}

/** A record read back: a string key is a string again, a byte key a Uint8Array. */
export interface FetchedRecord {
  topic: string;
  partition: number;
  offset: number;
  key: string | Uint8Array | null;
  value: unknown;
  headers: Record<string, string>;
  timestamp: number;
}

export interface FetchResult {
  /** Records at or after the requested offset, in offset order. */
  records: FetchedRecord[];
  /** First offset still stored in the partition. */
  startOffset: number;
  /** The next offset to be written: fetching from here waits for new messages. */
  endOffset: number;
}

/**
 * A message handed to a consumer's handler: a record, plus `deliveryCount`,
 * 1 on the first hand-over and counting every hand-over since. A byte value
 * or byte key is a view into the frame it arrived in: copy it if you keep it
 * long.
 */
export interface ConsumerMessage extends FetchedRecord {
  deliveryCount: number;
}

/** Resolves (or returns) → the message is acknowledged; throws or rejects → it is redelivered after the backoff. */
export type MessageHandler = (message: ConsumerMessage) => unknown;

export interface GroupSummary {
  group: string;
  state: GroupState;
  members: number;
}
