import { describe, expect, it } from 'vitest';
import { SimulatedClock, createActor, setup } from 'xstate';
import { ActorParents, type ActorParent } from '../../src/broker/actor-parents.js';

/** Waits 1 s, then ends on its own; `finish` ends it at once. */
const child = setup({ types: { events: {} as { type: 'finish' } } }).createMachine({
  initial: 'waiting',
  states: {
    waiting: { after: { 1_000: 'timedOut' }, on: { finish: 'done' } },
    timedOut: { type: 'final' },
    done: { type: 'final' },
  },
});

function spawn(parents: ActorParents) {
  const parent = parents.take();
  const actor = createActor(child, { parent: parent.actor }).start();
  return { parent, actor };
}

describe('ActorParents', () => {
  it('puts at most childrenPerParent children under one parent, which share its actor system', () => {
    const parents = new ActorParents(new SimulatedClock(), 3);
    const children = Array.from({ length: 7 }, () => spawn(parents));
    expect(parents.parentCount).toBe(3);
    expect(new Set(children.map((c) => c.parent)).size).toBe(3);
    for (const { parent, actor } of children) expect(actor.system).toBe(parent.actor.system);
    expect(children[0]!.actor.system).not.toBe(children[3]!.actor.system);
    expect(children.map((c) => c.parent.children)).toEqual([3, 3, 3, 3, 3, 3, 1]);
  });

  it("schedules the children's delayed events on its clock and stops a child, cancelling only that child's", () => {
    const clock = new SimulatedClock();
    const parents = new ActorParents(clock, 4);
    const [stopped, running] = [spawn(parents), spawn(parents)];
    parents.stop(stopped.parent, stopped.actor);
    expect(stopped.actor.getSnapshot().status).toBe('stopped');
    clock.increment(1_000);
    expect(stopped.actor.getSnapshot().value).toBe('waiting');
    expect(running.actor.getSnapshot()).toMatchObject({ value: 'timedOut', status: 'done' });
  });

  it('reuses a parent once its children ended, instead of making another', () => {
    const parents = new ActorParents(new SimulatedClock(), 2);
    for (let round = 0; round < 5; round++) {
      const children = [spawn(parents), spawn(parents)];
      for (const { parent, actor } of children) {
        actor.send({ type: 'finish' });
        expect(actor.getSnapshot().status).toBe('done');
        parents.release(parent);
      }
    }
    expect(parents.parentCount).toBe(1);
    const full: ActorParent[] = [parents.take(), parents.take()];
    expect(full[0]).toBe(full[1]);
    expect(parents.take()).not.toBe(full[0]); // full: a second parent
    expect(parents.parentCount).toBe(2);
  });

  it('stops every parent on close', () => {
    const parents = new ActorParents(new SimulatedClock(), 2);
    const { parent, actor } = spawn(parents);
    let parentCompleted = false;
    parent.actor.subscribe({ complete: () => (parentCompleted = true) });
    parents.stop(parent, actor);
    parents.close();
    expect(parentCompleted).toBe(true);
    expect(parents.parentCount).toBe(0);
  });

  it('refuses a childrenPerParent that is not a positive integer', () => {
    expect(() => new ActorParents(new SimulatedClock(), 0)).toThrow(/childrenPerParent must be a positive integer/);
  });
});
