/**
 * Topics and their partition actors (supervision: broker → topic →
 * partition). Topic metadata is durable before a topic is reported created;
 * partition data lives in `<dataDir>/logs/<topic>/<partition>/`.
 */
import { join } from 'node:path';
import { ActorMqError, echoName } from '../protocol/errors.js';
import type { TopicConfig } from '../protocol/frames.js';
import { topicNamePattern } from '../protocol/limits.js';
import { checkLogOptions, defaultLogOptions, type LogOptions, type SegmentDescriptorCache } from '../storage/index.js';
import type { ActorEnvironment } from './actor-environment.js';
import type { Logger } from '../logger.js';
import type { MetadataStore, TopicRecord } from './metadata-store.js';
import type { ResolvedBrokerOptions } from './options.js';
import { PartitionActor } from './partition-actor.js';

export interface Topic {
  readonly name: string;
  readonly config: Required<TopicConfig>;
  readonly partitions: readonly PartitionActor[];
}

export class TopicRegistry {
  private readonly topics = new Map<string, Topic>();
  private partitionCount = 0;
  /** Creations run one at a time so limits and the metadata file stay consistent. */
  private creating: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly metadata: MetadataStore,
    private readonly options: ResolvedBrokerOptions,
    private readonly logger: Logger,
    private readonly descriptorCache: SegmentDescriptorCache,
    private readonly environment?: ActorEnvironment,
  ) {}

  /** Starts every known topic's partitions and waits for their recovery. */
  async start(): Promise<void> {
    for (const record of this.metadata.topics()) this.startTopic(record);
    await Promise.all([...this.topics.values()].flatMap((topic) => topic.partitions.map((p) => p.settled())));
  }

  get(name: string): Topic | undefined {
    return this.topics.get(name);
  }

  list(): Topic[] {
    return [...this.topics.values()];
  }

  partition(topicName: string, partition: number): PartitionActor {
    const topic = this.topics.get(topicName);
    if (!topic) throw new ActorMqError('UNKNOWN_TOPIC', `topic ${echoName(topicName)} does not exist`);
    const actor = topic.partitions[partition];
    if (!actor) throw new ActorMqError('UNKNOWN_PARTITION', `topic ${topicName} has ${topic.partitions.length} partitions, not ${partition + 1}`);
    return actor;
  }

  /** Creates the topic, or confirms it exists with the same settings (`created: false`). */
  create(name: string, partitions: number, config: TopicConfig = {}): Promise<{ created: boolean; topic: Topic }> {
    const run = this.creating.then(() => this.createNow(name, partitions, config));
    this.creating = run.catch(() => undefined);
    return run;
  }

  applyRetention(): void {
    for (const topic of this.topics.values()) for (const partition of topic.partitions) partition.applyRetention();
  }

  async close(): Promise<void> {
    await Promise.all(this.list().flatMap((topic) => topic.partitions.map((p) => p.close())));
  }

  private async createNow(name: string, partitions: number, config: TopicConfig): Promise<{ created: boolean; topic: Topic }> {
    this.validate(name, partitions);
    const fullConfig = { ...this.options.topicDefaults, ...config };
    this.validateConfig(fullConfig);
    const existing = this.topics.get(name);
    if (existing) {
      if (existing.partitions.length !== partitions || !matchesGivenConfig(existing.config, config)) {
        throw new ActorMqError('TOPIC_EXISTS', `topic ${name} exists with ${existing.partitions.length} partitions and config ${JSON.stringify(existing.config)}`);
      }
      return { created: false, topic: existing };
    }
    const { limits } = this.options;
    if (this.topics.size >= limits.maxTopics) throw new ActorMqError('TOO_MANY_PARTITIONS', `broker holds maxTopics ${limits.maxTopics} topics`);
    if (this.partitionCount + partitions > limits.maxPartitions) {
      throw new ActorMqError('TOO_MANY_PARTITIONS', `${partitions} more partitions would exceed maxPartitions ${limits.maxPartitions}`);
    }
    const record: TopicRecord = { name, partitions, config: fullConfig, createdAt: this.options.clock() };
    await this.metadata.addTopic(record);
    const topic = this.startTopic(record);
    await Promise.all(topic.partitions.map((p) => p.settled()));
    this.logger.info('topic created', { topic: name, partitions });
    return { created: true, topic };
  }

  private validate(name: string, partitions: number): void {
    const { limits } = this.options;
    if (name.length === 0 || name.length > limits.maxNameLength || !topicNamePattern.test(name) || name === '.' || name === '..') {
      throw new ActorMqError('INVALID_TOPIC', `topic name must be 1-${limits.maxNameLength} characters of [a-zA-Z0-9._-], not "." or ".."`);
    }
    if (!Number.isSafeInteger(partitions) || partitions < 1 || partitions > limits.maxPartitionsPerTopic) {
      throw new ActorMqError('INVALID_TOPIC', `partitions must be 1-${limits.maxPartitionsPerTopic}, got ${partitions}`);
    }
  }

  /** Settings the partition logs cannot open with would be stored for good and leave every partition failed. */
  private validateConfig(config: Required<TopicConfig>): void {
    try {
      checkLogOptions(this.logOptionsFor(config));
    } catch (error) {
      if (error instanceof RangeError) throw new ActorMqError('INVALID_TOPIC', `topic config not usable: ${error.message}`);
      throw error;
    }
  }

  private startTopic(record: TopicRecord): Topic {
    const logOptions = this.logOptionsFor(record.config);
    const partitions = Array.from({ length: record.partitions }, (_, index) => {
      const dir = join(this.options.dataDir, 'logs', record.name, String(index));
      return new PartitionActor(record.name, index, dir, logOptions, this.logger, this.environment);
    });
    const topic: Topic = { name: record.name, config: record.config, partitions };
    this.topics.set(record.name, topic);
    this.partitionCount += partitions.length;
    for (const partition of partitions) partition.start();
    return topic;
  }

  private logOptionsFor(config: Required<TopicConfig>): LogOptions {
    return {
      ...defaultLogOptions,
      segmentBytes: config.segmentBytes,
      segmentMs: config.segmentMs,
      retentionBytes: config.retentionBytes,
      retentionMs: config.retentionMs,
      flush: this.options.flush,
      flushIntervalMs: this.options.flushIntervalMs,
      maxBatchBytes: this.options.limits.maxBatchBytes,
      maxRecordsPerBatch: this.options.limits.maxRecordsPerBatch,
      descriptorCache: this.descriptorCache,
      clock: this.options.clock,
      logger: this.logger,
    };
  }
}

/** Settings the caller left out do not count: creating "orders" with 4 partitions again is fine. */
function matchesGivenConfig(existing: Required<TopicConfig>, given: TopicConfig): boolean {
  return (Object.keys(given) as Array<keyof TopicConfig>).every((key) => given[key] === undefined || given[key] === existing[key]);
}
