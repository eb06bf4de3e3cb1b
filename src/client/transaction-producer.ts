/**
 * Transactional messages, RocketMQ style: `begin()` → `tx.send(...)` any
 * number of times (half messages: durable, invisible to consumers) →
 * `tx.commit()` or `tx.rollback()`; or `sendInTransaction(topic, message,
 * localTx)` in one call.
 *
 * A transaction producer registers its client for its producer group as soon
 * as it is made (`ready` resolves when the broker knows it) and answers the
 * broker's check-backs for the group with `checkLocalTransaction` — for
 * transactions of any producer of the group, e.g. one that died between its
 * half message and its commit. The registration is renewed after every
 * reconnect; closing the producer (or the client) ends it.
 *
 * A commit or rollback whose answer is lost (connection dropped, timeout)
 * rejects with `TransactionOutcomeUnknownError` carrying the transaction id:
 * the broker settles the transaction (by the retried request or by a
 * check-back), and `client.transactionStatus(id)` tells the outcome.
 */
import { ActorMqError, ConnectionClosedError, MessageTooLargeError, TimeoutError, TransactionOutcomeUnknownError } from '../protocol/errors.js';
import type { CheckAnswer, ProduceEntry, TransactionOutcome, TransactionState, TxnCheckFrame } from '../protocol/frames.js';
import { encodeRecordBatch } from '../protocol/record-batch.js';
import type { Connection } from './connection.js';
import type { Metadata } from './metadata.js';
import { keyBytes, partitionForKey } from './partitioner.js';
import type { Message } from './types.js';
import { checkOptionNames, checkTopicName, invalid } from './validate.js';

/** What a check-back asks about. */
export interface TransactionCheck {
  /** The transaction id (as `tx.id` was when it began). */
  id: string;
  group: string;
  ageMs: number;
  /** Checks answered so far. */
  checks: number;
}

export type LocalTransactionResult = CheckAnswer;

export interface TransactionProducerOptions {
  /** The producer group: producers of one group answer each other's check-backs. */
  group: string;
  /** Answers a check-back from the local state: 'commit' | 'rollback' | 'unknown' (a throw counts as 'unknown'). */
  checkLocalTransaction: (check: TransactionCheck) => LocalTransactionResult | Promise<LocalTransactionResult>;
}

/** Where a half message will go once committed. */
export interface HalfMessageResult { topic: string; partition: number }

export interface SendInTransactionResult {
  transactionId: string;
  /** What the local transaction answered ('unknown' when it threw). */
  local: LocalTransactionResult;
  /** The transaction's state after the producer acted: 'committed', 'rolledBack', or 'half' when it was left to the check-back. */
  state: TransactionState;
}

/** The plumbing a transaction producer shares with its client. */
export interface TransactionRuntime {
  connection: Connection;
  metadata: Metadata;
  /** Routes `txnCheck` pushes of a group to `handler`; returns the function that removes the route. */
  routeChecks(group: string, handler: (frame: TxnCheckFrame) => void): () => void;
}

const answers = new Set<unknown>(['commit', 'rollback', 'unknown']);

/** Per connection and group, the producer that answers check-backs: the most recent one (the broker registers a connection once per group). */
const checkers = new WeakMap<Connection, Map<string, TransactionProducer>>();

export class TransactionProducer {
  readonly group: string;
  /** Resolves once the broker knows this client as a producer of the group (check-backs may come from then on). */
  readonly ready: Promise<void>;
  private readonly check: TransactionProducerOptions['checkLocalTransaction'];
  private readonly stopRouting: () => void;
  private readonly stopWatching: () => void;
  private nextPartition = 0;
  private closed = false;

  constructor(private readonly runtime: TransactionRuntime, options: TransactionProducerOptions, private readonly onClose: (producer: TransactionProducer) => void) {
    checkOptionNames('transactionProducer', options, ['group', 'checkLocalTransaction']);
    if (typeof options.group !== 'string' || options.group.length === 0) throw invalid(`group must be a non-empty string, got ${JSON.stringify(options.group)}`);
    if (typeof options.checkLocalTransaction !== 'function') throw invalid('checkLocalTransaction must be a function');
    this.group = options.group;
    this.check = options.checkLocalTransaction;
    this.stopRouting = runtime.routeChecks(this.group, (frame) => void this.answer(frame));
    let byGroup = checkers.get(runtime.connection);
    if (!byGroup) checkers.set(runtime.connection, (byGroup = new Map()));
    byGroup.set(this.group, this);
    // The broker forgets a socket's registrations when it closes: register again (the request waits for the next socket).
    this.stopWatching = runtime.connection.onDisconnect(() => void this.register().catch(() => undefined));
    this.ready = this.register();
    this.ready.catch(() => undefined); // observed through `ready` by whoever awaits it
  }

  /** Begins a transaction on the broker. */
  async begin(): Promise<Transaction> {
    this.checkOpen();
    const body = await this.runtime.connection.request({ type: 'txnBegin', group: this.group });
    return new Transaction(body.transactionId, this);
  }

