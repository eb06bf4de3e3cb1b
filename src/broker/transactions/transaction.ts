/**
 * Runtime state of one transaction beside its actor: the half messages it
 * holds (also in the half log), its bounded history, and the callers waiting
 * for its outcome. The actor (`txn/<id>`) runs `transactionMachine`; the
 * manager creates it and supplies the machine's I/O.
 */
import type { Actor } from 'xstate';
import type { transactionMachine } from '../../../machines/transaction.machine.js';
import { ActorMqError } from '../../protocol/errors.js';
import type { ReportedActor } from '../../inspect/inspector.js';
import type { ActorParent } from '../actor-parents.js';
import type { TransactionHistoryEntry, TransactionState, TransactionSummary } from '../../protocol/frames.js';
import type { HalfEntry } from './half-log.js';
import { partitionKeyOf } from './commit-batch.js';

export const endStates: ReadonlySet<TransactionState> = new Set(['committed', 'rolledBack']);

/** A check sent to a producer and not yet answered. */
export interface PendingCheck {
  checkId: number;
  connectionId: string;
  /** Connections already asked for this check. */
  tried: Set<string>;
  timer: unknown;
}

/** What a transaction holds for one partition: its commit appends it as one batch. */
export interface PartitionHold { batches: number; bytes: number; records: number }

export const emptyHold: PartitionHold = { batches: 0, bytes: 0, records: 0 };

/** The half-log writes of a transaction that has made none (shared: one resolved promise for all). */
const noWrites: Promise<void> = Promise.resolve();

interface EndWaiter { resolve(state: TransactionState): void; reject(error: unknown): void }

export class Transaction {
  actor!: Actor<typeof transactionMachine>;
  /** The parent its actor was created under (ActorParents). */
  parent!: ActorParent;
  /** Its inspector record: each transition's cause is reported to it (Inspector.observeReported). */
  inspected!: ReportedActor;
  readonly entries: HalfEntry[] = [];
  entryBytes = 0;
  recordCount = 0;
  /** Per partition key, what its commit batch will hold; made at the second half batch (one batch is its own hold, and most transactions hold one). */
  private holds: Map<string, PartitionHold> | undefined;
  readonly history: TransactionHistoryEntry[] = [];
  state: TransactionState = 'open';
  pendingCheck: PendingCheck | undefined;
  /** Offset of its first half message in the half log (once durable): the log below it holds nothing it needs. */
  firstOffset: number | undefined;
  /** Its half-log writes of half messages or a restatement not yet answered (compaction restates only one without). */
  writesInFlight = 0;
  /** Half-log writes of this transaction still in flight: an outcome is recorded only after them. */
  halfWrites: Promise<void> = noWrites;
  lastError: string | undefined;
  /** Made when someone first waits (most transactions are never waited on: an open one costs no array). */
  private endWaiters: EndWaiter[] | undefined;

  constructor(
    readonly id: string,
    readonly group: string,
    readonly producerId: number,
    readonly createdAt: number,
    private readonly historyLength: number,
  ) {}

  get checks(): number {
    return this.actor.getSnapshot().context.checks;
  }

  /** Holds a half batch (after it is durable). */
  add(entry: HalfEntry, records: number): void {
    if (this.entries.length === 1) {
      const firstKey = partitionKeyOf(this.entries[0]!);
      this.holds = new Map([[firstKey, this.holdFor(firstKey)]]);
    }
    this.entries.push(entry);
    this.entryBytes += entry.batch.length;
    this.recordCount += records;
    if (this.holds) {
      const key = partitionKeyOf(entry);
      const held = this.holds.get(key) ?? emptyHold;
      this.holds.set(key, { batches: held.batches + 1, bytes: held.bytes + entry.batch.length, records: held.records + records });
    }
  }

  /** What the commit batch of partition `key` holds so far. */
  holdFor(key: string): PartitionHold {
    if (this.holds) return this.holds.get(key) ?? emptyHold;
    const only = this.entries[0];
    return only && partitionKeyOf(only) === key ? { batches: 1, bytes: only.batch.length, records: this.recordCount } : emptyHold;
  }

  get ended(): boolean {
    return endStates.has(this.state);
  }

  /** Called from the machine's entry actions (`noteState`). */
  entered(state: TransactionState, cause: string, at: number): void {
    const previous = this.state;
    this.state = state;
    this.history.push({ state, at, cause: describeCause(cause) });
    if (this.history.length > this.historyLength) this.history.shift();
    if (endStates.has(state)) this.settleWaiters((waiter) => waiter.resolve(state));
    else if (state === 'half' && (previous === 'committing' || previous === 'rollingBack')) {
      const error = new ActorMqError('STORAGE_ERROR', `transaction ${this.id}: the outcome is not in the half log (${this.lastError ?? 'unknown error'}); it is half again, nothing changed`);
      this.settleWaiters((waiter) => waiter.reject(error));
    }
  }

  /** Resolves with the end state once the transaction has one; rejects if recording the outcome failed. */
  whenEnded(): Promise<TransactionState> {
    if (this.ended) return Promise.resolve(this.state);
    return new Promise((resolve, reject) => (this.endWaiters ??= []).push({ resolve, reject }));
  }

  summary(now: number): TransactionSummary {
    return { id: this.id, group: this.group, state: this.state, ageMs: now - this.createdAt, checks: this.checks, messages: this.recordCount };
  }

  private settleWaiters(settle: (waiter: EndWaiter) => void): void {
    const waiters = this.endWaiters ?? [];
    this.endWaiters = undefined;
    waiters.forEach(settle);
  }
}

/** Event types as a reader of the history wants them. */
export function describeCause(eventType: string): string {
  const delayed = /^xstate\.after\.([^.]+)\./.exec(eventType);
  if (delayed) return delayed[1] === 'nextCheck' ? 'check due' : delayed[1]!;
  const done = /^xstate\.(done|error)\.actor\.(.+)$/.exec(eventType);
  if (done) return done[1] === 'done' ? `${done[2]} done` : `${done[2]} failed`;
  if (eventType === 'xstate.init') return 'begin';
  return eventType;
}
