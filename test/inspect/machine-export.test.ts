import { describe, expect, it } from 'vitest';
import { toDirectedGraph, type DirectedGraphNode } from '@xstate/graph';
import type { AnyStateMachine } from 'xstate';
import { connectionMachine, groupMachine, groupMemberMachine, partitionMachine, transactionMachine } from '../../machines/index.js';
import { eventLabel, transitionLabel, type MachineGraphsDocument } from '../../src/inspect/graph-model.js';
import { anyStateLabel, exportMachines, toDot, toMermaid } from '../../src/inspect/machine-export.js';
import { allMachines, machineGraph, machineGraphs } from '../../src/inspect/machine-graph.js';

const machines: AnyStateMachine[] = [connectionMachine, groupMachine, groupMemberMachine, partitionMachine, transactionMachine];

/** What @xstate/graph itself says the machine is: every state id and every transition (source, target, event). */
function truth(machine: AnyStateMachine): { states: string[]; edges: Array<{ source: string; target: string; event: string }> } {
  const states: string[] = [];
  const edges: Array<{ source: string; target: string; event: string }> = [];
  const visit = (node: DirectedGraphNode): void => {
    if (node.id !== machine.id) states.push(node.id);
    for (const edge of node.edges) edges.push({ source: edge.source.id, target: edge.target.id, event: edge.transition.eventType });
    node.children.forEach(visit);
  };
  visit(toDirectedGraph(machine));
  return { states, edges };
}

describe('machine graphs', () => {
  it('cover every machine exported by machines/index.ts', () => {
    expect(allMachines().map((machine) => machine.id).sort()).toEqual(machines.map((machine) => machine.id).sort());
    expect(machineGraphs('partition').map((graph) => graph.id)).toEqual(['partition']);
    expect(machineGraphs('nope')).toEqual([]);
  });

  it.each(machines.map((machine) => [machine.id, machine] as const))('%s: every state and transition of the definition, nothing else', (_id, machine) => {
    const graph = machineGraph(machine);
    const expected = truth(machine);
    expect(graph.states.map((state) => state.id)).toEqual(expected.states);
    expect(graph.transitions.map(({ source, target, event }) => ({ source, target, event }))).toEqual(expected.edges);
    expect(graph.initial).toBe(machine.root.initial!.target[0]!.id);
  });

  it('names guards, actions, internal and re-entering transitions', () => {
    const member = machineGraph(groupMemberMachine);
    expect(member.transitions).toContainEqual(expect.objectContaining({
      source: 'member.revoking', target: 'member.left', event: 'revoke.done', guard: 'leaving', label: 'revoke.done [leaving]',
    }));
    expect(member.transitions).toContainEqual(expect.objectContaining({ source: 'member.assigned', target: 'member.assigned', event: 'assignment.set', internal: true, actions: ['recordPartitions'] }));
    expect(member.transitions).toContainEqual(expect.objectContaining({ source: 'member.joining', target: 'member.joining', event: 'member.heartbeat', internal: false, reenter: true }));
    expect(member.states.find((state) => state.id === 'member.left')).toMatchObject({ key: 'left', parent: 'member', type: 'final' });
    // group.close is defined on the machine itself: valid in any state.
    expect(machineGraph(groupMachine).transitions).toContainEqual(expect.objectContaining({ source: 'group', target: 'group.dead', event: 'group.close' }));
  });

  it('gives xstate event types readable names', () => {
    expect(eventLabel('xstate.after.sessionTimeout.member.joining')).toBe('after sessionTimeout');
    expect(eventLabel('xstate.after.1000.connection.closing')).toBe('after 1000 ms');
    expect(eventLabel('xstate.done.actor.recoverLog')).toBe('done: recoverLog');
    expect(eventLabel('xstate.error.actor.closeLog')).toBe('error: closeLog');
    expect(eventLabel('xstate.init')).toBe('init');
    expect(eventLabel('')).toBe('always');
    expect(eventLabel('txn.commit')).toBe('txn.commit');
    expect(transitionLabel('check.answered', 'lastCheck')).toBe('check.answered [lastCheck]');
  });
});

