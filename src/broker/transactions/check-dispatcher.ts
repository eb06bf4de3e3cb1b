/**
 * Check-backs: asks one registered producer of the transaction's group at a
 * time (round-robin), gives each `checkTimeoutMs` to answer, then tries the
 * next one it has not asked yet. When none is left (or none is connected)
 * the check is unanswered: it costs nothing from the transaction's budget.
 * A producer whose connection closes while it holds a check is skipped at
 * once.
 */
import type { Clock } from '../actor-environment.js';
import type { ProducerGroups } from './producer-groups.js';
import type { Transaction } from './transaction.js';

export interface CheckDispatcherSettings {
  checkTimeoutMs: number;
  maxChecksInFlight: number;
  clock: () => number;
  timers: Clock;
  /** Nobody could answer: the transaction goes back to waiting. */
  unanswered(txn: Transaction): void;
}

export class CheckDispatcher {
  private nextCheckId = 1;
  private readonly inFlight = new Set<Transaction>();

  constructor(private readonly producers: ProducerGroups, private readonly settings: CheckDispatcherSettings) {}

  start(txn: Transaction): void {
    this.cancel(txn);
    if (this.inFlight.size >= this.settings.maxChecksInFlight) return this.giveUp(txn);
    txn.pendingCheck = { checkId: this.nextCheckId++, connectionId: '', tried: new Set(), timer: undefined };
    this.inFlight.add(txn);
    this.attempt(txn);
  }

  /** True when `checkId` is the check outstanding for the transaction; it is then settled. */
  settle(txn: Transaction, checkId: number): boolean {
    if (txn.pendingCheck?.checkId !== checkId) return false;
    this.cancel(txn);
    return true;
  }

  cancel(txn: Transaction): void {
    const pending = txn.pendingCheck;
    if (!pending) return;
    if (pending.timer !== undefined) this.settings.timers.clearTimeout(pending.timer);
    txn.pendingCheck = undefined;
    this.inFlight.delete(txn);
  }

  /** Checks held by the closed connection go to the next producer now. */
  connectionClosed(connectionId: string): void {
    for (const txn of [...this.inFlight]) {
      const pending = txn.pendingCheck;
      if (pending?.connectionId !== connectionId) continue;
      if (pending.timer !== undefined) this.settings.timers.clearTimeout(pending.timer);
      this.attempt(txn);
    }
  }

  close(): void {
    for (const txn of [...this.inFlight]) this.cancel(txn);
  }

  private attempt(txn: Transaction): void {
    const pending = txn.pendingCheck!;
    const producer = this.producers.next(txn.group, pending.tried);
    if (!producer) {
      this.cancel(txn);
      return this.giveUp(txn);
    }
    pending.tried.add(producer.connectionId);
    pending.connectionId = producer.connectionId;
    pending.timer = this.settings.timers.setTimeout(() => this.attempt(txn), this.settings.checkTimeoutMs);
    producer.push({
      type: 'txnCheck', group: txn.group, transactionId: txn.id, checkId: pending.checkId,
      ageMs: this.settings.clock() - txn.createdAt, checks: txn.checks,
    });
  }

  private giveUp(txn: Transaction): void {
    // Not from inside the machine's entry action that started the check.
    queueMicrotask(() => this.settings.unanswered(txn));
  }
}
