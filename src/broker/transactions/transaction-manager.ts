/**
 * The `transactions` service (supervision: broker → transaction manager →
 * transaction). Runs one `transactionMachine` actor per transaction (`txn/<id>`)
 * and supplies its I/O: durable outcome records and commit appends, check-backs
 * through the producer groups. Requests act only after asking the machine
 * whether it accepts the event (`snapshot.can`), so a refused request changes
 * nothing.
 *
 * The half log recovers from a failed sync by itself (reopened from disk,
 * half-log.ts): outcome.failed and a refused half message mean the record is
 * not in it; everything else carries on.
 *
 * Transaction ids are `txn-<producerId>`: each transaction reserves a producer
 * id (unique across restarts) that stamps its commit batches, making a
 * re-applied commit a duplicate the partitions recognise.
 */
import { createActor } from 'xstate';
import { transactionMachine, type TransactionEvent } from '../../../machines/transaction.machine.js';
import { ActorMqError, echoName } from '../../protocol/errors.js';
import type {
  CheckAnswer, ListTransactionsBody, ProduceEntry, TransactionOutcome, TransactionState, TransactionSummary, TxnBeginBody, TxnEndBody, TxnSendBody, TxnStatusBody,
} from '../../protocol/frames.js';
import { topicNamePattern } from '../../protocol/limits.js';
import { checkBatch, readBatchHeader, recordFramingError } from '../../protocol/record-batch.js';
import type { Logger } from '../../logger.js';
import type { SegmentDescriptorCache } from '../../storage/index.js';
import type { ActorEnvironment } from '../actor-environment.js';
import { ActorParents } from '../actor-parents.js';
import type { MetadataStore } from '../metadata-store.js';
import type { ResolvedBrokerOptions } from '../options.js';
import type { TopicRegistry } from '../topic-registry.js';
import { CheckDispatcher } from './check-dispatcher.js';
import { commitBatch, commitBatchBoundBytes, entriesByPartition, partitionKeyOf } from './commit-batch.js';
import { HalfLog, type HalfEntry, type HalfRecord, type ReplayedTransaction } from './half-log.js';
import { ProducerGroups, type ProducerConnection } from './producer-groups.js';
import { assertTransactionLimits, defaultTransactionLimits, type TransactionLimits } from './transaction-limits.js';
import { Transaction, type PartitionHold } from './transaction.js';

export interface TransactionFaults {
  /** Called after each partition append of a commit (fault-injection tests crash the broker here). */
  afterCommitAppend?(transactionId: string, appendedPartitions: number): void;
}

export interface TransactionDeps {
  topics: TopicRegistry;
  metadata: MetadataStore;
  options: ResolvedBrokerOptions;
  environment: ActorEnvironment;
  /** The broker's, shared with every other log (the half log's sealed segments count against it). */
  descriptorCache: SegmentDescriptorCache;
  logger: Logger;
  limits?: TransactionLimits;
  faults?: TransactionFaults;
}

/** An ended transaction past maxEndedRemembered: its outcome only. */
interface EndedOutcome { group: string; state: TransactionState }

export class TransactionManager {
  private readonly live = new Map<string, Transaction>();
  private readonly byGroup = new Map<string, Set<Transaction>>();
  /** Recently ended transactions, whole (history included), oldest first. */
  private readonly ended = new Map<string, TxnStatusBody>();
  /** Older ended ones, outcome only, oldest first: a client whose commit answer was lost can still learn it. */
  private readonly endedOutcomes = new Map<string, EndedOutcome>();
  private readonly producers: ProducerGroups;
  private readonly dispatcher: CheckDispatcher;
  private readonly limits: TransactionLimits;
  private readonly machine;
  /** Transaction actors are children of a few parents, sharing their actor systems (actor-parents.ts). */
  private readonly parents: ActorParents;
  private readonly applying = new Set<Promise<void>>();
  /** Timers of half-log records to write again (writeUntilStored). */
  private readonly markRetries = new Set<unknown>();
  private closing = false;

