/**
 * One machine drawn as SVG from its layout. The drawing is built once per
 * machine; `highlight` only switches classes, so an actor changing state ten
 * times a second costs a few attribute writes and nothing moves.
 */
import { activeStateIds, type MachineGraph } from '../graph-model.js';
import { s } from './dom.js';
import { initialDotId, labelLineHeight, layoutMachine, type Box, type EdgeRoute, type MachineLayout, type Point } from './layout.js';

/** Draws a route through dagre's points as a smooth curve (quadratic segments through the midpoints). */
function pathData(points: Point[]): string {
  if (points.length === 0) return '';
  const [first, ...rest] = points;
  if (rest.length <= 1) return `M${first!.x},${first!.y}${rest.map((p) => ` L${p.x},${p.y}`).join('')}`;
  let d = `M${first!.x},${first!.y}`;
  for (let i = 0; i < rest.length - 1; i++) {
    const control = rest[i]!;
    const next = rest[i + 1]!;
    const end = i === rest.length - 2 ? next : { x: (control.x + next.x) / 2, y: (control.y + next.y) / 2 };
    d += ` Q${control.x},${control.y} ${end.x},${end.y}`;
  }
  return d;
}

function arrowMarker(id: string): SVGMarkerElement {
  return s('marker', { id, viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 8, markerHeight: 8, orient: 'auto-start-reverse', markerUnits: 'userSpaceOnUse' },
    s('path', { d: 'M0,0 L10,5 L0,10 z', class: id }));
}

function drawBox(box: Box): SVGGElement {
  const left = box.x - box.width / 2;
  const top = box.y - box.height / 2;
  const group = s('g', { class: `node ${box.kind}`, 'data-state-id': box.id });
  if (box.kind === 'initial') {
    group.append(s('circle', { cx: box.x, cy: box.y, r: box.width / 2 }));
    return group;
  }
  if (box.kind === 'compound') {
    group.append(s('rect', { x: left, y: top, width: box.width, height: box.height, rx: 10 }), s('text', { x: left + 10, y: top + 14, class: 'compound-label' }, box.label));
    return group;
  }
  group.append(s('rect', { x: left, y: top, width: box.width, height: box.height, rx: 9 }));
  if (box.kind === 'final') group.append(s('rect', { x: left + 3, y: top + 3, width: box.width - 6, height: box.height - 6, rx: 7, class: 'inner' }));
  group.append(s('text', { x: box.x, y: box.y, 'text-anchor': 'middle', 'dominant-baseline': 'central' }, box.label));
  return group;
}

/**
 * A transition back into its own state: a loop out of the side where layout
 * put its label (beside the state), reaching the label and returning.
 */
function loopData(box: Box, route: EdgeRoute): string {
  const dx = route.labelX - box.x;
  const dy = route.labelY - box.y;
  if (Math.abs(dx) * box.height >= Math.abs(dy) * box.width) {
    const side = Math.sign(dx) || 1;
    const edgeX = box.x + (side * box.width) / 2;
    const reachX = route.labelX - (side * route.labelWidth) / 2;
    const spread = box.height / 4;
    return `M${edgeX},${box.y - spread} C${reachX},${box.y - spread * 3} ${reachX},${box.y + spread * 3} ${edgeX},${box.y + spread}`;
  }
  const side = Math.sign(dy) || 1;
  const edgeY = box.y + (side * box.height) / 2;
  const reachY = route.labelY - (side * route.labelHeight) / 2;
  const spread = Math.min(box.width / 4, 16);
  return `M${box.x - spread},${edgeY} C${box.x - spread * 3},${reachY} ${box.x + spread * 3},${reachY} ${box.x + spread},${edgeY}`;
}

function drawEdge(route: EdgeRoute, source: Box | undefined): SVGGElement {
  const group = s('g', { class: route.transitions.length ? 'edge' : 'edge initial-edge', 'data-transitions': route.transitions.join(' ') });
  const loop = route.source === route.target && source !== undefined;
  group.append(s('path', { d: loop ? loopData(source, route) : pathData(route.points), 'marker-end': 'url(#arrow)' }));
  if (route.labels.length) {
    const top = route.labelY - route.labelHeight / 2;
    group.append(s('rect', { x: route.labelX - route.labelWidth / 2, y: top, width: route.labelWidth, height: route.labelHeight, rx: 3, class: 'edge-label-bg' }));
    route.labels.forEach((label, line) => group.append(s('text', {
      x: route.labelX, y: top + (line + 0.5) * labelLineHeight, 'text-anchor': 'middle', 'dominant-baseline': 'central',
      class: 'edge-label', 'data-transition': route.transitions[line],
    }, label)));
  }
  return group;
}

