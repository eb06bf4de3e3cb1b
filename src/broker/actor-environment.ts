/**
 * What every actor runtime of the broker shares: the inspector that records
 * its transitions, and the scheduler of its machine's delays (`after`). In
 * production the scheduler is the real timers; tests pass xstate's
 * SimulatedClock and move time forward instead of waiting.
 */
import type { ActorOptions, ActorRef, AnyActorLogic, EventObject, Snapshot } from 'xstate';
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

/**
 * Sends an event unless the actor already reached a final state: sockets and
 * timers report late (a close after a terminate, a leave after an expiry), and
 * a finished actor has nothing left to decide.
 */
export function tell<Event extends EventObject>(actor: ActorRef<Snapshot<unknown>, Event>, event: Event): void {
  if (actor.getSnapshot().status === 'active') actor.send(event);
}