  private constructor(private readonly halfLog: HalfLog, private readonly deps: TransactionDeps) {
    this.limits = deps.limits ?? defaultTransactionLimits;
    assertTransactionLimits(this.limits);
    this.producers = new ProducerGroups(this.limits.maxProducerGroups, this.limits.maxProducersPerGroup);
    this.dispatcher = new CheckDispatcher(this.producers, {
      checkTimeoutMs: deps.options.transactions.checkTimeoutMs,
      maxChecksInFlight: this.limits.maxChecksInFlight,
      clock: deps.options.clock,
      timers: deps.environment.timers,
      unanswered: (txn) => this.sendEvent(txn, { type: 'check.unanswered' }),
    });
    this.parents = new ActorParents(deps.environment.timers);
    this.machine = transactionMachine.provide({
      actions: {
        noteState: ({ context, event }, params: { state: string }) => this.entered(context.id, params.state as TransactionState, event.type),
        requestCheck: ({ context }) => {
          const txn = this.live.get(context.id);
          if (txn) this.dispatcher.start(txn);
        },
        recordOutcome: ({ context }, params: { outcome: TransactionOutcome }) => {
          const txn = this.live.get(context.id);
          if (txn) this.recordOutcome(txn, params.outcome);
        },
      },
    });
  }

  /** Opens the half log, re-applies commits a crash interrupted, and rebuilds every pending transaction (checked checkAfterMs from now). */
  static async start(deps: TransactionDeps): Promise<TransactionManager> {
    const { options, logger } = deps;
    const limits = deps.limits ?? defaultTransactionLimits;
    const halfLog = await HalfLog.open({
      dataDir: options.dataDir,
      maxWriteBytes: options.limits.maxFrameBytes,
      segmentBytes: options.topicDefaults.segmentBytes,
      descriptorCache: deps.descriptorCache,
      clock: options.clock,
      timers: deps.environment.timers,
      reopenBackoffMs: limits.halfLogReopenBackoffMs,
      reopenBackoffMaxMs: limits.halfLogReopenBackoffMaxMs,
      logger,
    });
    const manager = new TransactionManager(halfLog, deps);
    const { pending, unapplied, ended } = await halfLog.replay();
    for (const { id, group, outcome } of ended) manager.remember({ id, group, state: outcome === 'commit' ? 'committed' : 'rolledBack', ageMs: 0, checks: 0, messages: 0, history: [] });
    await Promise.all(unapplied.map((txn) => manager.apply(txn.id, txn.producerId, txn.entries)));
    for (const txn of pending) manager.restore(txn);
    // Only now does the manager know every transaction that needs the log.
    halfLog.rolled = () => setImmediate(() => manager.compactHalfLog()); // not inside the append that rolled
    manager.compactHalfLog();
    logger.info('transactions recovered', { pending: pending.length, reapplied: unapplied.length });
    return manager;
  }

  register(group: string, connection: ProducerConnection): Record<string, never> {
    checkGroupName(group);
    if (this.producers.register(group, connection)) {
      // Checks that found nobody go out now instead of waiting for checkIntervalMs. Only overdue transactions take
      // the event: sent to the others it would change nothing yet show in their history as a step.
      const event: TransactionEvent = { type: 'producer.available' };
      for (const txn of this.byGroup.get(group) ?? []) if (txn.actor.getSnapshot().can(event)) txn.actor.send(event);
    }
    return {};
  }

  unregister(group: string, connectionId: string): Record<string, never> {
    this.producers.unregister(group, connectionId);
    return {};
  }

  connectionClosed(connectionId: string): void {
    this.producers.connectionClosed(connectionId);
    this.dispatcher.connectionClosed(connectionId);
  }

  async begin(group: string, entries: ProduceEntry[] | undefined): Promise<TxnBeginBody> {
    checkGroupName(group);
    this.checkNotClosing();
    this.checkRoom();
    const producerId = await this.deps.metadata.allocateProducerId();
    this.checkRoom(); // again: other begins may have filled the broker while the id was reserved
    const txn = new Transaction(`txn-${producerId}`, group, producerId, this.deps.options.clock(), this.limits.historyLength);
    if (entries?.length) await this.checkEntries(txn, entries); // before anything exists: a refused begin leaves nothing behind
    this.startActor(txn, 0);
    if (!entries?.length) return { transactionId: txn.id, state: txn.state, messages: 0 };
    const body = await this.addEntries(txn, entries);
    return { transactionId: txn.id, ...body };
  }

