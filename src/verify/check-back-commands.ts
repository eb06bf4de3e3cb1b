/**
 * Transactions left to the broker's check-back, whose producer answers
 * `unknown` some times and then commits or rolls back — or answers
 * `unknown` for ever, so the broker parks them after maxChecks. What each
 * plan allows: commit → visible only once committed, then whole; rollback
 * and for-ever-unknown → never visible, and never committed.
 */
import fc from 'fast-check';
import type { Client } from '../client/index.js';
import type { TransactionState } from '../protocol/frames.js';
import { beginAndSend, sends } from './command-parts.js';
import { result, type InvariantResult } from './invariant-result.js';
import type { CheckedTransaction, CheckPlan, VerifyModel } from './model.js';
import type { VerifyWorld } from './world.js';

type VerifyCommand = fc.AsyncCommand<VerifyModel, VerifyWorld>;

class LeaveToCheckBack implements VerifyCommand {
  constructor(readonly plan: CheckPlan, readonly sends: Array<{ topicIndex: number; key: string | undefined }>) {}
  check = () => true;
  async run(model: VerifyModel, world: VerifyWorld): Promise<void> {
    const values = this.sends.map(() => model.uniqueValue());
    // A commit-planned transaction becomes expected only once the broker says it committed (checkTransactionOutcomes).
    if (this.plan.outcome !== 'commit') for (const value of values) model.invisibleValues.add(value);
    world.inFlight.push(beginAndSend(world, this.sends, values).then((tx) => {
      if (!tx) {
        for (const value of values) model.invisibleValues.add(value); // no plan: the check-back answers rollback
        return;
      }
      // The first check comes checkAfterMs after the last message, so the plan is in place before it.
      world.checkPlans.set(tx.id, { ...this.plan });
      model.checkedTransactions.push({ id: tx.id, values, plan: this.plan });
    }));
  }
  toString = () => `checkBack(${this.plan.unknownAnswers} × unknown, then ${this.plan.outcome}, ${this.sends.length} messages)`;
}

const allowedStates: Record<CheckPlan['outcome'], TransactionState[]> = {
  commit: ['half', 'checking', 'committing', 'committed'],
  rollback: ['half', 'checking', 'rollingBack', 'rolledBack'],
  unknown: ['half', 'checking', 'parked'],
};
const finalState: Record<CheckPlan['outcome'], TransactionState> = { commit: 'committed', rollback: 'rolledBack', unknown: 'parked' };

/** Notes a state read for `txn`: true once it is at its plan's end (a committed one's messages join the expected ones). */
function noteState(model: VerifyModel, txn: CheckedTransaction, state: TransactionState): boolean {
  const { values, plan } = txn;
  if (!allowedStates[plan.outcome].includes(state)) {
    model.transactionProblems.push(`${described(txn)} is ${state}`);
    return true; // judged: nothing more to learn from it
  }
  if (state !== finalState[plan.outcome]) return false;
  if (state === 'committed') model.committedTransactions.push(values);
  return true;
}

function described({ id, plan }: CheckedTransaction): string {
  return `${id} (${plan.unknownAnswers} × unknown, then ${plan.outcome})`;
}

function forget(model: VerifyModel, txn: CheckedTransaction): void {
  model.checkedTransactions.splice(model.checkedTransactions.indexOf(txn), 1);
}

/**
 * Reads each transaction left to the check-back once and keeps only those
 * not yet at their plan's end. Called between rounds: the broker remembers
 * only its latest ended transactions (maxEndedRemembered), so a long run
 * must read an outcome before it is forgotten.
 */
export async function settleCheckedTransactions(client: Client, model: VerifyModel): Promise<void> {
  for (const txn of [...model.checkedTransactions]) { // the list grows while this awaits
    if (noteState(model, txn, await client.transactionStatus(txn.id))) forget(model, txn);
  }
}

/**
 * Reads the state of every transaction left to the check-back (waiting up
 * to `waitMs` for each to reach its plan's end) and checks it is one its
 * answers allow; with `waitMs` > 0 it must have reached that end. Committed
 * ones join the model's committed transactions, so they must be stored whole
 * and delivered. Call before waiting for the groups to catch up.
 */
export async function checkTransactionOutcomes(client: Client, model: VerifyModel, waitMs: number): Promise<InvariantResult> {
  const deadline = Date.now() + waitMs;
  for (const txn of [...model.checkedTransactions]) {
    let state = await client.transactionStatus(txn.id);
    let judged = noteState(model, txn, state);
    while (!judged && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      state = await client.transactionStatus(txn.id);
      judged = noteState(model, txn, state);
    }
    if (waitMs > 0 && !judged) model.transactionProblems.push(`${described(txn)} is still ${state} after ${waitMs} ms`);
    forget(model, txn);
  }
  return result('a transaction left to the check-back ends only as its answers allow (unknown × n, then commit / rollback; for ever unknown: parked)', model.transactionProblems);
}

const plan = fc.oneof(
  fc.record({ unknownAnswers: fc.integer({ min: 1, max: 2 }), outcome: fc.constantFrom<CheckPlan['outcome']>('commit', 'rollback') }),
  fc.constant<CheckPlan>({ unknownAnswers: 0, outcome: 'unknown' }),
);

export const checkBackCommands: Array<fc.Arbitrary<VerifyCommand>> = [
  fc.tuple(plan, sends).map(([p, list]) => new LeaveToCheckBack(p, list)),
];
