/**
 * Test plans generated from a machine definition with @xstate/graph: an event
 * generator that offers every event the active states accept (delayed and
 * invoke-completion events included, with payload variants), and a plan of
 * paths that together take every transition of the machine at least once.
 * Coverage is counted on the machine's own transition definitions, so nested
 * and parallel states count exactly.
 */
import { getShortestPaths, toDirectedGraph, type DirectedGraphNode, type StatePath } from '@xstate/graph';
import { getNextSnapshot, type AnyMachineSnapshot, type AnyStateMachine, type EventObject } from 'xstate';

/** Payload variants per event type (or computed from the snapshot); an event type not listed is sent bare. */
export type PayloadVariants = Record<string, Array<Record<string, unknown>> | ((snapshot: AnyMachineSnapshot) => Array<Record<string, unknown>>)>;
export type MachinePath = StatePath<AnyMachineSnapshot, EventObject>;
type Transition = ReturnType<AnyStateMachine['getTransitionData']>[number];

/** Every event type accepted by the snapshot's active state nodes, expanded into payload variants. */
export function eventGenerator(variants: PayloadVariants) {
  return (snapshot: AnyMachineSnapshot): EventObject[] => {
    const types = new Set<string>();
    for (const node of snapshot._nodes) for (const type of node.transitions.keys()) types.add(type);
    return [...types].flatMap((type) => {
      const variant = variants[type] ?? [{}];
      return (typeof variant === 'function' ? variant(snapshot) : variant).map((payload) => ({ ...payload, type }));
    });
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
 * One path per newly covered transition: @xstate/graph's shortest path to a
 * state where an accepted event takes a transition not yet taken, then that
 * event. States are told apart by value and whole context (exact snapshots on
 * every path); `stopWhen` bounds machines whose context counts without end
 * (generations, failures).
 */
export function planTransitionCoverage(
  machine: AnyStateMachine,
  input: unknown,
  variants: PayloadVariants,
  stopWhen: (snapshot: AnyMachineSnapshot) => boolean = () => false,
): MachinePath[] {
  const events = eventGenerator(variants);
  const taken = new Set<Transition>();
  const paths: MachinePath[] = [];
  for (const prefix of getShortestPaths(machine, { input, events, stopWhen } as never) as MachinePath[]) {
    for (const event of events(prefix.state)) {
      const fresh = transitionsTaken(machine, prefix.state, event).filter((t) => !taken.has(t));
      if (fresh.length === 0) continue;
      fresh.forEach((t) => taken.add(t));
      const state = getNextSnapshot(machine, prefix.state, event) as AnyMachineSnapshot;
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
