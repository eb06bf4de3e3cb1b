/**
 * Every client option, its default and why, in one place. Options are
 * validated when `connect()`, `client.producer()` or `client.consumer()` is
 * called.
 */
import type { ActorMqError } from '../protocol/errors.js';
import type { Ordering, StartFrom } from '../protocol/frames.js';
import { defaultBrokerLimits, topicNamePattern } from '../protocol/limits.js';
import { batchHeaderBytes } from '../protocol/record-batch.js';
import { booleanOption, checkOptionNames, checkTopicName, integerOption, invalid } from './validate.js';

export interface ConnectOptions {
  /** Names this client in broker logs and admin tools; 1-249 characters. */
  clientId: string;
  /** Sent in the hello; brokers started with a token refuse connections without it. */
  token?: string;
  /** A request unanswered after this long rejects with `TimeoutError`. Default 30 000. */
  requestTimeoutMs?: number;
  /** Socket open plus hello must finish within this, on the first connect and on every reconnect. Default 10 000. */
  connectTimeoutMs?: number;
  /** Wait before the first reconnect after the socket drops; doubles per failed attempt. Default 100. */
  reconnectBackoffMs?: number;
  /** Longest wait between reconnect attempts. Default 10 000. */
  reconnectBackoffMaxMs?: number;
  /** Requests on the wire at once; the broker's own limit (from its welcome) always applies as well. Default: the broker's. */
  maxInFlightRequests?: number;
  /** Requests waiting for a free in-flight slot or a reconnect; past this, requests reject with TOO_MANY_REQUESTS. Default 10 000. */
  maxQueuedRequests?: number;
}

export type ResolvedConnectOptions = Required<Omit<ConnectOptions, 'token'>> & { token: string | undefined };

const connectOptionNames = [
  'clientId', 'token', 'requestTimeoutMs', 'connectTimeoutMs', 'reconnectBackoffMs', 'reconnectBackoffMaxMs',
  'maxInFlightRequests', 'maxQueuedRequests',
] as const;

/** setTimeout fires at once for delays above 2^31 - 1 ms, so no timeout may exceed it. */
const maxTimerMs = 2 ** 31 - 1;

