/**
 * Test plans generated from a machine definition with @xstate/graph: an event
 * generator that offers every event the active states accept (delayed and
 * invoke-completion events included, with payload variants), and a plan of
 * paths that together take every transition of the machine at least once.
 */
import { getAdjacencyMap, getShortestPaths, toDirectedGraph, type DirectedGraphNode, type StatePath } from '@xstate/graph';
import type { AnyMachineSnapshot, AnyStateMachine, EventObject } from 'xstate';

/** Payload variants per event type; an event type not listed is sent bare. */
export type PayloadVariants = Record<string, Array<Record<string, unknown>>>;

export interface Edge { source: string; event: string; target: string }

export function edgeKey(edge: Edge): string {
  return `${edge.source} --${edge.event}--> ${edge.target}`;
}

/** Every event type accepted by the snapshot's active state nodes, expanded into payload variants. */
export function eventGenerator(variants: PayloadVariants) {
  return (snapshot: AnyMachineSnapshot): EventObject[] => {
    const types = new Set<string>();
    for (const node of snapshot._nodes) for (const type of node.transitions.keys()) types.add(type);
    return [...types].flatMap((type) => (variants[type] ?? [{}]).map((payload) => ({ ...payload, type })));
  };
}

/** Every transition drawn in the machine's directed graph. */
export function machineEdges(machine: AnyStateMachine): Edge[] {
  const edges: Edge[] = [];
  const visit = (node: DirectedGraphNode): void => {
    for (const edge of node.edges) edges.push({ source: edge.source.id, event: edge.label.text, target: edge.target.id });
    node.children.forEach(visit);
  };
  visit(toDirectedGraph(machine));
  return edges;
}

export function machineStates(machine: AnyStateMachine): string[] {
  const ids: string[] = [];
  const visit = (node: DirectedGraphNode): void => {
    ids.push(node.id);
    node.children.forEach(visit);
  };
  visit(toDirectedGraph(machine));
  return ids.filter((id) => id !== machine.id);
}

function stateId(machine: AnyStateMachine, snapshot: AnyMachineSnapshot): string {
  return `${machine.id}.${String(snapshot.value)}`;
}

export interface CoveragePlan {
  paths: Array<StatePath<AnyMachineSnapshot, EventObject>>;
  edges: Edge[];
  states: string[];
}

/**
 * One path per (reachable state, accepted event): the shortest path to the
 * state, then the event. Flat machines only (state ids are `<machine>.<value>`).
 */
export function planTransitionCoverage(machine: AnyStateMachine, input: unknown, variants: PayloadVariants, contextKeys: string[] = []): CoveragePlan {
  // States are told apart by value and the context fields guards read; counters would make the graph infinite.
  const serializeState = (snapshot: AnyMachineSnapshot): string =>
    JSON.stringify([snapshot.value, contextKeys.map((key) => (snapshot.context as Record<string, unknown>)[key])]);
  const options = { input, events: eventGenerator(variants), serializeState } as never;
  const shortest = new Map<string, StatePath<AnyMachineSnapshot, EventObject>>();
  for (const path of getShortestPaths(machine, options) as Array<StatePath<AnyMachineSnapshot, EventObject>>) {
    shortest.set(serializeState(path.state), path);
  }
  const adjacency = getAdjacencyMap(machine, options) as Record<string, { state: AnyMachineSnapshot; transitions: Record<string, { event: EventObject; state: AnyMachineSnapshot }> }>;
  const paths: Array<StatePath<AnyMachineSnapshot, EventObject>> = [];
  const seen = new Set<string>();
  for (const [key, { transitions }] of Object.entries(adjacency)) {
    const prefix = shortest.get(key);
    if (!prefix) continue;
    for (const { event, state } of Object.values(transitions)) {
      const edge = edgeKey({ source: stateId(machine, prefix.state), event: event.type, target: stateId(machine, state) });
      if (seen.has(edge)) continue;
      seen.add(edge);
      paths.push({ state, weight: prefix.weight + 1, steps: [...prefix.steps, { event, state }] });
    }
  }
  return { paths, edges: machineEdges(machine), states: machineStates(machine) };
}

/** Edges and states a set of paths takes, as `<machine>.<state>` ids. */
export function coverageOf(machine: AnyStateMachine, paths: CoveragePlan['paths']): { edges: Set<string>; states: Set<string> } {
  const edges = new Set<string>();
  const states = new Set<string>();
  for (const path of paths) {
    let previous: AnyMachineSnapshot | undefined;
    for (const step of path.steps) {
      states.add(stateId(machine, step.state));
      if (previous) edges.add(edgeKey({ source: stateId(machine, previous), event: step.event.type, target: stateId(machine, step.state) }));
      previous = step.state;
    }
  }
  return { edges, states };
}
