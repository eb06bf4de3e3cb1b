/**
 * Drives a machine actor along a generated path: invoke-completion steps
 * settle the pending promise of the invoked actor, delayed steps advance a
 * simulated clock, everything else is sent as an event. After every step the
 * live snapshot must equal the path's state.
 */
import { expect } from 'vitest';
import { createActor, fromPromise, SimulatedClock, type AnyMachineSnapshot, type AnyStateMachine, type EventObject } from 'xstate';
import type { StatePath } from '@xstate/graph';
import { coverageOf, type Coverage, type MachinePath } from './graph-plan.js';

interface Deferred { resolve: (value: unknown) => void; reject: (error: unknown) => void }

/** Promise actors whose outcome the path decides. */
export class ControlledActors {
  private readonly pending = new Map<string, Deferred>();

  actor(name: string) {
    return fromPromise<unknown, unknown>(() => new Promise((resolve, reject) => this.pending.set(name, { resolve, reject })));
  }

  settle(type: string, event: EventObject): void {
    const [, kind, , name] = /^xstate\.(done|error)\.(actor)\.(.+)$/.exec(type) ?? [];
    const deferred = name ? this.pending.get(name) : undefined;
    if (!deferred) throw new Error(`no pending invoked actor for ${type}`);
    this.pending.delete(name!);
    if (kind === 'done') deferred.resolve((event as { output?: unknown }).output);
    else deferred.reject((event as { error?: unknown }).error ?? new Error('failed'));
  }
}

const settleTurns = async (): Promise<void> => {
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
};

/** Longest delay any machine uses in tests; advancing by it fires every pending `after`. */
const clockStepMs = 3_600_000;

export async function drivePath(
  machine: AnyStateMachine,
  input: unknown,
  path: StatePath<AnyMachineSnapshot, EventObject>,
  controlled: ControlledActors,
): Promise<void> {
  const clock = new SimulatedClock();
  const actor = createActor(machine, { input, clock } as never);
  actor.start();
  for (const step of path.steps) {
    const type = step.event.type;
    if (type === 'xstate.init') {
      // the start above
    } else if (type.startsWith('xstate.done.actor.') || type.startsWith('xstate.error.actor.')) {
      controlled.settle(type, step.event);
    } else if (type.startsWith('xstate.after.')) {
      clock.increment(clockStepMs);
    } else {
      actor.send(step.event);
    }
    await settleTurns();
    expect(actor.getSnapshot().value, `after ${type}`).toEqual(step.state.value);
  }
  actor.stop();
}

/** Fails unless `paths` take every state and every transition of `machine`; returns the coverage for the table. */
export function expectFullCoverage(machine: AnyStateMachine, paths: MachinePath[]): Coverage {
  const coverage = coverageOf(machine, paths);
  expect(coverage.missingStates).toEqual([]);
  expect(coverage.missingTransitions).toEqual([]);
  return coverage;
}
