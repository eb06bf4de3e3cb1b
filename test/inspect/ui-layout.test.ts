import { describe, expect, it } from 'vitest';
import { activeStateIds, stateValueText } from '../../src/inspect/graph-model.js';
import { machineGraphs } from '../../src/inspect/machine-graph.js';
import { layoutMachine } from '../../src/inspect/ui/layout.js';
import { pathSummary, TimelineCursor } from '../../src/inspect/ui/timeline.js';

/** Roughly a 12 px sans-serif. */
const measure = (text: string): number => text.length * 6.5;

describe('statechart layout', () => {
  it.each(machineGraphs().map((graph) => [graph.id, graph] as const))('%s: a box per state, every transition on exactly one edge, no overlaps', (_id, graph) => {
    const layout = layoutMachine(graph, measure);
    const boxes = new Map(layout.boxes.map((box) => [box.id, box]));
    for (const state of graph.states) expect(boxes.has(state.id), state.id).toBe(true);
    const drawn = layout.edges.flatMap((edge) => edge.transitions).sort((a, b) => a - b);
    expect(drawn).toEqual(graph.transitions.map((_transition, index) => index));
    for (const edge of layout.edges) {
      expect(edge.labels).toEqual(edge.transitions.map((index) => graph.transitions[index]!.label));
      if (edge.source !== edge.target) expect(edge.points.length).toBeGreaterThanOrEqual(2);
    }
    const atomic = layout.boxes.filter((box) => box.kind !== 'compound');
    for (const [i, a] of atomic.entries()) {
      for (const b of atomic.slice(i + 1)) {
        const apart = Math.abs(a.x - b.x) >= (a.width + b.width) / 2 || Math.abs(a.y - b.y) >= (a.height + b.height) / 2;
        expect(apart, `${a.id} overlaps ${b.id}`).toBe(true);
      }
    }
    for (const box of layout.boxes) {
      expect(box.x - box.width / 2).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width / 2).toBeLessThanOrEqual(layout.width);
    }
  });

  it('is a function of the definition alone: the same layout every time', () => {
    for (const graph of machineGraphs()) expect(layoutMachine(graph, measure)).toEqual(layoutMachine(graph, measure));
  });

  it('picks the direction that needs less shrinking to fit', () => {
    const [transaction] = machineGraphs('transaction');
    expect(layoutMachine(transaction!, measure, { width: 4000, height: 300 }).direction).toBe('LR');
    expect(layoutMachine(transaction!, measure, { width: 300, height: 4000 }).direction).toBe('TB');
  });
});

describe('state values', () => {
  it('maps flat and nested values to state-node ids', () => {
    expect(activeStateIds('partition', 'online')).toEqual(['partition.online']);
    expect(activeStateIds('m', { a: 'b' })).toEqual(['m.a', 'm.a.b']);
    expect(activeStateIds('m', { p: { x: 'one', y: 'two' } })).toEqual(['m.p', 'm.p.x', 'm.p.x.one', 'm.p.y', 'm.p.y.two']);
    expect(stateValueText({ p: { x: 'one', y: 'two' } })).toBe('{p.x.one, p.y.two}');
    expect(stateValueText('half')).toBe('half');
  });
});

describe('timeline', () => {
  const at = (state: string, event: string, timeMs: number) => ({ state, event, timeMs });
  const history = [at('open', 'xstate.init', 1), at('half', 'txn.send', 2), at('checking', 'xstate.after.nextCheck.transaction.half', 3),
    at('checking', 'check.unanswered', 4), at('committing', 'txn.commit', 5), at('committed', 'xstate.done.actor.commitMessages', 6)];

  it('summarises a path, counting repeats', () => {
    expect(pathSummary(history)).toBe('open → half → checking ×2 → committing → committed');
    expect(pathSummary([])).toBe('');
  });

  it('steps back and forward, and holds its transition while new ones arrive and old ones fall out', () => {
    const cursor = new TimelineCursor();
    expect([cursor.live, cursor.index(history)]).toEqual([true, 5]);
    cursor.back(history);
    cursor.back(history);
    expect([cursor.live, cursor.index(history)]).toEqual([false, 3]);
    // Two newer transitions, the oldest one dropped: the cursor stays on the same transition.
    const moved = [...history.slice(1), at('x', 'e', 7)];
    expect(moved[cursor.index(moved)]).toEqual(history[3]);
    cursor.forward(moved);
    expect(moved[cursor.index(moved)]).toEqual(history[4]);
    cursor.forward(moved);
    cursor.forward(moved);
    expect(cursor.live).toBe(true);
    cursor.jump(history, 0);
    cursor.back(history);
    expect(cursor.index(history)).toBe(0);
    // The held transition fell out of the bounded history: the oldest kept one is shown.
    expect(cursor.index(history.slice(2))).toBe(0);
    cursor.followLive();
    expect(cursor.live).toBe(true);
  });
});
