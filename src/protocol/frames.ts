/**
 * Frame shapes. One WebSocket binary message carries one msgpack map with a
 * `type` field. Requests carry a client-chosen `id` (unsigned integer) that the
 * broker echoes in the `result` or `error` frame answering it. docs/protocol.md
 * describes every frame for authors of other clients.
 *
 * Wire contract: frame types and fields are never renamed. ONLY ADD.
 */
import type { ErrorCode } from './errors.js';

export interface TopicConfig {
  /** Delete segments older than this; 0 keeps them forever. */
  retentionMs?: number;
  /** Delete the oldest segments while the partition is larger; 0 = no limit. */
  retentionBytes?: number;
  /** Roll to a new segment file past this size. */
  segmentBytes?: number;
  /** Roll to a new segment file past this age. */
  segmentMs?: number;
}

export interface HelloFrame { type: 'hello'; id: number; version: number; clientId: string; token?: string }
export interface CreateTopicFrame { type: 'createTopic'; id: number; topic: string; partitions: number; config?: TopicConfig }
export interface ListTopicsFrame { type: 'listTopics'; id: number }
export interface DescribeTopicFrame { type: 'describeTopic'; id: number; topic: string }
export interface InitProducerFrame { type: 'initProducer'; id: number }
export interface ProduceEntry { topic: string; partition: number; batch: Uint8Array }
export interface ProduceFrame { type: 'produce'; id: number; entries: ProduceEntry[] }
export interface FetchFrame { type: 'fetch'; id: number; topic: string; partition: number; offset: number; maxBytes: number }

export type RequestFrame =
  | HelloFrame
  | CreateTopicFrame
  | ListTopicsFrame
  | DescribeTopicFrame
  | InitProducerFrame
  | ProduceFrame
  | FetchFrame;

export type RequestType = RequestFrame['type'];

export interface ResultFrame<Body = unknown> { type: 'result'; id: number; body: Body }
export interface ErrorFrame { type: 'error'; id?: number; code: ErrorCode; message: string }
export type ServerFrame = ResultFrame | ErrorFrame;

// Bodies of result frames, by request type.
export interface WelcomeBody { version: number; brokerId: string; limits: { maxFrameBytes: number; maxBatchBytes: number; maxRecordsPerBatch: number; maxInFlightRequests: number } }
export interface TopicSummary { name: string; partitions: number }
export interface CreateTopicBody { topic: string; partitions: number; created: boolean }
export interface ListTopicsBody { topics: TopicSummary[] }
export interface PartitionDescription { partition: number; startOffset: number; endOffset: number; state: string }
export interface DescribeTopicBody { name: string; partitions: PartitionDescription[]; config: Required<TopicConfig> }
export interface InitProducerBody { producerId: number; producerEpoch: number }
export type ProduceResult =
  | { topic: string; partition: number; baseOffset: number; duplicate: boolean }
  | { topic: string; partition: number; code: ErrorCode; message: string };
export interface ProduceBody { results: ProduceResult[] }
/** `records`: whole stored batches back to back, as written; `endOffset`: the next offset to be written. */
export interface FetchBody { records: Uint8Array; startOffset: number; endOffset: number }

export interface ResultBodies {
  hello: WelcomeBody;
  createTopic: CreateTopicBody;
  listTopics: ListTopicsBody;
  describeTopic: DescribeTopicBody;
  initProducer: InitProducerBody;
  produce: ProduceBody;
  fetch: FetchBody;
}
