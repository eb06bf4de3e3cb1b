/**
 * The transaction machine's generated paths, run against the real broker:
 * a real client begins, sends, commits and rolls back; a registered producer
 * of the group answers the broker's check with what the path says, or lets
 * it time out; another producer connecting makes one available; the admin
 * resolves a parked transaction; a restart on the same data dir restores a
 * pending one; a failed fdatasync of the half log that loses the outcome
 * record keeps the outcome from being recorded; time moves by a
 * SimulatedClock. After each step the live `txn/<id>` actor's history,
 * read through the inspector, must equal the path, and at its end the
 * actor's counters must equal the path's.
 *
 * A restore path is walked by two brokers: the first leaves the transaction
 * pending in the half log (setup, not compared), the second restores it. The
 * restored actor is a new actor whose history starts at xstate.init → open
 * → txn.restore, exactly the path's steps, so it is compared whole.
 */
import { describe, expect, vi } from 'vitest';
import type { AnyMachineSnapshot } from 'xstate';
import { transactionMachine, type TransactionContext, type TransactionEvent } from '../../../machines/transaction.machine.js';
import type { TransactionOptions } from '../../../src/broker/index.js';
import { Transaction } from '../../../src/client/transaction-producer.js';
import type { CheckAnswer } from '../../../src/protocol/frames.js';
import { tempDir } from '../../../bench/lib/temp-dir.js';
import { HalfLogFaults, isOutcome } from '../../helpers/half-log-faults.js';
import { planTransitionCoverage, type MachinePath } from '../graph-plan.js';
import { pathTests } from './path-tests.js';
import { expectHistory } from './history.js';
import { producerGroup, topic, TransactionWorld } from './transaction-world.js';

// Every delay distinct, so a runtime that used the wrong one is caught.
const settings: TransactionOptions = { checkAfterMs: 100, checkIntervalMs: 1_000, maxChecks: 2, timeoutMs: 10_000, checkTimeoutMs: 500 };
const input = { id: 'planned', group: producerGroup, checkAfterMs: settings.checkAfterMs, checkIntervalMs: settings.checkIntervalMs, maxChecks: settings.maxChecks, timeoutMs: settings.timeoutMs };
const variants = {
  'txn.send': [{ messages: 1 }],
  'txn.restore': [{ messages: 2, parked: false }, { messages: 2, parked: true }],
  'check.answered': [{ answer: 'commit' }, { answer: 'rollback' }, { answer: 'unknown' }],
  'txn.resolve': [{ outcome: 'commit' }, { outcome: 'rollback' }],
  // Without a half message the runtime has no outcome to record (no I/O), so only then can recording it fail.
  'outcome.failed': (snapshot: AnyMachineSnapshot) => (snapshot.context.messages > 0 ? [{ error: 'EIO: injected' }] : []),
};
const stopWhen = (s: AnyMachineSnapshot) => s.context.messages > 2 || s.context.unansweredChecks > 1 || s.context.checks > settings.maxChecks;
const restoresParked = (path: MachinePath) => {
  const second = path.steps[1]?.event as TransactionEvent | undefined;
  return second?.type === 'txn.restore' && second.parked;
};
// The half log marks a transaction parked only after its maxChecks-th unknown, so a restored parked one has spent
// its whole budget: its paths are planned from that input, every other path from a fresh transaction's.
const paths = [
  ...planTransitionCoverage(transactionMachine, input, variants, stopWhen).filter((path) => !restoresParked(path)),
  ...planTransitionCoverage(transactionMachine, { ...input, checks: settings.maxChecks }, variants, stopWhen).filter(restoresParked),
];

/** Real time a stray event (one the path does not have) gets to show in the history after the last step. */
const strayEventMs = 20;

const delayMs: Record<string, (context: TransactionContext) => number> = {
  timeout: (context) => context.timeoutMs,
  nextCheck: (context) => (context.firstCheckDue ? context.checkAfterMs : context.checkIntervalMs),
};

class PathWalk {
  private world: TransactionWorld | undefined;
  private tx!: Transaction;
  /** Answers the check the broker sent when the transaction last entered `checking`. */
  private answerCheck: ((answer: CheckAnswer) => void) | undefined;

  constructor(private readonly path: MachinePath, private readonly dataDir: string) {}

  async walk(): Promise<void> {
    const steps = this.path.steps;
    for (let i = 0; i < steps.length; i++) {
      const asked = this.world?.checks.count ?? 0;
      await this.act(i);
      const world = this.world!;
      if (steps[i]!.state.value === 'checking') this.answerCheck = await world.checks.askedSince(asked);
      await expectHistory(world.broker.inspector, this.actorId, this.path, i + 1);
    }
    await this.expectNothingBeyondPath();
    const { messages, checks, unansweredChecks } = this.path.state.context as TransactionContext;
    expect(this.world!.broker.inspector.get(this.actorId)?.context).toMatchObject({ messages, checks, unansweredChecks });
  }

