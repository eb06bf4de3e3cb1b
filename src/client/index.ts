/**
 * The `actormq` package: the client. Imports only src/protocol (plus `ws`,
 * lazily, where the platform has no WebSocket), so it bundles for browsers.
 */
export { connect } from './client.js';
export type { Client } from './client.js';
export type { Producer } from './producer.js';
export type {
  TransactionProducer, Transaction, TransactionProducerOptions, TransactionCheck, LocalTransactionResult, HalfMessageResult, SendInTransactionResult,
} from './transaction-producer.js';
export type { Consumer } from './consumer.js';
export type { ConnectOptions, ProducerOptions, ConsumerOptions } from './options.js';
export type {
  Message, SendResult, CreateTopicOptions, CreateTopicResult, FetchOptions, FetchedRecord, FetchResult,
  ConsumerMessage, MessageHandler, GroupSummary,
} from './types.js';
export type {
  TopicConfig, TopicSummary, PartitionDescription, DescribeTopicBody as TopicDescription,
  DescribeGroupBody as GroupDescription, GroupMemberDescription, GroupLag, GroupState, Ordering, StartFrom, TopicPartition,
} from '../protocol/frames.js';
export { murmur2 } from './partitioner.js';
export {
  ActorMqError, UnknownTopicError, MessageTooLargeError, NotAuthorizedError, ConnectionClosedError, TimeoutError, TransactionOutcomeUnknownError, errorTable,
} from '../protocol/errors.js';
export type { ErrorCode } from '../protocol/errors.js';
export type {
  TransactionState, TransactionSummary, TxnStatusBody as TransactionDescription, TransactionHistoryEntry, TransactionOutcome,
} from '../protocol/frames.js';
