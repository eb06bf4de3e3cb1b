/**
 * Lays a machine graph out once (dagre) into boxes and edge routes. The
 * layout depends on the definition only, never on an actor's state, so live
 * updates change colours and never move anything. Transitions between the
 * same two states share one edge with one label line each. Both directions
 * (left→right, top→bottom) are tried and the one that fits the drawing area
 * at the larger scale wins; left→right on a near tie, as it reads like time.
 * No DOM here: text widths come from `measure`, and tests run it in Node.
 */
import { graphlib, layout } from '@dagrejs/dagre';
import { leafOf, type MachineGraph } from '../graph-model.js';

export type BoxKind = 'state' | 'final' | 'compound' | 'initial' | 'any';

export interface Point { x: number; y: number }

export interface Box {
  /** State-node id; `<parent>.__initial` for the initial dot; the machine id for "(any state)". */
  id: string;
  label: string;
  kind: BoxKind;
  /** Centre and size. */
  x: number; y: number; width: number; height: number;
}

/** One drawn edge: every transition between the same two boxes shares it, one label line each. */
export interface EdgeRoute {
  /** Indexes into graph.transitions, one per label line; empty for the arrow from an initial dot. */
  transitions: number[];
  source: string;
  target: string;
  labels: string[];
  points: Point[];
  /** Centre and size of the label block. */
  labelX: number; labelY: number; labelWidth: number; labelHeight: number;
}

export interface MachineLayout { direction: Direction; width: number; height: number; boxes: Box[]; edges: EdgeRoute[] }

/** Width of a text in state-label font (12 px); edge labels use 11 px (statechart CSS). */
export type Measure = (text: string) => number;
export type Direction = 'LR' | 'TB';

const stateHeight = 32;
const statePadding = 26;
export const labelLineHeight = 14;
const labelPadding = 6;
const edgeFontRatio = 11 / 12;
const initialSize = 12;
/** Left→right is kept unless top→bottom fits at a scale this much larger. */
const directionPreference = 1.05;
export const anyStateText = '(any state)';
/** The drawing area the page offers (CSS px): the layout that needs the least shrinking wins. */
export const defaultFit = { width: 1100, height: 560 };

interface NodeLabel { width: number; height: number; x?: number; y?: number; label: string; kind: BoxKind }
interface EdgeLabel { width: number; height: number; labelpos: 'c'; points?: Point[]; x?: number; y?: number; transitions: number[]; labels: string[] }
interface EdgeGroup { source: string; target: string; transitions: number[]; labels: string[] }

export function initialDotId(parent: string): string {
  return `${parent}.__initial`;
}

export function layoutMachine(graph: MachineGraph, measure: Measure, fit = defaultFit): MachineLayout {
  const scale = (candidate: MachineLayout): number => Math.min(1, fit.width / candidate.width, fit.height / candidate.height);
  const leftToRight = layoutInDirection(graph, measure, 'LR');
  const topToBottom = layoutInDirection(graph, measure, 'TB');
  return scale(topToBottom) > scale(leftToRight) * directionPreference ? topToBottom : leftToRight;
}

function boxesOf(graph: MachineGraph): Array<{ id: string; label: string; kind: BoxKind; parent: string | undefined }> {
  const boxes: Array<{ id: string; label: string; kind: BoxKind; parent: string | undefined }> = [];
  if (graph.transitions.some((transition) => transition.source === graph.id)) boxes.push({ id: graph.id, label: anyStateText, kind: 'any', parent: undefined });
  for (const state of graph.states) {
    const kind: BoxKind = state.type === 'compound' || state.type === 'parallel' ? 'compound' : state.type === 'final' ? 'final' : 'state';
    boxes.push({ id: state.id, label: state.key, kind, parent: state.parent === graph.id ? undefined : state.parent });
  }
  for (const parent of [graph.id, ...graph.states.filter((state) => state.initial).map((state) => state.id)]) {
    boxes.push({ id: initialDotId(parent), label: '', kind: 'initial', parent: parent === graph.id ? undefined : parent });
  }
  return boxes;
}

/** Edges between leaf boxes, transitions between the same two boxes grouped. */
function edgeGroups(graph: MachineGraph): EdgeGroup[] {
  const groups = new Map<string, EdgeGroup>();
  const group = (source: string, target: string): EdgeGroup => {
    const [from, to] = [leafOf(graph, source), leafOf(graph, target)];
    const key = `${from}\u0000${to}`;
    let entry = groups.get(key);
    if (!entry) groups.set(key, (entry = { source: from, target: to, transitions: [], labels: [] }));
    return entry;
  };
  if (graph.initial) group(initialDotId(graph.id), graph.initial);
  for (const state of graph.states) if (state.initial) group(initialDotId(state.id), state.initial);
  graph.transitions.forEach((transition, index) => {
    const entry = group(transition.source, transition.target);
    entry.transitions.push(index);
    entry.labels.push(transition.label);
  });
  return [...groups.values()];
}

function layoutInDirection(graph: MachineGraph, measure: Measure, direction: Direction): MachineLayout {
  const g = new graphlib.Graph({ multigraph: true, compound: true });
  g.setGraph({ rankdir: direction, nodesep: 20, ranksep: 36, edgesep: 10, marginx: 12, marginy: 12 });
  for (const box of boxesOf(graph)) {
    const size = box.kind === 'initial' ? { width: initialSize, height: initialSize } : { width: Math.ceil(measure(box.label)) + statePadding, height: stateHeight };
    g.setNode(box.id, { ...size, label: box.label, kind: box.kind } satisfies NodeLabel);
    if (box.parent !== undefined) g.setParent(box.id, box.parent);
  }
  edgeGroups(graph).forEach(({ source, target, transitions, labels }, index) => {
    const width = labels.length ? Math.ceil(Math.max(...labels.map((label) => measure(label) * edgeFontRatio))) + labelPadding : 0;
    const edgeLabel: EdgeLabel = { width, height: labels.length * labelLineHeight, labelpos: 'c', transitions, labels };
    g.setEdge(source, target, edgeLabel, `e${index}`);
  });
  layout(g);
  return collect(g, direction);
}

function collect(g: graphlib.Graph, direction: Direction): MachineLayout {
  const boxes: Box[] = g.nodes().map((id) => {
    const node = g.node(id) as NodeLabel;
    return { id, label: node.label, kind: node.kind, x: node.x ?? 0, y: node.y ?? 0, width: node.width, height: node.height };
  });
  const edges: EdgeRoute[] = g.edges().map((key) => {
    const label = g.edge(key) as EdgeLabel;
    const points = label.points ?? [];
    const middle = points[Math.floor(points.length / 2)] ?? { x: 0, y: 0 };
    return {
      transitions: label.transitions, source: key.v, target: key.w, labels: label.labels,
      points, labelX: label.x ?? middle.x, labelY: label.y ?? middle.y, labelWidth: label.width, labelHeight: label.height,
    };
  });
  const size = g.graph() as { width?: number; height?: number };
  return { direction, width: Math.ceil(size.width ?? 0), height: Math.ceil(size.height ?? 0), boxes, edges };
}