  async send(group: string, id: string, entries: ProduceEntry[]): Promise<TxnSendBody> {
    const txn = this.find(group, id);
    const event: TransactionEvent = { type: 'txn.send', messages: 1 };
    this.refuseUnless(txn, event);
    await this.checkEntries(txn, entries);
    // Again: an outcome may have started meanwhile, and a half message must never follow its outcome in the log.
    this.refuseUnless(txn, event);
    return this.addEntries(txn, entries);
  }

  async end(group: string, id: string, outcome: TransactionOutcome): Promise<TxnEndBody> {
    const remembered = this.endedSummary(id);
    if (remembered && !this.live.has(id)) return this.alreadyEnded(remembered, group, outcome);
    const txn = this.find(group, id);
    const recording = outcome === 'commit' ? 'committing' : 'rollingBack';
    if (txn.state !== recording) {
      const event: TransactionEvent = outcome === 'commit' ? { type: 'txn.commit' } : { type: 'txn.rollback' };
      this.refuseUnless(txn, event);
      txn.actor.send(event);
    }
    // The same outcome already being recorded (a retry, or a check answer): wait for it.
    return { state: await txn.whenEnded() };
  }

  answerCheck(group: string, id: string, checkId: number, answer: CheckAnswer): Record<string, never> {
    const txn = this.find(group, id);
    if (txn.state !== 'checking' || !this.dispatcher.settle(txn, checkId)) {
      throw new ActorMqError('CHECK_NOT_PENDING', `transaction ${id} is ${txn.state}, not waiting for check ${checkId}`);
    }
    txn.actor.send({ type: 'check.answered', answer });
    if (answer === 'unknown') this.writeMarkers(txn);
    return {};
  }

  async resolve(id: string, outcome: TransactionOutcome): Promise<TxnEndBody> {
    const txn = this.live.get(id);
    if (!txn) {
      const remembered = this.endedSummary(id);
      if (remembered) throw new ActorMqError('TRANSACTION_ALREADY_ENDED', `transaction ${id} is already ${remembered.state}`);
      throw new ActorMqError('UNKNOWN_TRANSACTION', `no transaction ${echoName(id)}`);
    }
    if (txn.state !== 'parked') throw new ActorMqError('INVALID_REQUEST', `transaction ${id} is ${txn.state}; only parked transactions are resolved by an operator`);
    txn.actor.send({ type: 'txn.resolve', outcome });
    return { state: await txn.whenEnded() };
  }

  status(id: string): TxnStatusBody {
    const txn = this.live.get(id);
    if (txn) return { ...txn.summary(this.deps.options.clock()), history: [...txn.history] };
    const remembered = this.endedSummary(id);
    if (remembered) return remembered;
    throw new ActorMqError('UNKNOWN_TRANSACTION', `no transaction ${echoName(id)} (never begun, or ended and forgotten)`);
  }

  list(): ListTransactionsBody {
    const now = this.deps.options.clock();
    const transactions: TransactionSummary[] = [];
    for (const txn of this.live.values()) {
      if (transactions.length >= this.limits.maxListed) break;
      transactions.push(txn.summary(now));
    }
    return { transactions, total: this.live.size };
  }

  get openCount(): number {
    return this.live.size;
  }

  /** Stops every actor (pending transactions stay in the half log), waits for commits being applied, closes the log. */
  async close(): Promise<void> {
    this.closing = true;
    this.dispatcher.close();
    for (const timer of this.markRetries) this.deps.environment.timers.clearTimeout(timer);
    this.markRetries.clear();
    await Promise.all([...this.applying]);
    for (const txn of this.live.values()) this.parents.stop(txn.parent, txn.actor);
    this.parents.close();
    await this.halfLog.close();
  }

  /**
   * Keeps the half log short. After each roll, a live transaction whose
   * first record is older than the newest sealed segment is restated whole
   * at the head (one `r` record: its half messages, checks, parking), and
   * the sealed segments below the first record of the oldest live
   * transaction are deleted — everything there belongs to transactions that
   * ended, or was restated. A transaction with a write in flight, or whose
   * outcome is being recorded, is restated at a later roll.
   */
  compactHalfLog(): void {
    if (this.closing) return;
    const restated = this.restateOldTransactions();
    this.deleteUnneededHalfLog();
    if (restated.length > 0) void Promise.allSettled(restated).then(() => this.deleteUnneededHalfLog());
  }

