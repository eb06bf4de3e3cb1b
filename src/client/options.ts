/**
 * Every client option, its default and why, in one place. Options are
 * validated when `connect()` or `client.producer()` is called.
 */
import { defaultBrokerLimits } from '../protocol/limits.js';
import { batchHeaderBytes } from '../protocol/record-batch.js';
import { booleanOption, checkOptionNames, integerOption, invalid } from './validate.js';

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
