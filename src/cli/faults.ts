/**
 * Fault injection for crash tests, off unless the environment asks for it:
 * `ACTORMQ_FAULT_CRASH_AFTER_COMMIT_APPENDS=N` makes the broker SIGKILL itself
 * right after the N-th partition append of a transaction commit — after the
 * outcome is durable and before the commit is complete — so tests can show
 * that a restart finishes the commit without duplicates.
 */
import type { TransactionFaults } from '../broker/transactions/transaction-manager.js';

export function transactionFaultsFromEnvironment(env: NodeJS.ProcessEnv = process.env): TransactionFaults | undefined {
  const raw = env.ACTORMQ_FAULT_CRASH_AFTER_COMMIT_APPENDS;
  if (raw === undefined) return undefined;
  const appends = Number(raw);
  if (!Number.isSafeInteger(appends) || appends < 1) throw new Error(`ACTORMQ_FAULT_CRASH_AFTER_COMMIT_APPENDS must be a positive integer, got ${raw}`);
  return {
    afterCommitAppend: (_transactionId, appended) => {
      if (appended >= appends) process.kill(process.pid, 'SIGKILL');
    },
  };
}