  private restateOldTransactions(): Array<Promise<void>> {
    const below = this.halfLog.newestSealedBaseOffset;
    if (below === undefined) return [];
    const writes: Array<Promise<void>> = [];
    for (const txn of this.live.values()) {
      if (txn.firstOffset === undefined || txn.firstOffset >= below || txn.writesInFlight > 0) continue;
      if (txn.state === 'committing' || txn.state === 'rollingBack' || txn.entryBytes > this.deps.options.limits.maxFrameBytes / 2) continue;
      const record: HalfRecord = {
        k: 'r', g: txn.group, p: txn.producerId, c: txn.checks, pk: txn.state === 'parked', f: txn.createdAt,
        e: txn.entries.map((entry) => ({ t: entry.topic, n: entry.partition, b: entry.batch })),
      };
      txn.writesInFlight++;
      writes.push(this.halfLog.write(txn.id, [record]).then(
        (offset) => {
          txn.firstOffset = offset; // its older records are no longer needed
        },
        (error: unknown) => this.deps.logger.warn('could not restate a transaction in the half log; it keeps its older segments', { transaction: txn.id, error }),
      ).finally(() => txn.writesInFlight--));
    }
    return writes;
  }

  private deleteUnneededHalfLog(): void {
    if (this.closing) return;
    let needed = Infinity;
    for (const txn of this.live.values()) if (txn.firstOffset !== undefined) needed = Math.min(needed, txn.firstOffset);
    const deleted = this.halfLog.deleteBelow(needed);
    if (deleted > 0) this.deps.logger.info('half log compacted', { deletedSegments: deleted, keptFromOffset: needed });
  }

  private startActor(txn: Transaction, checks: number): void {
    const { checkAfterMs, checkIntervalMs, maxChecks, timeoutMs } = this.deps.options.transactions;
    this.live.set(txn.id, txn);
    let members = this.byGroup.get(txn.group);
    if (!members) this.byGroup.set(txn.group, (members = new Set()));
    members.add(txn);
    txn.parent = this.parents.take();
    txn.actor = createActor(this.machine, {
      id: `txn/${txn.id}`,
      input: { id: txn.id, group: txn.group, checkAfterMs, checkIntervalMs, maxChecks, timeoutMs, checks },
      parent: txn.parent.actor,
    });
    txn.inspected = this.deps.environment.inspector.observeReported('transaction', txn.actor, (c: { group: string; messages: number; checks: number; unansweredChecks: number }) => ({
      group: c.group, messages: c.messages, checks: c.checks, unansweredChecks: c.unansweredChecks,
    }));
    txn.actor.start();
  }

  private restore(replayed: ReplayedTransaction): void {
    const txn = new Transaction(replayed.id, replayed.group, replayed.producerId, replayed.firstAt, this.limits.historyLength);
    txn.firstOffset = replayed.firstOffset;
    for (const entry of replayed.entries) this.hold(txn, entry);
    this.startActor(txn, replayed.checks);
    txn.actor.send({ type: 'txn.restore', messages: txn.recordCount, parked: replayed.parked });
  }

  private entered(id: string, state: TransactionState, cause: string): void {
    const txn = this.live.get(id);
    if (!txn) return;
    this.deps.environment.inspector.reportCause(txn.inspected, cause);
    if (state !== 'checking') this.dispatcher.cancel(txn);
    txn.entered(state, cause, this.deps.options.clock());
    if (txn.ended) this.retire(txn);
  }

  private retire(txn: Transaction): void {
    this.live.delete(txn.id);
    this.parents.release(txn.parent);
    const members = this.byGroup.get(txn.group);
    members?.delete(txn);
    if (members?.size === 0) this.byGroup.delete(txn.group);
    this.remember({ ...txn.summary(this.deps.options.clock()), history: txn.history }); // an ended transaction's history no longer changes
  }

  private remember(summary: TxnStatusBody): void {
    this.ended.delete(summary.id);
    this.endedOutcomes.delete(summary.id);
    this.ended.set(summary.id, summary);
    if (this.ended.size > this.limits.maxEndedRemembered) {
      const [id, oldest] = this.ended.entries().next().value!;
      this.ended.delete(id);
      this.endedOutcomes.set(id, { group: oldest.group, state: oldest.state });
      if (this.endedOutcomes.size > this.limits.maxEndedOutcomesRemembered) this.endedOutcomes.delete(this.endedOutcomes.keys().next().value!);
    }
  }

