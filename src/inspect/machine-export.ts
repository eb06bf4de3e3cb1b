/**
 * Machine graphs as text: Mermaid state diagrams (for the README, which
 * GitHub draws), Graphviz DOT, and JSON (what the visualiser page draws).
 * Each format shows the initial state, final states, every transition with
 * its readable event name and guard, and transitions defined on the machine
 * itself (valid in any state) as coming from an "(any state)" pseudo-state.
 */
import { leafOf, type MachineGraph, type MachineGraphsDocument, type StateNodeView } from './graph-model.js';

export const exportFormats = ['mermaid', 'dot', 'json'] as const;
export type ExportFormat = (typeof exportFormats)[number];

export const anyStateLabel = '(any state)';

export function exportMachines(graphs: MachineGraph[], format: ExportFormat): string {
  switch (format) {
    case 'json': return `${JSON.stringify({ machines: graphs } satisfies MachineGraphsDocument, null, 2)}\n`;
    case 'mermaid': return graphs.map(toMermaid).join('\n');
    case 'dot': return graphs.map(toDot).join('\n');
  }
}

function hasRootTransitions(graph: MachineGraph): boolean {
  return graph.transitions.some((transition) => transition.source === graph.id);
}

function children(graph: MachineGraph, parent: string): StateNodeView[] {
  return graph.states.filter((state) => state.parent === parent);
}

// --- Mermaid -----------------------------------------------------------

/** Mermaid ids: the state path below the machine, with anything but word characters as `_`. */
function mermaidId(graph: MachineGraph, id: string): string {
  if (id === graph.id) return 'any_state';
  return id.slice(graph.id.length + 1).replace(/\W/g, '_');
}

/** `#` and `;` end a Mermaid label; they are written as entity codes. */
function mermaidText(text: string): string {
  return text.replace(/[#;]/g, (character) => (character === '#' ? '#35;' : '#59;'));
}

function mermaidStates(graph: MachineGraph, parent: string, indent: string): string[] {
  const lines: string[] = [];
  const parentNode = graph.states.find((state) => state.id === parent);
  const initial = parentNode ? parentNode.initial : graph.initial;
  if (initial) lines.push(`${indent}[*] --> ${mermaidId(graph, initial)}`);
  for (const state of children(graph, parent)) {
    const id = mermaidId(graph, state.id);
    if (state.type === 'compound' || state.type === 'parallel') {
      lines.push(`${indent}state ${id} {`, ...mermaidStates(graph, state.id, `${indent}  `), `${indent}}`);
    } else {
      lines.push(id === state.key ? `${indent}${id}` : `${indent}state "${state.key}" as ${id}`);
    }
    if (state.type === 'final') lines.push(`${indent}${id} --> [*]`);
  }
  return lines;
}

export function toMermaid(graph: MachineGraph): string {
  const lines = ['stateDiagram-v2', `  %% ${graph.id} machine, generated from machines/ by \`actormq machines export --format mermaid\``];
  if (hasRootTransitions(graph)) lines.push(`  state "${anyStateLabel}" as any_state`);
  lines.push(...mermaidStates(graph, graph.id, '  '));
  for (const transition of graph.transitions) {
    lines.push(`  ${mermaidId(graph, transition.source)} --> ${mermaidId(graph, transition.target)} : ${mermaidText(transition.label)}`);
  }
  return `${lines.join('\n')}\n`;
}

// --- Graphviz DOT -------------------------------------------------------

function quote(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function dotStates(graph: MachineGraph, parent: string, indent: string): string[] {
  const lines: string[] = [];
  for (const state of children(graph, parent)) {
    if (state.type === 'compound' || state.type === 'parallel') {
      lines.push(`${indent}subgraph ${quote(`cluster_${state.id}`)} {`, `${indent}  label=${quote(state.key)};`);
      lines.push(...dotStates(graph, state.id, `${indent}  `), `${indent}}`);
    } else {
      lines.push(`${indent}${quote(state.id)} [label=${quote(state.key)}${state.type === 'final' ? ', peripheries=2' : ''}];`);
    }
  }
  return lines;
}

export function toDot(graph: MachineGraph): string {
  const initialNode = `${graph.id}.__initial`;
  const lines = [
    `digraph ${quote(graph.id)} {`,
    `  // ${graph.id} machine, generated from machines/ by \`actormq machines export --format dot\``,
    '  rankdir=LR; compound=true;',
    '  node [shape=box, style=rounded, fontname="Helvetica"];',
    '  edge [fontname="Helvetica", fontsize=10];',
    `  ${quote(initialNode)} [shape=point, width=0.15, label=""];`,
  ];
  if (hasRootTransitions(graph)) lines.push(`  ${quote(graph.id)} [label=${quote(anyStateLabel)}, style="rounded,dashed"];`);
  lines.push(...dotStates(graph, graph.id, '  '));
  if (graph.initial) lines.push(`  ${quote(initialNode)} -> ${quote(leafOf(graph, graph.initial))};`);
  for (const transition of graph.transitions) {
    const attributes = [`label=${quote(transition.label)}`];
    if (leafOf(graph, transition.source) !== transition.source) attributes.push(`ltail=${quote(`cluster_${transition.source}`)}`);
    if (leafOf(graph, transition.target) !== transition.target) attributes.push(`lhead=${quote(`cluster_${transition.target}`)}`);
    if (transition.internal) attributes.push('style=dashed');
    // DOT joins nodes, not clusters: an edge of a compound state ends at its initial leaf, clipped at the cluster.
    lines.push(`  ${quote(leafOf(graph, transition.source))} -> ${quote(leafOf(graph, transition.target))} [${attributes.join(', ')}];`);
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

// --- Markdown (the README) --------------------------------------------------

export const readmeBegin = '<!-- machines:begin — generated from machines/ by scripts/update-readme-diagrams.mjs; a test keeps it equal to the code -->';
export const readmeEnd = '<!-- machines:end -->';

/** Every machine as a Mermaid block under its name, between the README markers. */
export function readmeDiagrams(graphs: MachineGraph[]): string {
  const blocks = graphs.map((graph) => `<details${graph.id === 'transaction' ? ' open' : ''}><summary><code>${graph.id}</code> machine</summary>\n\n\`\`\`mermaid\n${toMermaid(graph)}\`\`\`\n\n</details>`);
  return [readmeBegin, ...blocks, readmeEnd].join('\n');
}

/** `readme` with the text between the markers replaced by the current diagrams; throws when the markers are missing. */
export function withReadmeDiagrams(readme: string, graphs: MachineGraph[]): string {
  const begin = readme.indexOf(readmeBegin);
  const end = readme.indexOf(readmeEnd);
  if (begin < 0 || end < begin) throw new Error('README.md has no machines:begin / machines:end markers');
  return `${readme.slice(0, begin)}${readmeDiagrams(graphs)}${readme.slice(end + readmeEnd.length)}`;
}
