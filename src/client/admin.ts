/**
 * Topic and group administration and the low-level fetch: one request each, arguments
 * checked before anything is sent.
 */
import { ActorMqError } from '../protocol/errors.js';
import type { DescribeGroupBody, DescribeTopicBody, TopicConfig, TopicSummary } from '../protocol/frames.js';
import { batchAttribute, batchHeaderBytes, batchSizeAt, checkBatch, decodeRecords } from '../protocol/record-batch.js';
import type { Connection } from './connection.js';
import type { CreateTopicOptions, CreateTopicResult, FetchedRecord, FetchOptions, FetchResult, GroupSummary } from './types.js';
import { checkOptionNames, checkTopicName, integerArgument, integerOption, invalid } from './validate.js';

const topicConfigNames = ['retentionMs', 'retentionBytes', 'segmentBytes', 'segmentMs'] as const;
const defaultFetchBytes = 1024 * 1024;

export async function createTopic(connection: Connection, name: string, options: CreateTopicOptions = {}): Promise<CreateTopicResult> {
  checkTopicName(name);
  checkOptionNames('createTopic', options, ['partitions', ...topicConfigNames]);
  const partitions = integerOption('partitions', options.partitions, 1, 1);
  const config: TopicConfig = {};
  for (const setting of topicConfigNames) {
    if (options[setting] !== undefined) config[setting] = integerOption(setting, options[setting], 0, 0);
  }
  const body = await connection.request({ type: 'createTopic', topic: name, partitions, config });
  return { topic: body.topic, partitions: body.partitions, created: body.created };
}

export async function listTopics(connection: Connection): Promise<TopicSummary[]> {
  const body = await connection.request({ type: 'listTopics' });
  return body.topics.map(({ name, partitions }) => ({ name, partitions }));
}

export async function describeTopic(connection: Connection, name: string): Promise<DescribeTopicBody> {
  checkTopicName(name);
  return connection.request({ type: 'describeTopic', topic: name });
}

export async function listGroups(connection: Connection): Promise<GroupSummary[]> {
  const body = await connection.request({ type: 'listGroups' });
  return body.groups.map(({ group, state, members }) => ({ group, state, members }));
}

export async function describeGroup(connection: Connection, group: string): Promise<DescribeGroupBody> {
  if (typeof group !== 'string' || group.length === 0) throw invalid(`group must be a non-empty string, got ${JSON.stringify(group)}`);
  return connection.request({ type: 'describeGroup', group });
}

/**
 * Reads records of one partition from `offset` on. The broker returns whole
 * stored batches; each is checked (header, CRC) before it is decoded, records
 * before `offset` (the first batch may start earlier) are skipped, control
 * batches (transaction markers) are not records, and a batch cut short at the
 * end of the answer is left for the next fetch.
 */
export async function fetchRecords(connection: Connection, topic: string, partition: number, offset: number, options: FetchOptions = {}): Promise<FetchResult> {
  checkTopicName(topic);
  integerArgument('partition', partition, 0);
  integerArgument('offset', offset, 0);
  checkOptionNames('fetch', options, ['maxBytes']);
  const maxBytes = integerOption('maxBytes', options.maxBytes, Math.min(defaultFetchBytes, connection.limits.maxFrameBytes), 1, connection.limits.maxFrameBytes);
  const body = await connection.request({ type: 'fetch', topic, partition, offset, maxBytes });
  const bytes = body.records;
  const limits = { maxBatchBytes: bytes.length, maxRecordsPerBatch: Number.MAX_SAFE_INTEGER };
  const records: FetchedRecord[] = [];
  for (let pos = 0; pos + batchHeaderBytes <= bytes.length; pos += batchSizeAt(bytes, pos)) {
    if (pos + batchSizeAt(bytes, pos) > bytes.length) break;
    const check = checkBatch(bytes, pos, limits, false);
    if (!check.ok) throw new ActorMqError('CORRUPT_BATCH', `fetched batch at byte ${pos} of ${topic}/${partition}: ${check.reason}`);
    if ((check.header.attributes & batchAttribute.control) !== 0) continue;
    for (const record of decodeRecords(bytes, pos)) {
      if (record.offset >= offset) records.push({ topic, partition, ...record });
    }
  }
  return { records, startOffset: body.startOffset, endOffset: body.endOffset };
}
