/**
 * Transaction actor: one per transaction (`txn/<id>`). A producer begins it
 * (`open`), adds half messages (`half`: stored durably, invisible to every
 * consumer), then commits or rolls back. The outcome is recorded durably by
 * the runtime in `committing` / `rollingBack` before the end state is
 * entered; a commit is only `committed` once its messages are in their
 * target partitions. The runtime starts that I/O from the entry action
 * `recordOutcome` and reports back with `outcome.recorded` / `outcome.failed`
 * (an invoked promise actor would say the same, at several times the cost
 * per transaction — measured ~110 µs, more than the rest of the machine).
 *
 * Without an outcome, a half transaction is checked back: `checkAfterMs`
 * after its last half message the runtime asks a live producer of the group
 * (`checking`). `unknown` sends it back to `half` for `checkIntervalMs`; the
 * `maxChecks`-th unknown parks it (rolled back for its producers, kept for an
 * operator to resolve). A check nobody could answer (no producer connected,
 * every producer timed out) costs nothing from the budget and is retried
 * after `checkIntervalMs`, or at once when a producer of the group arrives.
 * A transaction that never received a message is rolled back `timeoutMs`
 * after it began.
 *
 * End states are final: an event they cannot take (a commit after a
 * rollback, a late check answer) is refused by the runtime and changes
 * nothing — the runtime asks `snapshot.can(event)` before acting.
 *
 * Every transition enters a state, and every state's entry runs `noteState`
 * with the event that caused it: the runtime's history and the inspector's
 * timeline are built from that (the generated path tests compare both).
 */
import { assign, setup } from 'xstate';

export interface TransactionInput {
  id: string;
  group: string;
  /** First check this long after the last half message (and after a broker restart). */
  checkAfterMs: number;
  /** Later checks (after `unknown` or an unanswered check) this often. */
  checkIntervalMs: number;
  /** Answered `unknown`s before the transaction is parked. */
  maxChecks: number;
  /** A transaction with no half message is rolled back after this. */
  timeoutMs: number;
  /** Answered checks so far (restored after a broker restart). */
  checks?: number;
}

export interface TransactionContext extends Required<TransactionInput> {
  /** Half messages held. */
  messages: number;
  /** Checks that found no producer to answer; they do not count toward maxChecks. */
  unansweredChecks: number;
  /** The last check went unanswered: check again as soon as a producer arrives. */
  overdue: boolean;
  /** No check since the last half message (or since a broker restart): the next one waits checkAfterMs, later ones checkIntervalMs. */
  firstCheckDue: boolean;
}

export type TransactionOutcome = 'commit' | 'rollback';
export type CheckAnswer = TransactionOutcome | 'unknown';

export type TransactionEvent =
  | { type: 'txn.send'; messages: number }
  | { type: 'txn.commit' }
  | { type: 'txn.rollback' }
  /** Rebuilt after a broker restart from the half log. */
  | { type: 'txn.restore'; messages: number; parked: boolean }
  | { type: 'check.answered'; answer: CheckAnswer }
  | { type: 'check.unanswered' }
  | { type: 'producer.available' }
  /** An operator settles a parked transaction. */
  | { type: 'txn.resolve'; outcome: TransactionOutcome }
  /** The runtime made the outcome durable (and, for a commit, appended every message). */
  | { type: 'outcome.recorded' }
  /** The outcome could not be made durable: nothing changed. */
  | { type: 'outcome.failed'; error: string };

/** A state that records the outcome (runtime I/O): recorded → the end state; failed → nothing was recorded, the transaction is half again. */
function recording(state: string, outcome: TransactionOutcome, end: 'committed' | 'rolledBack') {
  return {
    entry: [{ type: 'noteState' as const, params: { state } }, { type: 'recordOutcome' as const, params: { outcome } }],
    on: {
      'outcome.recorded': { target: end },
      'outcome.failed': { target: 'half' as const },
    },
  };
}