  /**
   * Sends `message` as a half message in a new transaction, runs `localTx`,
   * then commits or rolls back as it answers. 'unknown' (or a throw) leaves
   * the transaction to the check-back. Rejects when the half message could
   * not be stored (`localTx` then never runs), and with
   * TransactionOutcomeUnknownError when the outcome's answer is lost.
   */
  async sendInTransaction(topic: string, message: Message, localTx: (tx: Transaction) => LocalTransactionResult | Promise<LocalTransactionResult>): Promise<SendInTransactionResult> {
    this.checkOpen();
    if (typeof localTx !== 'function') throw invalid('localTx must be a function');
    const entry = await this.entry(topic, message);
    const body = await this.runtime.connection.request({ type: 'txnBegin', group: this.group, entries: [entry] });
    const tx = new Transaction(body.transactionId, this);
    let local: LocalTransactionResult;
    try {
      local = await localTx(tx);
      if (!answers.has(local)) local = 'unknown';
    } catch {
      local = 'unknown';
    }
    if (local === 'unknown') return { transactionId: tx.id, local, state: 'half' };
    return { transactionId: tx.id, local, state: await tx.end(local) };
  }

  /**
   * Stops answering check-backs here (other producers of the group still do).
   * Transactions already begun stay valid. Of several producers of one group
   * on one client, the most recent answers the checks.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopRouting();
    this.stopWatching();
    this.onClose(this);
    const byGroup = checkers.get(this.runtime.connection);
    if (byGroup?.get(this.group) !== this) return; // a newer producer of the group on this client answers its checks
    byGroup.delete(this.group);
    if (!this.runtime.connection.isClosed) {
      await this.runtime.connection.request({ type: 'txnUnregister', group: this.group }).catch(() => undefined);
    }
  }

  /** One half message as a single-record batch, to the key's partition (keyless: round-robin). */
  async entry(topic: string, message: Message): Promise<ProduceEntry> {
    checkTopicName(topic);
    if (typeof message !== 'object' || message === null) throw invalid('message must be an object with a value');
    const { key } = message;
    if (key !== undefined && key !== null && typeof key !== 'string' && !(key instanceof Uint8Array)) throw invalid('key must be a string or a Uint8Array');
    const partitions = await this.runtime.metadata.partitionCount(topic);
    const partition = key === undefined || key === null ? this.nextPartition++ % partitions : partitionForKey(keyBytes(key), partitions);
    let batch: Uint8Array;
    try {
      batch = encodeRecordBatch([message], { now: Date.now() });
    } catch (error) {
      throw invalid(`message cannot be encoded (${(error as Error).message})`);
    }
    const { maxBatchBytes } = this.runtime.connection.limits;
    if (batch.length > maxBatchBytes) throw new MessageTooLargeError(`message needs a ${batch.length}-byte batch; the broker's maxBatchBytes is ${maxBatchBytes}`);
    return { topic, partition, batch };
  }

  get connection(): Connection {
    return this.runtime.connection;
  }

  private register(): Promise<void> {
    return this.runtime.connection.request({ type: 'txnRegister', group: this.group }).then(() => undefined);
  }

  private async answer(frame: TxnCheckFrame): Promise<void> {
    let answer: LocalTransactionResult;
    try {
      answer = await this.check({ id: frame.transactionId, group: frame.group, ageMs: frame.ageMs, checks: frame.checks });
      if (!answers.has(answer)) answer = 'unknown';
    } catch {
      answer = 'unknown';
    }
    const request = { type: 'txnCheckAnswer' as const, group: frame.group, transactionId: frame.transactionId, checkId: frame.checkId, answer };
    // A refused answer (the transaction ended meanwhile) or a lost one needs nothing: the broker asks again if it must.
    await this.runtime.connection.request(request).catch(() => undefined);
  }

  private checkOpen(): void {
    if (this.closed) throw new ConnectionClosedError('the transaction producer is closed');
  }
}

/** One transaction: `id`, then sends, then exactly one of commit / rollback. */
export class Transaction {
  /** The outcome request in flight or answered; a retry of the same outcome reuses it. */
  private ending: { outcome: TransactionOutcome; answer: Promise<TransactionState> } | undefined;

  constructor(readonly id: string, private readonly producer: TransactionProducer) {}

  /** Adds a half message; resolves once it is durable on the broker (invisible until commit). */
  async send(topic: string, message: Message): Promise<HalfMessageResult> {
    const entry = await this.producer.entry(topic, message);
    await this.producer.connection.request({ type: 'txnSend', group: this.producer.group, transactionId: this.id, entries: [entry] });
    return { topic, partition: entry.partition };
  }

  /** Resolves once every message is visible; TransactionOutcomeUnknownError when the answer is lost. */
  async commit(): Promise<void> {
    await this.end('commit');
  }

  /** Resolves once the rollback is durable; nothing of the transaction is ever visible. */
  async rollback(): Promise<void> {
    await this.end('rollback');
  }

  /** @internal */
  end(outcome: TransactionOutcome): Promise<TransactionState> {
    if (this.ending?.outcome === outcome) return this.ending.answer;
    const answer = this.producer.connection
      .request({ type: 'txnEnd', group: this.producer.group, transactionId: this.id, outcome })
      .then((body) => body.state, (error: unknown) => {
        if (this.ending?.answer === answer) this.ending = undefined; // a later call may try again
        throw outcomeError(this.id, outcome, error);
      });
    this.ending = { outcome, answer };
    return answer;
  }
}

/** A lost answer is not a refusal: the broker may have recorded the outcome. */
function outcomeError(id: string, outcome: TransactionOutcome, error: unknown): unknown {
  if (error instanceof ConnectionClosedError || error instanceof TimeoutError || (error instanceof ActorMqError && error.code === 'SHUTTING_DOWN')) {
    return new TransactionOutcomeUnknownError(id, `the ${outcome} of transaction ${id} was sent but its answer was lost (${error.message}); the broker settles it, see transactionStatus`, { cause: error });
  }
  return error;
}
