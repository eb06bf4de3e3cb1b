/**
 * Broker options: what `startBroker` and `actormq serve` accept, their
 * defaults, and the checks that run before anything is opened.
 */
import { assertLimitsConsistent, defaultBrokerLimits, type BrokerLimits } from '../protocol/limits.js';
import type { TopicConfig } from '../protocol/frames.js';
import type { LogLevel, Logger } from '../logger.js';
import { realTimers, type Clock } from './actor-environment.js';
import type { AssignmentStrategy } from './groups/assignor.js';

export type FlushPolicy = 'sync' | 'interval';

export interface TransactionOptions {
  /** A half transaction without an outcome is first checked this long after its last half message. */
  checkAfterMs: number;
  /** Then checked again this often. */
  checkIntervalMs: number;
  /** Answered `unknown`s before the transaction is rolled back and parked. */
  maxChecks: number;
  /** A transaction that never received a half message is rolled back this long after it began. */
  timeoutMs: number;
  /** How long one producer has to answer a check before the next one is asked. */
  checkTimeoutMs: number;
}

export interface BrokerOptions {
  host?: string;
  /** 0 = any free port. */
  port?: number;
  dataDir?: string;
  flush?: FlushPolicy;
  /** fdatasync period of the 'interval' flush policy. */
  flushIntervalMs?: number;
  /** How often retention deletes expired segments of every partition. */
  retentionCheckIntervalMs?: number;
  /** Create a topic (with defaultPartitions) on first produce instead of answering UNKNOWN_TOPIC. */
  autoCreateTopics?: boolean;
  defaultPartitions?: number;
  /** Defaults for topics created without their own settings. */
  topicDefaults?: Partial<Required<TopicConfig>>;
  limits?: Partial<BrokerLimits>;
  transactions?: Partial<TransactionOptions>;
  /**
   * How a consumer group's partitions are spread over its members in
   * 'partition' and 'none' ordering: 'sticky' (default) moves as few as
   * possible; 'range' gives each member a contiguous run per topic, as
   * Kafka's RangeAssignor.
   */
  groupAssignment?: AssignmentStrategy;
  /** When set, hello frames must carry this token. */
  token?: string;
  logLevel?: LogLevel;
  logger?: Logger;
  /** Injected clock (epoch ms), so tests control time. */
  clock?: () => number;
  /** Scheduler of every broker delay: machine delays (session, hello and close timeouts, restart backoff), redelivery backoff, dead-letter and commit-append retries; tests pass xstate's SimulatedClock (with `clock` reading it). */
  timers?: Clock;
  /** Broker id reported in the welcome frame. */
  brokerId?: string;
}

export interface ResolvedBrokerOptions {
  host: string;
  port: number;
  dataDir: string;
  flush: FlushPolicy;
  flushIntervalMs: number;
  retentionCheckIntervalMs: number;
  autoCreateTopics: boolean;
  defaultPartitions: number;
  topicDefaults: Required<TopicConfig>;
  limits: BrokerLimits;
  transactions: TransactionOptions;
  groupAssignment: AssignmentStrategy;
  token: string | undefined;
  logLevel: LogLevel;
  clock: () => number;
  timers: Clock;
  brokerId: string;
}

export const defaultTopicConfig: Required<TopicConfig> = {
  retentionMs: 7 * 24 * 3600_000, // 7 days, Kafka's default
  retentionBytes: 0, // no size limit
  segmentBytes: 64 * 1024 * 1024, // 64 MiB: recovery rescans at most one segment
  segmentMs: 7 * 24 * 3600_000,
};

// RocketMQ's defaults: transactionTimeOut 6 s, check interval 60 s, 15 checks.
// timeoutMs: 60 s like Kafka's transaction.timeout.ms; checkTimeoutMs: 3 s, RocketMQ's send timeout.
export const defaultTransactionOptions: TransactionOptions = { checkAfterMs: 6_000, checkIntervalMs: 60_000, maxChecks: 15, timeoutMs: 60_000, checkTimeoutMs: 3_000 };

function invalid(message: string): never {
  throw new RangeError(`invalid broker option: ${message}`);
}

function positiveInteger(name: string, value: number, allowZero = false): number {
  if (!Number.isSafeInteger(value) || value < (allowZero ? 0 : 1)) invalid(`${name} must be a ${allowZero ? 'non-negative' : 'positive'} integer, got ${value}`);
  return value;
}

/** An empty host would listen on every interface (not the loopback default); an empty dataDir is the current directory. */
function nonEmpty(name: string, value: string): string {
  if (typeof value !== 'string' || value.length === 0) invalid(`${name} must be a non-empty string, got ${JSON.stringify(value)}`);
  return value;
}

/** Checked here so a bad port is refused before the data dir is opened, not when listening. */
function tcpPort(value: number): number {
  if (positiveInteger('port', value, true) > 65_535) invalid(`port must be 0-65535, got ${value}`);
  return value;
}

export function resolveBrokerOptions(options: BrokerOptions = {}): ResolvedBrokerOptions {
  const limits = { ...defaultBrokerLimits, ...options.limits };
  assertLimitsConsistent(limits);
  const flush = options.flush ?? 'sync';
  if (flush !== 'sync' && flush !== 'interval') invalid(`flush must be 'sync' or 'interval', got ${String(flush)}`);
  const topicDefaults = { ...defaultTopicConfig, ...options.topicDefaults };
  for (const [name, value] of Object.entries(topicDefaults)) positiveInteger(`topicDefaults.${name}`, value, true);
  const transactions = { ...defaultTransactionOptions, ...options.transactions };
  for (const [name, value] of Object.entries(transactions)) positiveInteger(`transactions.${name}`, value);
  const groupAssignment = options.groupAssignment ?? 'sticky';
  if (groupAssignment !== 'sticky' && groupAssignment !== 'range') invalid(`groupAssignment must be 'sticky' or 'range', got ${String(groupAssignment)}`);
  return {
    host: nonEmpty('host', options.host ?? '127.0.0.1'),
    port: tcpPort(options.port ?? 7070),
    dataDir: nonEmpty('dataDir', options.dataDir ?? './data'),
    flush,
    flushIntervalMs: positiveInteger('flushIntervalMs', options.flushIntervalMs ?? 1000),
    retentionCheckIntervalMs: positiveInteger('retentionCheckIntervalMs', options.retentionCheckIntervalMs ?? 300_000), // 5 min, Kafka's default
    autoCreateTopics: options.autoCreateTopics ?? false,
    defaultPartitions: positiveInteger('defaultPartitions', options.defaultPartitions ?? 1),
    topicDefaults,
    limits,
    transactions,
    groupAssignment,
    token: options.token,
    logLevel: options.logLevel ?? 'info',
    clock: options.clock ?? Date.now,
    timers: options.timers ?? realTimers,
    brokerId: options.brokerId ?? 'broker-0',
  };
}