export function resolveConnectOptions(url: unknown, options: ConnectOptions): ResolvedConnectOptions {
  if (typeof url !== 'string' || !/^wss?:\/\//.test(url)) throw invalid(`url must start with ws:// or wss://, got ${JSON.stringify(url)}`);
  checkOptionNames('connect', options, connectOptionNames);
  const { clientId, token } = options;
  if (typeof clientId !== 'string' || clientId.length === 0 || clientId.length > defaultBrokerLimits.maxNameLength) {
    throw invalid(`clientId must be a string of 1-${defaultBrokerLimits.maxNameLength} characters, got ${JSON.stringify(clientId)}`);
  }
  if (token !== undefined && typeof token !== 'string') throw invalid('token must be a string');
  const reconnectBackoffMs = integerOption('reconnectBackoffMs', options.reconnectBackoffMs, 100, 1, maxTimerMs);
  return {
    clientId,
    token,
    requestTimeoutMs: integerOption('requestTimeoutMs', options.requestTimeoutMs, 30_000, 1, maxTimerMs),
    connectTimeoutMs: integerOption('connectTimeoutMs', options.connectTimeoutMs, 10_000, 1, maxTimerMs),
    reconnectBackoffMs,
    reconnectBackoffMaxMs: integerOption('reconnectBackoffMaxMs', options.reconnectBackoffMaxMs, Math.max(10_000, reconnectBackoffMs), reconnectBackoffMs, maxTimerMs),
    maxInFlightRequests: integerOption('maxInFlightRequests', options.maxInFlightRequests, Number.MAX_SAFE_INTEGER, 1),
    maxQueuedRequests: integerOption('maxQueuedRequests', options.maxQueuedRequests, 10_000, 0),
  };
}

export interface ProducerOptions {
  /** How long a partition's batch may wait for more messages before it is sent. Default 1. */
  lingerMs?: number;
  /** Largest record batch the producer builds; the broker's maxBatchBytes caps it. Default 1 MiB. */
  maxBatchBytes?: number;
  /** Producer id + per-partition sequence numbers, so retries never duplicate. Default true. */
  idempotent?: boolean;
  /** Batches of one partition awaiting their answer; at most 5 when idempotent (the broker remembers a producer's last 5 batches). Default 5. */
  maxInFlightPerPartition?: number;
  /** Wait before the first retry of a failed batch; doubles per attempt. Default 100. */
  retryBackoffMs?: number;
  /** Longest wait between retries. Default 1 000. */
  retryBackoffMaxMs?: number;
  /** A message not acknowledged this long after it was accepted fails (TimeoutError). Default 120 000. */
  deliveryTimeoutMs?: number;
  /** Bytes of accepted, unacknowledged messages; past this, new sends wait until acknowledgements free room. Default 64 MiB. */
  maxBufferedBytes?: number;
}

export type ResolvedProducerOptions = Required<ProducerOptions>;

const producerOptionNames = [
  'lingerMs', 'maxBatchBytes', 'idempotent', 'maxInFlightPerPartition', 'retryBackoffMs', 'retryBackoffMaxMs',
  'deliveryTimeoutMs', 'maxBufferedBytes',
] as const;

/** The broker keeps this many batches per producer for deduplication (src/broker/producer-state.ts). */
const brokerDeduplicationWindow = 5;
/** A batch must hold at least a header and a small record. */
const minBatchBytes = batchHeaderBytes + 64;

export function resolveProducerOptions(options: ProducerOptions, requestTimeoutMs: number): ResolvedProducerOptions {
  checkOptionNames('producer', options, producerOptionNames);
  const idempotent = booleanOption('idempotent', options.idempotent, true);
  const maxBatchBytes = integerOption('maxBatchBytes', options.maxBatchBytes, 1024 * 1024, minBatchBytes);
  const retryBackoffMs = integerOption('retryBackoffMs', options.retryBackoffMs, 100, 1, maxTimerMs);
  const lingerMs = integerOption('lingerMs', options.lingerMs, 1, 0, maxTimerMs);
  const resolved: ResolvedProducerOptions = {
    lingerMs,
    maxBatchBytes,
    idempotent,
    maxInFlightPerPartition: integerOption('maxInFlightPerPartition', options.maxInFlightPerPartition, 5, 1, idempotent ? brokerDeduplicationWindow : 1_000),
    retryBackoffMs,
    retryBackoffMaxMs: integerOption('retryBackoffMaxMs', options.retryBackoffMaxMs, Math.max(1_000, retryBackoffMs), retryBackoffMs, maxTimerMs),
    deliveryTimeoutMs: integerOption('deliveryTimeoutMs', options.deliveryTimeoutMs, Math.max(120_000, requestTimeoutMs + lingerMs), 1, maxTimerMs),
    maxBufferedBytes: integerOption('maxBufferedBytes', options.maxBufferedBytes, Math.max(64 * 1024 * 1024, maxBatchBytes), maxBatchBytes),
  };
  // A batch gets at least one full attempt: linger, then one request that may take requestTimeoutMs.
  if (resolved.deliveryTimeoutMs < requestTimeoutMs + lingerMs) {
    throw invalid(`deliveryTimeoutMs (${resolved.deliveryTimeoutMs}) must be at least requestTimeoutMs + lingerMs (${requestTimeoutMs + lingerMs})`);
  }
  return resolved;
}

export interface ConsumerOptions {
  /** The consumer group; every group receives every message, each message goes to one member of a group. 1-245 characters of [a-zA-Z0-9._-] (`<group>.dlq` must be a topic name too). */
  group: string;
  /** Topics to consume; every member of a group must name the same ones. */
  topics: string[];
  /**
   * `partition` (default): one handler at a time per partition, in offset order; members beyond the partition count stay idle.
   * `key`: one handler at a time per key (keyless messages in any order); every member gets work.
   * `none`: handlers run concurrently, up to maxInFlightMessages.
   */
  ordering?: Ordering;
  /** Where a group without committed offsets starts. Default 'latest' (like Kafka): only messages sent after the group first joined. */
  from?: StartFrom;
  /** A handler not finished this long after it was handed the message counts as failed ('ack timeout'); its late result is ignored. Default 30 000. */
  ackTimeoutMs?: number;
  /** Hand-overs of one message at most; after that many failures it goes to the dead-letter topic `<group>.dlq`. Default 16. */
  maxDeliveries?: number;
  /** Delay before each redelivery: the n-th entry before the n-th redelivery, the last one repeating; one number for all. Default [1000, 5000, 10000, 30000]. */
  retryBackoffMs?: number | number[];
  /** The broker ends the membership after this long without a heartbeat; heartbeats go every third of it. Default 10 000 (broker range 100 ms-1 h). */
  sessionTimeoutMs?: number;
  /**
   * Messages delivered and not yet acknowledged (the credit window); bounds the consumer's memory and, with `none`
   * ordering, its concurrency (up to this many handler calls at once). Default 40 000: the broker sends whole stored batches and refills the window as acks
   * come back, a quarter of it at a time; a batch that does not fit the spare credit waits for it when it is at most a
   * quarter of the window, else it goes out in part and the next delivery reads and sends it again. A producer's full
   * 1 MiB batch of 100-byte values holds ~9 000 messages, so at 10 000 a consumer behind the log received every batch
   * three to four times (end-to-end ~310k msgs/s, falling behind its producer) and at 40 000 once (~490k, keeping up).
   */
  maxInFlightMessages?: number;
  /** Bytes of delivered, unacknowledged messages (one larger batch still comes when nothing is in flight). Default 16 MiB. */
  maxInFlightBytes?: number;
  /** Called when the consumer stops on its own after `run()` resolved: rejoining failed with a non-retriable error (a topic deleted, a conflicting group setting). */
  onError?: (error: ActorMqError) => void;
}

export interface ResolvedConsumerOptions extends Required<Omit<ConsumerOptions, 'retryBackoffMs' | 'onError'>> {
  retryBackoffMs: number[];
  onError: ((error: ActorMqError) => void) | undefined;
}

const consumerOptionNames = [
  'group', 'topics', 'ordering', 'from', 'ackTimeoutMs', 'maxDeliveries', 'retryBackoffMs', 'sessionTimeoutMs',
  'maxInFlightMessages', 'maxInFlightBytes', 'onError',
] as const;

/** The broker's group limits (src/broker/groups/group-registry.ts defaults), checked here so a bad value fails at `client.consumer()`. */
export const consumerLimits = {
  maxGroupNameLength: 245,
  maxTopics: 100,
  maxDeliveries: 1_000,
  sessionTimeoutMinMs: 100,
  sessionTimeoutMaxMs: 3_600_000,
  maxInFlightMessages: 100_000,
  maxInFlightBytes: 64 * 1024 * 1024,
  maxBackoffEntries: 32,
  maxBackoffMs: 24 * 3_600_000,
} as const;

export function resolveConsumerOptions(options: ConsumerOptions): ResolvedConsumerOptions {
  checkOptionNames('consumer', options, consumerOptionNames);
  const { group, topics, onError } = options;
  if (typeof group !== 'string' || group.length === 0 || group.length > consumerLimits.maxGroupNameLength || !topicNamePattern.test(group) || group === '.' || group === '..') {
    throw invalid(`group must be 1-${consumerLimits.maxGroupNameLength} characters of [a-zA-Z0-9._-], got ${JSON.stringify(group)}`);
  }
  if (!Array.isArray(topics) || topics.length === 0 || topics.length > consumerLimits.maxTopics) throw invalid(`topics must list 1-${consumerLimits.maxTopics} topic names`);
  for (const topic of topics) checkTopicName(topic);
  if (onError !== undefined && typeof onError !== 'function') throw invalid('onError must be a function');
  return {
    group,
    topics: [...new Set(topics)],
    ordering: oneOf('ordering', options.ordering, ['partition', 'key', 'none'], 'partition'),
    from: oneOf('from', options.from, ['earliest', 'latest'], 'latest'),
    ackTimeoutMs: integerOption('ackTimeoutMs', options.ackTimeoutMs, 30_000, 1, maxTimerMs),
    maxDeliveries: integerOption('maxDeliveries', options.maxDeliveries, 16, 1, consumerLimits.maxDeliveries),
    retryBackoffMs: backoffList(options.retryBackoffMs),
    sessionTimeoutMs: integerOption('sessionTimeoutMs', options.sessionTimeoutMs, 10_000, consumerLimits.sessionTimeoutMinMs, consumerLimits.sessionTimeoutMaxMs),
    maxInFlightMessages: integerOption('maxInFlightMessages', options.maxInFlightMessages, 40_000, 1, consumerLimits.maxInFlightMessages),
    maxInFlightBytes: integerOption('maxInFlightBytes', options.maxInFlightBytes, 16 * 1024 * 1024, 1, consumerLimits.maxInFlightBytes),
    onError,
  };
}

function oneOf<T extends string>(name: string, value: unknown, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!allowed.includes(value as T)) throw invalid(`${name} must be ${allowed.join(', ')}; got ${JSON.stringify(value)}`);
  return value as T;
}

function backoffList(value: unknown): number[] {
  if (value === undefined) return [1_000, 5_000, 10_000, 30_000];
  const list = typeof value === 'number' ? [value] : value;
  if (!Array.isArray(list) || list.length === 0 || list.length > consumerLimits.maxBackoffEntries) {
    throw invalid(`retryBackoffMs must be a number or a list of 1-${consumerLimits.maxBackoffEntries} numbers`);
  }
  return list.map((ms: unknown, index) => integerOption(`retryBackoffMs[${index}]`, ms ?? NaN, 0, 0, consumerLimits.maxBackoffMs));
}
