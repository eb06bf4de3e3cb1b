import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { assign, createActor, setup } from 'xstate';
import type { ActorView } from '../../src/protocol/frames.js';
import { Inspector, type ReportedActor } from '../../src/inspect/inspector.js';

/** A lamp: off/on, counting its switches; `unplug` ends it. */
const lampMachine = setup({
  types: { context: {} as { switches: number; secret: string }, events: {} as { type: 'switch' } | { type: 'unplug' } },
  actions: { count: assign({ switches: ({ context }) => context.switches + 1 }) },
}).createMachine({
  id: 'lamp',
  context: { switches: 0, secret: 'not shown' },
  initial: 'off',
  states: {
    off: { on: { switch: { target: 'on', actions: 'count' }, unplug: 'gone' } },
    on: { on: { switch: { target: 'off', actions: 'count' }, unplug: 'gone' } },
    gone: { type: 'final' },
  },
});

/** An inspector whose clock ticks 1 ms per reading, starting at 100. */
function inspectorWith(historyLength: number, maxEndedActors: number): Inspector {
  let now = 100;
  return new Inspector(() => now++, { historyLength, maxEndedActors });
}

/** Runs a lamp whose provided action closes over a 1 MiB runtime object until it ends; returns a weak reference to that object. */
function runEndedLamp(inspector: Inspector): WeakRef<object> {
  const runtime = { buffer: new Uint8Array(1 << 20) };
  const machine = lampMachine.provide({ actions: { count: assign({ switches: ({ context }) => context.switches + runtime.buffer.length }) } });
  const actor = createActor(machine, { id: 'lamp/held' });
  inspector.observe('connection', actor, (c: { switches: number }) => ({ switches: c.switches }));
  actor.start();
  actor.send({ type: 'switch' });
  actor.send({ type: 'unplug' });
  return new WeakRef(runtime);
}

function lamp(inspector: Inspector, id: string) {
  const actor = createActor(lampMachine, { id });
  inspector.observe('connection', actor, (c: { switches: number }) => ({ switches: c.switches }));
  return actor.start();
}

describe('Inspector', () => {
  it('views the last transition with its chosen context, and the newest historyLength transitions oldest first', () => {
    const inspector = inspectorWith(3, 10);
    const actor = lamp(inspector, 'lamp/1');
    for (let i = 0; i < 4; i++) actor.send({ type: 'switch' }); // on 101, off 102, on 103, off 104
    expect(inspector.get('lamp/1')).toEqual({
      id: 'lamp/1', kind: 'connection', machine: 'lamp', state: 'off', status: 'active', event: 'switch', timeMs: 104,
      context: { switches: 4 },
      history: [
        { state: 'off', event: 'switch', timeMs: 102 },
        { state: 'on', event: 'switch', timeMs: 103 },
        { state: 'off', event: 'switch', timeMs: 104 },
      ],
    });
  });

  it('shows each transition as it was, whenever the view is built', () => {
    const inspector = inspectorWith(8, 10);
    const actor = lamp(inspector, 'lamp/1');
    actor.send({ type: 'switch' });
    const early = inspector.get('lamp/1')!;
    actor.send({ type: 'switch' });
    expect(early).toMatchObject({ state: 'on', context: { switches: 1 } });
    expect(early.history.map((h) => h.event)).toEqual(['xstate.init', 'switch']);
    expect(inspector.get('lamp/1')).toMatchObject({ state: 'off', context: { switches: 2 } });
  });

  it('keeps the newest maxEndedActors ended actors listed, after the live ones', () => {
    const inspector = inspectorWith(8, 2);
    const live = lamp(inspector, 'lamp/live');
    for (const id of ['lamp/a', 'lamp/b', 'lamp/c']) lamp(inspector, id).send({ type: 'unplug' });
    expect(inspector.list().map((view) => [view.id, view.status])).toEqual([['lamp/live', 'active'], ['lamp/b', 'done'], ['lamp/c', 'done']]);
    expect(inspector.get('lamp/a')).toBeUndefined();
    expect(inspector.list({ ids: ['lamp/c'] }).map((view) => view.history.map((h) => h.state))).toEqual([['off', 'gone']]);
    live.stop();
    expect(inspector.get('lamp/live')?.status).toBe('stopped');
  });

  it('pushes a view of every transition to the listeners whose filter matches, until they unsubscribe', () => {
    const inspector = inspectorWith(8, 10);
    const seen: ActorView[] = [];
    const unsubscribe = inspector.subscribe({ ids: ['lamp/watched'] }, (view) => seen.push(view));
    const watched = lamp(inspector, 'lamp/watched');
    lamp(inspector, 'lamp/other').send({ type: 'switch' });
    watched.send({ type: 'switch' });
    unsubscribe();
    watched.send({ type: 'switch' });
    expect(seen.map((view) => [view.state, view.context.switches, view.history.length])).toEqual([['off', 0, 1], ['on', 1, 2]]);
  });

  it('observeReported records each changed snapshot with the cause its entry action reported, skips ignored events, and records the end', () => {
    const inspector = inspectorWith(8, 10);
    /** The lamp with an entry action on every state that reports its cause, as a transaction's noteState does. */
    const reporting = (id: string) => {
      let handle: ReportedActor | undefined;
      const entry = ({ event }: { event: { type: string } }) => inspector.reportCause(handle!, event.type);
      const reportingMachine = setup({
        types: { context: {} as { switches: number; secret: string }, events: {} as { type: 'switch' } | { type: 'unplug' } | { type: 'ignored' } },
        actions: { count: assign({ switches: ({ context }) => context.switches + 1 }), entry },
      }).createMachine({
        id: 'lamp',
        context: { switches: 0, secret: 'not shown' },
        initial: 'off',
        states: {
          off: { entry: 'entry', on: { switch: { target: 'on', actions: 'count' }, unplug: 'gone' } },
          on: { entry: 'entry', on: { switch: { target: 'off', actions: 'count' }, unplug: 'gone' } },
          gone: { type: 'final', entry: 'entry' },
        },
      });
      const actor = createActor(reportingMachine, { id });
      handle = inspector.observeReported('transaction', actor, (c: { switches: number }) => ({ switches: c.switches }));
      return actor.start();
    };
    const done = reporting('lamp/done');
    done.send({ type: 'switch' });
    done.send({ type: 'ignored' });
    expect(inspector.list().map((view) => [view.id, view.status])).toEqual([['lamp/done', 'active']]);
    done.send({ type: 'unplug' });
    expect(inspector.get('lamp/done')).toMatchObject({ kind: 'transaction', machine: 'lamp', state: 'gone', status: 'done', event: 'unplug', context: { switches: 1 } });
    expect(inspector.get('lamp/done')!.history.map((h) => [h.state, h.event])).toEqual([['off', 'xstate.init'], ['on', 'switch'], ['gone', 'unplug']]);
  });

  it('keeps only the view of an ended actor, not what its provided actions hold', async () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    const inspector = inspectorWith(5, 10);
    const held = runEndedLamp(inspector);
    await new Promise((resolve) => setImmediate(resolve)); // a WeakRef's target lives to the end of the job that made it
    gc();
    expect(held.deref()).toBeUndefined();
    expect(inspector.get('lamp/held')).toMatchObject({ status: 'done', state: 'gone', context: { switches: 1 << 20 } });
  });
});
