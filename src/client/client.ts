/**
 * `connect()` and the Client: one connection to one broker, shared by the
 * client's producers, consumers and admin calls.
 */
import { ConnectionClosedError } from '../protocol/errors.js';
import type { DescribeGroupBody, DescribeTopicBody, TopicSummary } from '../protocol/frames.js';
import { createTopic, describeGroup, describeTopic, fetchRecords, listGroups, listTopics } from './admin.js';
import { Connection } from './connection.js';
import { Consumer } from './consumer.js';
import { Metadata } from './metadata.js';
import {
  resolveConnectOptions, resolveConsumerOptions, resolveProducerOptions,
  type ConnectOptions, type ConsumerOptions, type ProducerOptions, type ResolvedConnectOptions,
} from './options.js';
import { Producer } from './producer.js';
import { describeTransaction, listTransactions, resolveTransaction } from './transaction-admin.js';
import { TransactionProducer, type TransactionProducerOptions } from './transaction-producer.js';
import type { TransactionOutcome, TransactionState, TransactionSummary, TxnStatusBody } from '../protocol/frames.js';
import type { CreateTopicOptions, CreateTopicResult, FetchOptions, FetchResult, GroupSummary } from './types.js';

/**
 * Connects and says hello; resolves once the broker welcomed the client.
 * Rejects with the typed error otherwise (NotAuthorizedError for a refused
 * token, ConnectionClosedError when nothing listens, TimeoutError, …).
 */
export async function connect(url: string, options: ConnectOptions): Promise<Client> {
  const resolved = resolveConnectOptions(url, options);
  const connection = await Connection.open(url, resolved);
  return new Client(connection, resolved);
}

export class Client {
  private readonly metadata: Metadata;
  private readonly producers = new Set<Producer>();
  private readonly consumers = new Set<Consumer>();
  private readonly transactionProducers = new Set<TransactionProducer>();
  private closing: Promise<void> | undefined;

  /** Made by `connect()`. */
  constructor(private readonly connection: Connection, private readonly options: ResolvedConnectOptions) {
    this.metadata = new Metadata(connection);
  }

  get clientId(): string {
    return this.options.clientId;
  }

  /** A new producer on this client's connection; options are checked here. */
  producer(options: ProducerOptions = {}): Producer {
    if (this.closing) throw new ConnectionClosedError('the client is closed');
    const resolved = resolveProducerOptions(options, this.options.requestTimeoutMs);
    const producer = new Producer(this.connection, this.metadata, resolved, (closed) => this.producers.delete(closed));
    this.producers.add(producer);
    return producer;
  }

  /**
   * A new member of a consumer group on this client's connection; options
   * are checked here (INVALID_REQUEST). Nothing happens until `run(handler)`.
   */
  consumer(options: ConsumerOptions): Consumer {
    if (this.closing) throw new ConnectionClosedError('the client is closed');
    const resolved = resolveConsumerOptions(options);
    const consumer = new Consumer(this.connection, resolved, (closed) => this.consumers.delete(closed));
    this.consumers.add(consumer);
    return consumer;
  }

  /** Every consumer group of the broker: `[{ group, state, members }]`. */
  listGroups(): Promise<GroupSummary[]> {
    return listGroups(this.connection);
  }

  /** A group's members, their assignments and, per partition, the committed offset and the end offset (lag = end - committed). */
  describeGroup(group: string): Promise<DescribeGroupBody> {
    return describeGroup(this.connection, group);
  }

  /**
   * A transaction producer of `group`, answering the group's check-backs with
   * `checkLocalTransaction`. Returns at once; `await tp.ready` for the
   * broker to know it.
   */
  transactionProducer(options: TransactionProducerOptions): TransactionProducer {
    if (this.closing) throw new ConnectionClosedError('the client is closed');
    const runtime = {
      connection: this.connection, metadata: this.metadata,
      routeChecks: (group: string, handler: Parameters<Connection['routeTransactionChecks']>[1]) => this.connection.routeTransactionChecks(group, handler),
    };
    const producer = new TransactionProducer(runtime, options, (closed) => this.transactionProducers.delete(closed));
    this.transactionProducers.add(producer);
    return producer;
  }

  /** The transaction's state: 'open' | 'half' | 'checking' | 'committed' | 'rolledBack' | 'parked' | … */
  async transactionStatus(id: string): Promise<TransactionState> {
    return (await describeTransaction(this.connection, id)).state;
  }

  /** The transaction's state, age, checks, messages and recent transitions. */
  describeTransaction(id: string): Promise<TxnStatusBody> {
    return describeTransaction(this.connection, id);
  }

  /** Every transaction without an outcome: `[{ id, group, state, ageMs, checks, messages }]`. */
  listTransactions(): Promise<TransactionSummary[]> {
    return listTransactions(this.connection);
  }

  /** Operator: commits or rolls back a parked transaction. */
  resolveTransaction(id: string, outcome: TransactionOutcome): Promise<TransactionState> {
    return resolveTransaction(this.connection, id, outcome);
  }

  /** Creates a topic (1 partition unless told); the same configuration again is no error (`created: false`). */
  createTopic(name: string, options?: CreateTopicOptions): Promise<CreateTopicResult> {
    return createTopic(this.connection, name, options);
  }

  listTopics(): Promise<TopicSummary[]> {
    return listTopics(this.connection);
  }

  describeTopic(name: string): Promise<DescribeTopicBody> {
    return describeTopic(this.connection, name);
  }

  /** Reads one partition from `offset` on (for tools and tests; consumer groups are the way to consume). */
  fetch(topic: string, partition: number, offset: number, options?: FetchOptions): Promise<FetchResult> {
    return fetchRecords(this.connection, topic, partition, offset, options);
  }

  /**
   * Closes every consumer gracefully (running handlers finish, acks are sent,
   * members leave), flushes and closes every producer, then closes the
   * connection; afterwards every call rejects with ConnectionClosedError.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.all(Array.from(this.consumers, (consumer) => consumer.close()));
      await Promise.all(Array.from(this.producers, (producer) => producer.close()));
      await Promise.all(Array.from(this.transactionProducers, (producer) => producer.close()));
      await this.connection.close();
    })();
    return this.closing;
  }
}