  /** After the path the actor only goes on by itself: an outcome being recorded gets recorded; anything else stays put. */
  private async expectNothingBeyondPath(): Promise<void> {
    const world = this.world!;
    const recordedEnd = ({ committing: 'committed', rollingBack: 'rolledBack' } as Record<string, string>)[this.path.state.value as string];
    if (recordedEnd) await world.waitForState(this.actorId, recordedEnd);
    else await new Promise((resolve) => setTimeout(resolve, strayEventMs));
    const beyond = (world.broker.inspector.get(this.actorId)?.history ?? []).slice(this.path.steps.length).map(({ state, event }) => ({ state, event }));
    expect(beyond, `${this.actorId} beyond the path`).toEqual(recordedEnd ? [{ state: recordedEnd, event: 'outcome.recorded' }] : []);
  }

  async close(): Promise<void> {
    await this.world?.close();
  }

  private get actorId(): string {
    return `txn/${this.tx.id}`;
  }

  private async act(i: number): Promise<void> {
    const event = this.path.steps[i]!.event as TransactionEvent | { type: `xstate.${string}` };
    const next = this.path.steps[i + 1]?.event as TransactionEvent | undefined;
    // The sync that would make the outcome record durable fails and loses it: the reopened half log lacks it.
    if (next?.type === 'outcome.failed') new HalfLogFaults(this.dataDir).failSync({ covering: isOutcome, dropUnsynced: true });
    switch (event.type) {
      case 'xstate.init':
        return next?.type === 'txn.restore' ? this.restart(next) : this.begin();
      case 'txn.restore':
        return; // sent by the recovery of the broker started at xstate.init
      case 'txn.send':
        await this.tx.send(topic, { value: `message ${i}` });
        return;
      case 'txn.commit':
        return this.outcome(this.tx.commit(), next);
      case 'txn.rollback':
        return this.outcome(this.tx.rollback(), next);
      case 'txn.resolve':
        return this.outcome(this.world!.worker.resolveTransaction(this.tx.id, event.outcome), next);
      case 'check.answered':
        return this.answerCheck!(event.answer); // the asked producer's checkLocalTransaction answers
      case 'check.unanswered':
        // The worker is always registered, so the check went out; every producer asked lets checkTimeoutMs pass.
        return this.world!.letCheckTimeOut();
      case 'producer.available':
        return this.world!.connectProducer();
      case 'outcome.recorded':
      case 'outcome.failed':
        return; // the I/O the previous step started ends by itself (failing: see HalfLogFaults in act)
      default:
        return this.advance(event.type, i);
    }
  }

  private async begin(): Promise<void> {
    this.world = await TransactionWorld.start(this.dataDir, settings);
    this.tx = await this.world.producer.begin();
  }

  /** An earlier broker on the same data dir leaves the transaction pending (parked: after maxChecks unknowns); the next one restores it. */
  private async restart(restore: { messages: number; parked: boolean }): Promise<void> {
    const earlier = await TransactionWorld.start(this.dataDir, settings);
    let id: string;
    try {
      const tx = await earlier.producer.begin();
      for (let m = 0; m < restore.messages; m++) await tx.send(topic, { value: `message ${m}` });
      for (let check = 0; restore.parked && check < settings.maxChecks; check++) {
        const asked = earlier.checks.count;
        earlier.clock.increment(check === 0 ? settings.checkAfterMs : settings.checkIntervalMs);
        (await earlier.checks.askedSince(asked))('unknown');
        await earlier.waitForState(`txn/${tx.id}`, check + 1 < settings.maxChecks ? 'half' : 'parked');
      }
      id = tx.id;
    } finally {
      await earlier.close();
    }
    this.world = await TransactionWorld.start(this.dataDir, settings);
    this.tx = new Transaction(id, this.world.producer);
  }

  /** A request that waits for the outcome: it must end the transaction, or fail as storage when the path says recording fails. */
  private async outcome(request: Promise<unknown>, next: TransactionEvent | undefined): Promise<void> {
    if (next?.type === 'outcome.failed') await expect(request).rejects.toMatchObject({ code: 'STORAGE_ERROR' });
    else await request;
  }

  /** Moves the clock by exactly the path's delay, and checks nothing fired a millisecond before it. */
  private advance(type: string, i: number): void {
    const delay = /^xstate\.after\.([^.]+)\./.exec(type)?.[1] ?? '';
    const due = delayMs[delay];
    if (!due) throw new Error(`no runtime action for ${type}`);
    const world = this.world!;
    world.clock.increment(due(this.path.steps[i - 1]!.state.context as TransactionContext) - 1);
    expect(world.historyLength(this.actorId), `${type} fired early`).toBe(i);
    world.clock.increment(1);
  }
}

/** `check.answered(unknown)`, `txn.restore(2, true)`: the type and payload values, so test names tell variants apart. */
function describeEvent({ type, ...payload }: { type: string }): string {
  const values = Object.values(payload).filter((value) => typeof value !== 'object');
  return values.length > 0 ? `${type}(${values.join(', ')})` : type;
}

async function runPath(path: MachinePath): Promise<void> {
  const dir = await tempDir();
  const walk = new PathWalk(path, dir.path);
  try {
    await walk.walk();
  } finally {
    vi.restoreAllMocks();
    await walk.close();
    await dir.remove();
  }
}

describe('transaction machine against the real runtime', () => {
  pathTests(transactionMachine, paths, runPath, ({ event }) => describeEvent(event));
});
