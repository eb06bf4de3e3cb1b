/**
 * Machine definitions → their drawable graph (graph-model.ts), through
 * @xstate/graph's directed graph, so every diagram — the CLI export, the
 * README, the visualiser page — is generated from the code that runs.
 */
import { toDirectedGraph, type DirectedGraphNode } from '@xstate/graph';
import type { AnyStateMachine } from 'xstate';
import * as definitions from '../../machines/index.js';
import { transitionLabel, type MachineGraph, type StateNodeView, type TransitionView } from './graph-model.js';

type GraphTransition = DirectedGraphNode['edges'][number]['transition'];

function isMachine(value: unknown): value is AnyStateMachine {
  return typeof value === 'object' && value !== null && 'root' in value && 'getTransitionData' in value;
}

/** Every machine exported by machines/index.ts, by machine id. */
export function allMachines(): AnyStateMachine[] {
  return Object.values(definitions).filter(isMachine).sort((a, b) => a.id.localeCompare(b.id));
}

function implementationName(implementation: unknown, fallback: string): string {
  if (typeof implementation === 'string') return implementation;
  if (typeof implementation === 'function') return implementation.name || fallback;
  const type = (implementation as { type?: unknown } | null)?.type;
  return typeof type === 'string' ? type : fallback;
}

function transitionView(source: string, target: string, transition: GraphTransition): TransitionView {
  const guard = transition.guard === undefined ? null : implementationName(transition.guard, 'guard');
  return {
    source, target,
    event: transition.eventType,
    label: transitionLabel(transition.eventType, guard),
    guard,
    actions: transition.actions.map((action) => implementationName(action, 'action')),
    internal: transition.target === undefined,
    reenter: transition.reenter,
  };
}

export function machineGraph(machine: AnyStateMachine): MachineGraph {
  const states: StateNodeView[] = [];
  const transitions: TransitionView[] = [];
  const visit = (node: DirectedGraphNode, parent: string | null): void => {
    const stateNode = node.stateNode;
    if (parent !== null) {
      const initial = stateNode.type === 'compound' ? (stateNode.initial?.target[0]?.id ?? null) : null;
      states.push({ id: node.id, key: stateNode.key, parent, type: stateNode.type, initial });
    }
    for (const edge of node.edges) transitions.push(transitionView(edge.source.id, edge.target.id, edge.transition));
    for (const child of node.children) visit(child, node.id);
  };
  const root = toDirectedGraph(machine);
  visit(root, null);
  return { id: machine.id, initial: machine.root.initial?.target[0]?.id ?? null, states, transitions };
}

/** Graphs of every machine, or of the one whose id is `only` (undefined when there is none). */
export function machineGraphs(only?: string): MachineGraph[] {
  const graphs = allMachines().map(machineGraph);
  return only === undefined ? graphs : graphs.filter((graph) => graph.id === only);
}
