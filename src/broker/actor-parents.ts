/**
 * Parents for actors that come by the thousand (one per transaction). A root
 * xstate actor builds an actor system of its own — maps, a scheduler, a
 * dozen closures, ~2 KB — while a child shares its parent's. One parent for
 * all would not do: a system cancels a stopping actor's delayed events by
 * walking every event scheduled in it, so ending one of N children would
 * cost O(N). A parent therefore takes at most `childrenPerParent` children
 * at a time; parents are reused as their children end, so there are never
 * more than the peak of live children / childrenPerParent of them.
 *
 * Only a parent may stop a child (`ActorScope.stopChild`): `stop` asks it to.
 */
import { createActor, fromTransition, type AnyActorRef } from 'xstate';
import type { Clock } from './actor-environment.js';

interface StopChildEvent { type: 'actorParents.stopChild'; child: AnyActorRef }

/** Stops the children it is asked to; the done and error events its children send it are theirs to report (their runtime observes them). */
const parentLogic = fromTransition((state: null, event: StopChildEvent | { type: string }, { stopChild }) => {
  if (event.type === 'actorParents.stopChild') stopChild((event as StopChildEvent).child);
  return state;
}, null);

/** The parent a child was created under: pass `actor` as createActor's `parent`. */
export interface ActorParent {
  readonly actor: AnyActorRef;
  children: number;
}

export class ActorParents {
  private readonly all: ActorParent[] = [];
  /** Parents with room for another child; the last is used first. */
  private readonly withRoom: ActorParent[] = [];

  /** `clock` schedules the children's delayed events (a system's scheduler uses its root actor's clock). */
  constructor(private readonly clock: Clock, private readonly childrenPerParent = 64) {
    if (!Number.isInteger(childrenPerParent) || childrenPerParent < 1) throw new RangeError(`childrenPerParent must be a positive integer, got ${childrenPerParent}`);
  }

  /** A parent with room for one more child, counted until `release` or `stop`. */
  take(): ActorParent {
    let parent = this.withRoom.at(-1);
    if (parent === undefined) {
      parent = { actor: createActor(parentLogic, { clock: this.clock }).start(), children: 0 };
      this.all.push(parent);
      this.withRoom.push(parent);
    }
    if (++parent.children === this.childrenPerParent) this.withRoom.pop();
    return parent;
  }

  /** A child of `parent` ended (reached a final state): its place is free. */
  release(parent: ActorParent): void {
    if (parent.children-- === this.childrenPerParent) this.withRoom.push(parent);
  }

  /** Stops a child that has not ended, and frees its place. */
  stop(parent: ActorParent, child: AnyActorRef): void {
    parent.actor.send({ type: 'actorParents.stopChild', child });
    this.release(parent);
  }

  /** Stops every parent; their children must have ended or been stopped. */
  close(): void {
    for (const parent of this.all) parent.actor.stop();
    this.all.length = 0;
    this.withRoom.length = 0;
  }

  /** Parents made so far (bounded by the peak of live children / childrenPerParent). */
  get parentCount(): number {
    return this.all.length;
  }
}
