/** Transaction administration: status of one transaction, the list of pending ones, resolving a parked one. */
import type { TransactionOutcome, TransactionSummary, TxnStatusBody } from '../protocol/frames.js';
import type { Connection } from './connection.js';
import { invalid } from './validate.js';

function checkId(id: unknown): string {
  if (typeof id !== 'string' || id.length === 0) throw invalid(`transaction id must be a non-empty string, got ${JSON.stringify(id)}`);
  return id;
}

/** `{ id, group, state, ageMs, checks, messages, history }`; UNKNOWN_TRANSACTION once the broker forgot it. */
export function describeTransaction(connection: Connection, id: string): Promise<TxnStatusBody> {
  return connection.request({ type: 'txnStatus', transactionId: checkId(id) });
}

/** Every transaction without an outcome: `[{ id, group, state, ageMs, checks, messages }]`. */
export async function listTransactions(connection: Connection): Promise<TransactionSummary[]> {
  return (await connection.request({ type: 'listTransactions' })).transactions;
}

/** Settles a parked transaction (an operator's decision). */
export async function resolveTransaction(connection: Connection, id: string, outcome: TransactionOutcome): Promise<TxnStatusBody['state']> {
  if (outcome !== 'commit' && outcome !== 'rollback') throw invalid(`outcome must be commit or rollback, got ${JSON.stringify(outcome)}`);
  return (await connection.request({ type: 'txnResolve', transactionId: checkId(id), outcome })).state;
}