export const transactionMachine = setup({
  types: {
    input: {} as TransactionInput,
    context: {} as TransactionContext,
    events: {} as TransactionEvent,
  },
  actions: {
    countMessages: assign({
      messages: ({ context, event }) => context.messages + (event.type === 'txn.send' || event.type === 'txn.restore' ? event.messages : 0),
      firstCheckDue: true,
    }),
    countCheck: assign({ checks: ({ context }) => context.checks + 1 }),
    markOverdue: assign({ overdue: true, unansweredChecks: ({ context }) => context.unansweredChecks + 1 }),
    startCheck: assign({ overdue: false, firstCheckDue: false }),
    // Supplied by the runtime: ask one live producer of the group (the answer comes back as check.answered / check.unanswered).
    requestCheck: () => {},
    // Supplied by the runtime: make the outcome durable (a commit: then append every half message to its partition);
    // answers with outcome.recorded or outcome.failed.
    recordOutcome: (_, _params: { outcome: TransactionOutcome }) => {},
    // Supplied by the runtime: record the entered state in the bounded history (params.state) and durable markers.
    noteState: (_, _params: { state: string }) => {},
  },
  guards: {
    restoredParked: ({ event }) => event.type === 'txn.restore' && event.parked,
    answeredCommit: ({ event }) => event.type === 'check.answered' && event.answer === 'commit',
    answeredRollback: ({ event }) => event.type === 'check.answered' && event.answer === 'rollback',
    lastCheck: ({ context }) => context.checks + 1 >= context.maxChecks,
    overdue: ({ context }) => context.overdue,
    resolveCommit: ({ event }) => event.type === 'txn.resolve' && event.outcome === 'commit',
  },
  delays: {
    timeout: ({ context }) => context.timeoutMs,
    // checkAfterMs after the last half message (or a restart); checkIntervalMs after a check that settled nothing.
    nextCheck: ({ context }) => (context.firstCheckDue ? context.checkAfterMs : context.checkIntervalMs),
  },
}).createMachine({
  id: 'transaction',
  context: ({ input }) => ({ checks: 0, ...input, messages: 0, unansweredChecks: 0, overdue: false, firstCheckDue: true }),
  initial: 'open',
  states: {
    open: {
      entry: { type: 'noteState', params: { state: 'open' } },
      after: { timeout: { target: 'rollingBack' } },
      on: {
        'txn.send': { target: 'half', actions: 'countMessages' },
        'txn.restore': [
          { guard: 'restoredParked', target: 'parked', actions: 'countMessages' },
          { target: 'half', actions: 'countMessages' },
        ],
        'txn.commit': { target: 'committing' },
        'txn.rollback': { target: 'rollingBack' },
      },
    },
    half: {
      entry: { type: 'noteState', params: { state: 'half' } },
      after: { nextCheck: { target: 'checking' } },
      on: {
        // A new half message restarts the check clock.
        'txn.send': { target: 'half', reenter: true, actions: 'countMessages' },
        'txn.commit': { target: 'committing' },
        'txn.rollback': { target: 'rollingBack' },
        'producer.available': { guard: 'overdue', target: 'checking' },
      },
    },
    checking: {
      entry: [{ type: 'noteState', params: { state: 'checking' } }, 'startCheck', 'requestCheck'],
      on: {
        'check.answered': [
          { guard: 'answeredCommit', target: 'committing', actions: 'countCheck' },
          { guard: 'answeredRollback', target: 'rollingBack', actions: 'countCheck' },
          { guard: 'lastCheck', target: 'parked', actions: 'countCheck' },
          { target: 'half', actions: 'countCheck' },
        ],
        'check.unanswered': { target: 'half', actions: 'markOverdue' },
        // A half message written while the check went out: the producer is still at work.
        'txn.send': { target: 'half', actions: 'countMessages' },
        // The producer's own outcome may still arrive while a check is out; it wins, the late answer is refused.
        'txn.commit': { target: 'committing' },
        'txn.rollback': { target: 'rollingBack' },
      },
    },
    committing: recording('committing', 'commit', 'committed'),
    rollingBack: recording('rollingBack', 'rollback', 'rolledBack'),
    parked: {
      entry: { type: 'noteState', params: { state: 'parked' } },
      on: {
        'txn.resolve': [
          { guard: 'resolveCommit', target: 'committing' },
          { target: 'rollingBack' },
        ],
      },
    },
    committed: { type: 'final', entry: { type: 'noteState', params: { state: 'committed' } } },
    rolledBack: { type: 'final', entry: { type: 'noteState', params: { state: 'rolledBack' } } },
  },
});