describe('export formats', () => {
  it.each(machines.map((machine) => [machine.id, machine] as const))('mermaid of %s: every state, the initial and final states, every transition label', (_id, machine) => {
    const graph = machineGraph(machine);
    const text = toMermaid(graph);
    const lines = text.split('\n');
    expect(lines[0]).toBe('stateDiagram-v2');
    const local = (id: string): string => (id === graph.id ? 'any_state' : id.slice(graph.id.length + 1));
    for (const state of graph.states) expect(lines).toContain(`  ${local(state.id)}`);
    expect(lines).toContain(`  [*] --> ${local(graph.initial!)}`);
    for (const state of graph.states.filter((candidate) => candidate.type === 'final')) expect(lines).toContain(`  ${local(state.id)} --> [*]`);
    for (const transition of graph.transitions) {
      expect(lines).toContain(`  ${local(transition.source)} --> ${local(transition.target)} : ${transition.label}`);
    }
    expect(lines.filter((line) => line.includes(' : '))).toHaveLength(graph.transitions.length);
  });

  it('mermaid draws transitions of the machine itself from an "(any state)" pseudo-state', () => {
    const text = toMermaid(machineGraph(groupMachine));
    expect(text).toContain(`state "${anyStateLabel}" as any_state`);
    expect(text).toContain('any_state --> dead : group.close');
  });

  it.each(machines.map((machine) => [machine.id, machine] as const))('dot of %s: every state node, the initial arrow, every labelled edge', (_id, machine) => {
    const graph = machineGraph(machine);
    const text = toDot(graph);
    expect(text.startsWith(`digraph "${graph.id}" {`)).toBe(true);
    expect(text.trimEnd().endsWith('}')).toBe(true);
    for (const state of graph.states) {
      expect(text).toContain(`"${state.id}" [label="${state.key}"${state.type === 'final' ? ', peripheries=2' : ''}];`);
    }
    expect(text).toContain(`"${graph.id}.__initial" -> "${graph.initial}";`);
    for (const transition of graph.transitions) {
      expect(text).toContain(`"${transition.source}" -> "${transition.target}" [label="${transition.label}"`);
    }
    // Balanced quotes and braces: the file parses.
    expect((text.match(/(?<!\\)"/g) ?? []).length % 2).toBe(0);
    expect(text.split('{').length).toBe(text.split('}').length);
  });

  it('json is the graph document, parsable and complete', () => {
    const document = JSON.parse(exportMachines(machineGraphs(), 'json')) as MachineGraphsDocument;
    expect(document.machines.map((graph) => graph.id).sort()).toEqual(['connection', 'group', 'member', 'partition', 'transaction']);
    const transaction = document.machines.find((graph) => graph.id === 'transaction')!;
    expect(transaction).toEqual(machineGraph(transactionMachine));
    expect(transaction.states.map((state) => state.key)).toEqual(expect.arrayContaining(['open', 'half', 'checking', 'committing', 'committed', 'rollingBack', 'rolledBack', 'parked']));
    expect(transaction.transitions).toContainEqual(expect.objectContaining({ source: 'transaction.half', target: 'transaction.checking', label: 'after nextCheck' }));
  });

  it('mermaid and dot hold one diagram per machine', () => {
    const graphs = machineGraphs();
    expect(exportMachines(graphs, 'mermaid').match(/^stateDiagram-v2$/gm)).toHaveLength(graphs.length);
    expect(exportMachines(graphs, 'dot').match(/^digraph /gm)).toHaveLength(graphs.length);
  });

  it('dot and mermaid escape what would end a string or a label', () => {
    const graph = {
      id: 'odd', initial: 'odd.a',
      states: [{ id: 'odd.a', key: 'a', parent: 'odd', type: 'atomic' as const, initial: null }],
      transitions: [{ source: 'odd.a', target: 'odd.a', event: 'say"hi";#', label: 'say"hi";#', guard: null, actions: [], internal: true, reenter: false }],
    };
    expect(toDot(graph)).toContain('[label="say\\"hi\\";#", style=dashed]');
    expect(toMermaid(graph)).toContain('a --> a : say"hi"#59;#35;');
  });
});