  /** An ended transaction as remembered: whole if recent, else its outcome only (no history, age or counts). */
  private endedSummary(id: string): TxnStatusBody | undefined {
    const recent = this.ended.get(id);
    if (recent) return recent;
    const outcome = this.endedOutcomes.get(id);
    return outcome && { id, group: outcome.group, state: outcome.state, ageMs: 0, checks: 0, messages: 0, history: [] };
  }

  private find(group: string, id: string): Transaction {
    checkGroupName(group);
    const txn = this.live.get(id);
    if (!txn) {
      const remembered = this.endedSummary(id);
      if (remembered?.group === group) throw new ActorMqError('TRANSACTION_ALREADY_ENDED', `transaction ${id} is already ${remembered.state}`);
      throw new ActorMqError('UNKNOWN_TRANSACTION', `no transaction ${echoName(id)} (never begun, timed out, or ended and forgotten)`);
    }
    if (txn.group !== group) throw new ActorMqError('TRANSACTION_GROUP_MISMATCH', `transaction ${id} belongs to producer group ${txn.group}, not ${echoName(group)}`);
    return txn;
  }

  private alreadyEnded(summary: TxnStatusBody, group: string, outcome: TransactionOutcome): TxnEndBody {
    if (summary.group !== group) throw new ActorMqError('TRANSACTION_GROUP_MISMATCH', `transaction ${summary.id} belongs to producer group ${summary.group}, not ${echoName(group)}`);
    const same = (outcome === 'commit') === (summary.state === 'committed');
    if (same) return { state: summary.state }; // a retried commit (or rollback) whose first answer was lost
    throw new ActorMqError('TRANSACTION_ALREADY_ENDED', `transaction ${summary.id} is already ${summary.state}`);
  }

  private refuseUnless(txn: Transaction, event: TransactionEvent): void {
    if (txn.actor.getSnapshot().can(event)) return;
    throw new ActorMqError('TRANSACTION_ALREADY_ENDED', `transaction ${txn.id} is ${txn.state}: ${event.type} refused, nothing changed`);
  }

  private sendEvent(txn: Transaction, event: TransactionEvent): void {
    if (this.live.get(txn.id) === txn) txn.actor.send(event);
  }

  /** Refuses a bad entry before anything is written: batch header and CRC, topic, partition, the transaction's bounds. */
  private async checkEntries(txn: Transaction, entries: ProduceEntry[]): Promise<void> {
    const { limits, autoCreateTopics, defaultPartitions } = this.deps.options;
    if (entries.length === 0 || entries.length > limits.maxEntriesPerRequest) throw new ActorMqError('INVALID_REQUEST', `entries must hold 1-${limits.maxEntriesPerRequest} batches`);
    let records = txn.recordCount;
    let bytes = txn.entryBytes;
    const commits = new Map<string, PartitionHold>();
    for (const entry of entries) {
      const check = checkBatch(entry.batch, 0, limits, true);
      if (!check.ok) throw new ActorMqError(check.code, check.reason);
      const framing = recordFramingError(entry.batch);
      if (framing !== undefined) throw new ActorMqError('CORRUPT_BATCH', framing);
      if (autoCreateTopics && !this.deps.topics.get(entry.topic)) await this.deps.topics.create(entry.topic, defaultPartitions);
      this.deps.topics.partition(entry.topic, entry.partition); // UNKNOWN_TOPIC / UNKNOWN_PARTITION
      records += check.header.recordCount;
      bytes += entry.batch.length;
      // The commit appends this partition's half messages as one batch: it must pass the limits of any batch.
      const key = partitionKeyOf(entry);
      const held = commits.get(key) ?? txn.holdFor(key);
      const hold = { batches: held.batches + 1, bytes: held.bytes + entry.batch.length, records: held.records + check.header.recordCount };
      commits.set(key, hold);
      const commitBytes = commitBatchBoundBytes(hold.bytes, hold.batches, hold.records);
      if (commitBytes > limits.maxBatchBytes || hold.records > limits.maxRecordsPerBatch) {
        throw new ActorMqError('MESSAGE_TOO_LARGE', `transaction ${txn.id} would commit ${hold.records} messages (up to ${commitBytes} bytes) to ${entry.topic}/${entry.partition} in one batch, over maxBatchBytes ${limits.maxBatchBytes} or maxRecordsPerBatch ${limits.maxRecordsPerBatch}; nothing changed`);
      }
    }
    if (records > this.limits.maxMessagesPerTransaction) throw new ActorMqError('TOO_MANY_TRANSACTIONS', `transaction ${txn.id} would hold ${records} messages, over maxMessagesPerTransaction ${this.limits.maxMessagesPerTransaction}`);
    if (bytes > this.limits.maxBytesPerTransaction) throw new ActorMqError('MESSAGE_TOO_LARGE', `transaction ${txn.id} would hold ${bytes} bytes, over maxBytesPerTransaction ${this.limits.maxBytesPerTransaction}`);
  }

