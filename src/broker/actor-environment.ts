/**
 * What every actor runtime of the broker shares: the inspector that records
 * its transitions, and the scheduler of its machine's delays (`after`). In
 * production the scheduler is the real timers; tests pass xstate's
 * SimulatedClock and move time forward instead of waiting.
 */
import type { ActorOptions, AnyActorLogic } from 'xstate';
import type { Inspector } from '../inspect/inspector.js';

/** xstate's scheduler interface (setTimeout / clearTimeout); the package does not export its name. */
export type Clock = NonNullable<ActorOptions<AnyActorLogic>['clock']>;

export interface ActorEnvironment {
  inspector: Inspector;
  timers: Clock;
}

export const realTimers: Clock = {
  setTimeout: (fn, timeoutMs) => setTimeout(fn, timeoutMs),
  clearTimeout: (id) => clearTimeout(id as NodeJS.Timeout),
};