export class Statechart {
  readonly element: SVGSVGElement;
  private readonly nodes = new Map<string, SVGGElement>();
  private readonly edges: Array<{ route: EdgeRoute; element: SVGGElement }> = [];
  private lit: Element[] = [];

  constructor(private readonly graph: MachineGraph, layout: MachineLayout) {
    this.element = s('svg', {
      class: 'statechart', viewBox: `0 0 ${layout.width} ${layout.height}`, width: layout.width, height: layout.height,
      role: 'img', 'aria-label': `${graph.id} statechart`, 'data-machine': graph.id,
    });
    this.element.append(s('defs', {}, arrowMarker('arrow'), arrowMarker('arrow-taken')));
    // Containers first, so states and edges draw over them.
    const boxes = [...layout.boxes].sort((a, b) => Number(b.kind === 'compound') - Number(a.kind === 'compound'));
    for (const box of boxes.filter((candidate) => candidate.kind === 'compound')) this.addNode(box);
    const boxById = new Map(layout.boxes.map((box) => [box.id, box]));
    layout.edges.forEach((route) => {
      const element = drawEdge(route, boxById.get(route.source));
      this.edges.push({ route, element });
      this.element.append(element);
    });
    for (const box of boxes.filter((candidate) => candidate.kind !== 'compound')) this.addNode(box);
  }

  private addNode(box: Box): void {
    const element = drawBox(box);
    this.nodes.set(box.id, element);
    this.element.append(element);
  }

  /**
   * Marks the states active in `state` (a state value) as current and the
   * transition that led there (from `previous`, caused by `event`) as taken;
   * after `xstate.init` (no previous state) the initial arrow is the one taken.
   */
  highlight(state: unknown, previous: unknown | undefined, event: string | undefined, ended: boolean): void {
    for (const element of this.lit) {
      element.classList.remove('current', 'taken', 'ended');
      element.querySelector(':scope > path')?.setAttribute('marker-end', 'url(#arrow)');
    }
    this.lit = [];
    const active = activeStateIds(this.graph.id, state);
    for (const id of active) this.light(this.nodes.get(id), ended ? ['current', 'ended'] : ['current']);
    const taken = previous !== undefined ? this.takenTransition(activeStateIds(this.graph.id, previous), active, event) : undefined;
    const edge = taken !== undefined ? this.edges.find(({ route }) => route.transitions.includes(taken))
      : event === 'xstate.init' ? this.edges.find(({ route }) => route.source === initialDotId(this.graph.id)) : undefined;
    if (edge) {
      this.light(edge.element, ['taken']);
      edge.element.querySelector(':scope > path')?.setAttribute('marker-end', 'url(#arrow-taken)');
      if (taken !== undefined) this.light(edge.element.querySelector(`text[data-transition="${taken}"]`) ?? undefined, ['taken']);
    }
  }

  private light(element: Element | undefined, classes: string[]): void {
    if (!element) return;
    element.classList.add(...classes);
    this.lit.push(element);
  }

  /** The transition for `event` from a previously active state to a now active one (or an internal one of an active state). */
  private takenTransition(before: string[], after: string[], event: string | undefined): number | undefined {
    const sources = new Set([this.graph.id, ...before]);
    const index = this.graph.transitions.findIndex((transition) =>
      transition.event === event && sources.has(transition.source) && (after.includes(transition.target) || (transition.internal && after.includes(transition.source))));
    return index < 0 ? undefined : index;
  }
}

const layouts = new Map<string, MachineLayout>();

/** The layout of a machine, computed once per page: selecting an actor again never lays it out anew. */
export function statechartFor(graph: MachineGraph, measure: (text: string) => number): Statechart {
  let layout = layouts.get(graph.id);
  if (!layout) {
    layout = layoutMachine(graph, measure);
    layouts.set(graph.id, layout);
  }
  return new Statechart(graph, layout);
}
