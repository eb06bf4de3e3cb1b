/**
 * Test plans generated from a machine definition with @xstate/graph: an event
 * generator that offers every event the active states accept (delayed and
 * invoke-completion events included, with payload variants), and a plan of
 * paths that together take every transition of the machine at least once.
 * Coverage is counted on the machine's own transition definitions, so nested
 * and parallel states count exactly.
 */
import { getAdjacencyMap, getShortestPaths, toDirectedGraph, type DirectedGraphNode, type StatePath } from '@xstate/graph';
import type { AnyMachineSnapshot, AnyStateMachine, EventObject } from 'xstate';

/** Payload variants per event type; an event type not listed is sent bare. */
export type PayloadVariants = Record<string, Array<Record<string, unknown>>>;
export type MachinePath = StatePath<AnyMachineSnapshot, EventObject>;
type Transition = ReturnType<AnyStateMachine['getTransitionData']>[number];

/** Every event type accepted by the snapshot's active state nodes, expanded into payload variants. */
export function eventGenerator(variants: PayloadVariants) {
  return (snapshot: AnyMachineSnapshot): EventObject[] => {
    const types = new Set<string>();
    for (const node of snapshot._nodes) for (const type of node.transitions.keys()) types.add(type);
    return [...types].flatMap((type) => (variants[type] ?? [{}]).map((payload) => ({ ...payload, type })));
  };
}

export function describeTransition(transition: Transition): string {
  const targets = transition.target?.map((node) => node.id).join(',') ?? transition.source.id;
  const guard = transition.guard ? ` [${typeof transition.guard === 'string' ? transition.guard : 'guard'}]` : '';
  return `${transition.source.id} --${transition.eventType}${guard}--> ${targets}`;
}

/** Every transition definition of the machine (from its directed graph) and every state id. */
export function machineShape(machine: AnyStateMachine): { transitions: Set<Transition>; states: string[] } {
  const transitions = new Set<Transition>();
  const states: string[] = [];
  const visit = (node: DirectedGraphNode): void => {
    if (node.id !== machine.id) states.push(node.id);
    for (const edge of node.edges) transitions.add(edge.transition as Transition);
    node.children.forEach(visit);
  };
  visit(toDirectedGraph(machine));
  return { transitions, states };
}

function transitionsTaken(machine: AnyStateMachine, from: AnyMachineSnapshot, event: EventObject): Transition[] {
  return machine.getTransitionData(from, event);
}

/**
 * One path per newly covered transition: the shortest path to a state where
 * an accepted event takes a transition not yet taken, then that event.
 * `contextKeys` are the context fields guards read; other context (counters)
 * is left out of state identity, which keeps the graph finite.
 */
export function planTransitionCoverage(machine: AnyStateMachine, input: unknown, variants: PayloadVariants, contextKeys: string[] = []): MachinePath[] {
  const serializeState = (snapshot: AnyMachineSnapshot): string =>
    JSON.stringify([snapshot.value, contextKeys.map((key) => (snapshot.context as Record<string, unknown>)[key])]);
  const options = { input, events: eventGenerator(variants), serializeState } as never;
  const shortest = new Map<string, MachinePath>();
  for (const path of getShortestPaths(machine, options) as MachinePath[]) shortest.set(serializeState(path.state), path);
  const adjacency = getAdjacencyMap(machine, options) as Record<string, { state: AnyMachineSnapshot; transitions: Record<string, { event: EventObject; state: AnyMachineSnapshot }> }>;
  const taken = new Set<Transition>();
  const paths: MachinePath[] = [];
  for (const [key, { state: from, transitions }] of Object.entries(adjacency)) {
    const prefix = shortest.get(key);
    if (!prefix) continue;
    for (const { event, state } of Object.values(transitions)) {
      const fresh = transitionsTaken(machine, from, event).filter((t) => !taken.has(t));
      if (fresh.length === 0) continue;
      fresh.forEach((t) => taken.add(t));
      paths.push({ state, weight: prefix.weight + 1, steps: [...prefix.steps, { event, state }] });
    }
  }
  return paths;
}

export interface Coverage {
  machine: string;
  statesCovered: number;
  statesTotal: number;
  transitionsCovered: number;
  transitionsTotal: number;
  missingStates: string[];
  missingTransitions: string[];
}

/** What a set of paths covers of the machine, counted on transition definitions and state ids. */
export function coverageOf(machine: AnyStateMachine, paths: MachinePath[]): Coverage {
  const shape = machineShape(machine);
  const statesSeen = new Set<string>();
  const transitionsSeen = new Set<Transition>();
  for (const path of paths) {
    let previous: AnyMachineSnapshot | undefined;
    for (const step of path.steps) {
      for (const node of step.state._nodes) statesSeen.add(node.id);
      if (previous) transitionsTaken(machine, previous, step.event).forEach((t) => transitionsSeen.add(t));
      previous = step.state;
    }
  }
  const missingStates = shape.states.filter((id) => !statesSeen.has(id));
  const missingTransitions = [...shape.transitions].filter((t) => !transitionsSeen.has(t)).map(describeTransition);
  return {
    machine: machine.id,
    statesCovered: shape.states.length - missingStates.length,
    statesTotal: shape.states.length,
    transitionsCovered: shape.transitions.size - missingTransitions.length,
    transitionsTotal: shape.transitions.size,
    missingStates,
    missingTransitions,
  };
}
