/**
 * The drawable shape of a machine, as `machines export --format json` and the
 * broker's `GET /machines.json` give it, and the names shown for events. Pure
 * data and functions (no xstate, no DOM): the visualiser page imports this
 * file, so it can draw any machine without xstate.
 *
 * Ids are xstate state-node ids (`partition.online`); the root node's id is
 * the machine id, which is also `ActorView.machine`. A transition whose
 * source is the root applies in every state of the machine.
 */

export type StateNodeType = 'atomic' | 'compound' | 'parallel' | 'final' | 'history';

export interface StateNodeView {
  /** State-node id: `<machine>.<key>` (nested: `<machine>.<parent>.<key>`). */
  id: string;
  key: string;
  /** Id of the enclosing node; the machine id for top-level states. */
  parent: string;
  type: StateNodeType;
  /** Id of the initial child of a compound state, else null. */
  initial: string | null;
}

export interface TransitionView {
  source: string;
  target: string;
  /** The xstate event type (`xstate.after.sessionTimeout.member.joining`). */
  event: string;
  /** What the diagram shows: the readable event name and the guard (`after sessionTimeout`, `revoke.done [leaving]`). */
  label: string;
  guard: string | null;
  actions: string[];
  /** No target: the actions run and the state stays as it is (drawn as a self-loop). */
  internal: boolean;
  /** The state is left and entered again (its timers restart). */
  reenter: boolean;
}

export interface MachineGraph {
  /** Machine id: `partition`, `member`, … (= ActorView.machine). */
  id: string;
  /** Id of the initial top-level state. */
  initial: string | null;
  /** Every state node below the root, parents before children, in definition order. */
  states: StateNodeView[];
  transitions: TransitionView[];
}

export interface MachineGraphsDocument {
  machines: MachineGraph[];
}

function isContainer(state: StateNodeView | undefined): boolean {
  return state !== undefined && (state.type === 'compound' || state.type === 'parallel');
}

/**
 * Where an edge to or from `id` is drawn: a compound state's initial leaf
 * (layout engines and DOT join nodes, not clusters); any other id itself.
 */
export function leafOf(graph: MachineGraph, id: string): string {
  const state = graph.states.find((candidate) => candidate.id === id);
  if (!isContainer(state)) return id;
  const next = state!.initial ?? graph.states.find((candidate) => candidate.parent === id)?.id;
  return next === undefined ? id : leafOf(graph, next);
}

/**
 * A readable name for an xstate event type: delayed transitions, invoked
 * actors' completions and errors, eventless and init events get short names;
 * user events stay as they are.
 */
export function eventLabel(type: string): string {
  if (type === '') return 'always';
  if (type === 'xstate.init') return 'init';
  const after = /^xstate\.after\.([^.]+)\./.exec(type);
  if (after) return /^\d+$/.test(after[1]!) ? `after ${after[1]} ms` : `after ${after[1]}`;
  const actor = /^xstate\.(done|error)\.actor\.(.+)$/.exec(type);
  if (actor) return `${actor[1]}: ${actor[2]}`;
  const doneState = /^xstate\.done\.state\.(.+)$/.exec(type);
  if (doneState) return `done: ${doneState[1]}`;
  return type;
}

export function transitionLabel(event: string, guard: string | null): string {
  return guard ? `${eventLabel(event)} [${guard}]` : eventLabel(event);
}

/**
 * The ids of every state node active in a state value (`'online'`, or
 * `{ a: 'b' }` for nested states), parents included, under `machineId`.
 */
export function activeStateIds(machineId: string, value: unknown): string[] {
  if (typeof value === 'string') return [`${machineId}.${value}`];
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value as Record<string, unknown>).flatMap(([key, child]) => {
    const id = `${machineId}.${key}`;
    return [id, ...activeStateIds(id, child)];
  });
}

/** A state value as one line: `online`, `a.b`, `{a.b, c.d}` for parallel states. */
export function stateValueText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value !== 'object' || value === null) return String(value);
  const leaves = (prefix: string, v: unknown): string[] =>
    typeof v === 'string' ? [`${prefix}${v}`]
      : Object.entries((v ?? {}) as Record<string, unknown>).flatMap(([key, child]) => leaves(`${prefix}${key}.`, child));
  const all = leaves('', value);
  return all.length === 1 ? all[0]! : `{${all.join(', ')}}`;
}