  /**
   * Half messages are durable before the transaction counts them (and before
   * the request is answered). Called in the same turn as the state check: the
   * write is queued before any outcome record, which waits for `halfWrites`.
   * A write whose sync failed is answered once the half log was reopened: it
   * counts if the re-read log holds it and is refused (STORAGE_ERROR) only if
   * not, so the machine's message count is always what the log holds.
   */
  private async addEntries(txn: Transaction, entries: ProduceEntry[]): Promise<TxnSendBody> {
    const records: HalfRecord[] = entries.map((entry) => ({ k: 'h', g: txn.group, p: txn.producerId, t: entry.topic, n: entry.partition, b: entry.batch }));
    txn.writesInFlight++;
    const written = this.halfLog.write(txn.id, records).then((offset) => {
      txn.firstOffset ??= offset;
      entries.forEach((entry) => this.hold(txn, entry));
    }).finally(() => txn.writesInFlight--);
    txn.halfWrites = txn.halfWrites.then(() => written).catch(() => undefined);
    await written;
    const messages = entries.reduce((sum, entry) => sum + readBatchHeader(entry.batch).recordCount, 0);
    const event: TransactionEvent = { type: 'txn.send', messages };
    if (this.live.get(txn.id) === txn && txn.actor.getSnapshot().can(event)) txn.actor.send(event);
    else if (txn.state === 'rolledBack' || txn.state === 'rollingBack') this.refuseUnless(txn, event);
    return { state: txn.state, messages: txn.recordCount };
  }

  private hold(txn: Transaction, entry: HalfEntry): void {
    // A small batch is a view into the frame it came in (and that into a larger socket buffer): copy it, so a
    // transaction kept for minutes holds its own bytes only.
    const batch = entry.batch.length <= smallBatchBytes ? pooledCopy(entry.batch) : entry.batch;
    txn.add({ topic: entry.topic, partition: entry.partition, batch }, readBatchHeader(entry.batch).recordCount);
  }

  /**
   * Runs the outcome's I/O and reports it to the machine: outcome.recorded, or
   * outcome.failed only when the record is not in the half log (a write whose
   * sync failed is answered after the log was reopened from disk, half-log.ts).
   */
  private recordOutcome(txn: Transaction, outcome: TransactionOutcome): void {
    this.writeOutcome(txn, outcome).then(
      async (written) => {
        // A recorded commit stands: applying it only waits for the partitions, however long.
        if (written && outcome === 'commit') await this.apply(txn.id, txn.producerId, txn.entries);
        this.sendEvent(txn, { type: 'outcome.recorded' });
      },
      (error: unknown) => {
        txn.lastError = error instanceof Error ? error.message : String(error);
        this.sendEvent(txn, { type: 'outcome.failed', error: txn.lastError });
      },
    );
  }

  /** Writes the outcome record after the transaction's half messages; false when there is nothing to record (no message). */
  private async writeOutcome(txn: Transaction, outcome: TransactionOutcome): Promise<boolean> {
    await txn.halfWrites;
    if (txn.entries.length === 0) return false;
    await this.halfLog.write(txn.id, [{ k: 'o', g: txn.group, o: outcome }]);
    return true;
  }

  /** Appends a committed transaction's messages, one batch per partition; idempotent, so safe to repeat after a crash. */
  private apply(id: string, producerId: number, entries: readonly HalfEntry[]): Promise<void> {
    const run = this.applyNow(id, producerId, entries).finally(() => this.applying.delete(run));
    this.applying.add(run);
    return run;
  }

