import { describe, expect, it } from 'vitest';
import { createActor, SimulatedClock } from 'xstate';
import { transactionMachine } from '../../machines/transaction.machine.js';
import { ControlledActors, drivePath, expectFullCoverage } from './drive-machine.js';
import { planTransitionCoverage } from './graph-plan.js';

const input = { id: 'txn-1', group: 'order-service', checkAfterMs: 100, checkIntervalMs: 1_000, maxChecks: 2, timeoutMs: 10_000 };
const variants = {
  'txn.send': [{ messages: 1 }],
  'txn.restore': [{ messages: 2, parked: false }, { messages: 2, parked: true }],
  'check.answered': [{ answer: 'commit' }, { answer: 'rollback' }, { answer: 'unknown' }],
  'txn.resolve': [{ outcome: 'commit' }, { outcome: 'rollback' }],
  'outcome.failed': [{ error: 'ENOSPC' }],
};

describe('transaction machine: generated paths', () => {
  const paths = planTransitionCoverage(transactionMachine, input, variants, (s) => s.context.messages > 2 || s.context.unansweredChecks > 1 || s.context.checks > input.maxChecks);

  it('covers every state and every transition', () => {
    expectFullCoverage(transactionMachine, paths);
  });

  it.each(paths.map((path) => [path.steps.map((s) => s.event.type).join(' → '), path] as const))('%s', async (_name, path) => {
    await drivePath(transactionMachine, input, path, new ControlledActors());
  });
});

describe('transaction machine: rules', () => {
  const start = () => {
    const clock = new SimulatedClock();
    const actor = createActor(transactionMachine, { input, clock });
    actor.start();
    return { actor, clock };
  };

  it('checks checkAfterMs after the last half message, then every checkIntervalMs', () => {
    const { actor, clock } = start();
    actor.send({ type: 'txn.send', messages: 1 });
    clock.increment(99);
    actor.send({ type: 'txn.send', messages: 1 }); // restarts the clock
    clock.increment(99);
    expect(actor.getSnapshot().value).toBe('half');
    clock.increment(1);
    expect(actor.getSnapshot().value).toBe('checking');
    actor.send({ type: 'check.answered', answer: 'unknown' });
    clock.increment(999);
    expect(actor.getSnapshot().value).toBe('half');
    clock.increment(1);
    expect(actor.getSnapshot().value).toBe('checking');
    actor.send({ type: 'check.answered', answer: 'unknown' });
    expect(actor.getSnapshot().value).toBe('parked');
    expect(actor.getSnapshot().context.checks).toBe(2);
  });

  it('after a restart, checks checkAfterMs after it (not checkIntervalMs), whatever checks came before', () => {
    const clock = new SimulatedClock();
    const actor = createActor(transactionMachine, { input: { ...input, checks: 1 }, clock });
    actor.start();
    actor.send({ type: 'txn.restore', messages: 1, parked: false });
    clock.increment(input.checkAfterMs);
    expect(actor.getSnapshot().value).toBe('checking');
    actor.send({ type: 'check.answered', answer: 'unknown' });
    expect(actor.getSnapshot().value).toBe('parked');
  });

  it('does not spend the check budget on unanswered checks', () => {
    const { actor, clock } = start();
    actor.send({ type: 'txn.send', messages: 1 });
    for (let i = 0; i < 5; i++) {
      clock.increment(1_000);
      expect(actor.getSnapshot().value).toBe('checking');
      actor.send({ type: 'check.unanswered' });
    }
    expect(actor.getSnapshot().context).toMatchObject({ checks: 0, unansweredChecks: 5, overdue: true });
    actor.send({ type: 'producer.available' });
    expect(actor.getSnapshot().value).toBe('checking');
  });

  it('refuses what an end state cannot take', () => {
    const { actor } = start();
    actor.send({ type: 'txn.rollback' });
    const snapshot = actor.getSnapshot();
    expect(snapshot.value).toBe('rollingBack');
    expect(snapshot.can({ type: 'txn.commit' })).toBe(false);
    expect(snapshot.can({ type: 'check.answered', answer: 'commit' })).toBe(false);
  });

  it('rolls back a transaction that never received a message after timeoutMs', () => {
    const { actor, clock } = start();
    clock.increment(10_000);
    expect(actor.getSnapshot().value).toBe('rollingBack');
  });
});