  private async applyNow(id: string, producerId: number, entries: readonly HalfEntry[]): Promise<void> {
    let appended = 0;
    for (const list of entriesByPartition(entries).values()) {
      const { topic, partition } = list[0]!;
      const batch = commitBatch(list, producerId);
      for (let delayMs = this.limits.applyRetryMs; ; delayMs = this.nextRetryMs(delayMs)) {
        try {
          await this.deps.topics.partition(topic, partition).append(batch, readBatchHeader(batch));
          break;
        } catch (error) {
          if (this.closing) return; // re-applied on the next start
          this.deps.logger.warn('commit append failed; retrying', { transaction: id, topic, partition, error });
          await new Promise((resolve) => this.deps.environment.timers.setTimeout(resolve, delayMs));
        }
      }
      this.deps.faults?.afterCommitAppend?.(id, ++appended);
    }
    this.markApplied(id);
  }

  /**
   * Records that a commit's messages are all in their partitions: a commit
   * without the mark is re-applied at the next start, and a partition
   * recognises the re-applied batches as duplicates only while it remembers
   * the transaction's producer id, so a mark missing for long stores them
   * twice.
   */
  private markApplied(id: string): void {
    this.writeUntilStored(id, 'the applied mark of a commit', () => [{ k: 'a' }]);
  }

  /**
   * Records the answered checks (and parking) of a live transaction, as they
   * are when written: without them a restart would check it more often than
   * maxChecks and forget its parking. Once it ended its outcome supersedes them.
   */
  private writeMarkers(txn: Transaction): void {
    this.writeUntilStored(txn.id, 'a check answer', () => {
      if (this.live.get(txn.id) !== txn) return undefined;
      const checks: HalfRecord = { k: 'c', g: txn.group, c: txn.checks };
      return txn.state === 'parked' ? [checks, { k: 'p', g: txn.group }] : [checks];
    });
  }

  /**
   * Writes `records()` to the half log, and again on the broker's timers
   * (backing off like commit appends) after each failed write, until it is
   * in or `records()` has nothing left to write.
   */
  private writeUntilStored(id: string, what: string, records: () => HalfRecord[] | undefined, delayMs = this.limits.applyRetryMs): void {
    const now = records();
    if (!now) return;
    this.halfLog.write(id, now).catch((error: unknown) => {
      if (this.closing) return; // close() cleared the timers: the next start takes over
      this.deps.logger.warn(`could not record ${what}; retrying`, { transaction: id, error, retryInMs: delayMs });
      const timer = this.deps.environment.timers.setTimeout(() => {
        this.markRetries.delete(timer);
        this.writeUntilStored(id, what, records, this.nextRetryMs(delayMs));
      }, delayMs);
      this.markRetries.add(timer);
    });
  }

  /** The backoff of commit appends and half-log retries: doubling up to applyRetryMaxMs. */
  private nextRetryMs(delayMs: number): number {
    return Math.min(delayMs * 2, this.limits.applyRetryMaxMs);
  }

  private checkRoom(): void {
    if (this.live.size >= this.limits.maxOpenTransactions) {
      throw new ActorMqError('TOO_MANY_TRANSACTIONS', `broker holds maxOpenTransactions ${this.limits.maxOpenTransactions}`);
    }
  }

  private checkNotClosing(): void {
    if (this.closing) throw new ActorMqError('SHUTTING_DOWN', 'the broker is shutting down');
  }
}

const maxGroupNameLength = 249;
/** Half message batches up to this size are copied out of their frame (see hold). */
const smallBatchBytes = 4 * 1024;

/**
 * A copy in Node's shared 8 KiB buffer pool (sizes below 4 KiB): no
 * ArrayBuffer and backing store of its own (~250 bytes less per open
 * transaction); a long-lived transaction keeps at most one pool slab alive.
 * A plain Uint8Array view, so `slice` still copies.
 */
function pooledCopy(bytes: Uint8Array): Uint8Array {
  const pooled = Buffer.allocUnsafe(bytes.length);
  pooled.set(bytes);
  return new Uint8Array(pooled.buffer, pooled.byteOffset, bytes.length);
}

function checkGroupName(group: string): void {
  if (group.length === 0 || group.length > maxGroupNameLength || !topicNamePattern.test(group)) {
    throw new ActorMqError('INVALID_REQUEST', `producer group must be 1-${maxGroupNameLength} characters of [a-zA-Z0-9._-], got ${echoName(group)}`);
  }
}
