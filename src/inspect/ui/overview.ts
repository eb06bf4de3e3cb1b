/**
 * The left column: topics with their partitions and end offsets, consumer
 * groups with members, assignments and lag, transactions (open first, then
 * recently ended), and every actor by kind. Any row that stands for an actor
 * selects it. Offsets and lag come from the admin requests the page polls;
 * states come live from the inspection stream.
 */
import type { ActorView, DescribeGroupBody, DescribeTopicBody } from '../../protocol/frames.js';
import { shownOf } from '../../protocol/shown-of.js';
import { stateValueText } from '../graph-model.js';
import { formatDuration, h, syncRows } from './dom.js';

export interface BrokerPicture {
  topics: DescribeTopicBody[];
  groups: DescribeGroupBody[];
}

export interface OverviewView {
  actors: ReadonlyMap<string, ActorView>;
  picture: BrokerPicture;
  selected: string | null;
  nowMs: number;
}

/** Rows shown per list; the broker can hold far more actors than a page can show usefully. */
export const maxRowsPerList = 200;

type Select = (actorId: string) => void;

function actorRow(id: string, selected: boolean, select: Select, ...cells: Array<Node | string>): HTMLTableRowElement {
  const row = h('tr', { class: selected ? 'actor-row selected' : 'actor-row', 'data-actor-id': id, tabindex: 0 });
  for (const cell of cells) row.append(h('td', {}, cell));
  row.addEventListener('click', () => select(id));
  row.addEventListener('keydown', (event) => {
    if (event.key === 'Enter') select(id);
  });
  return row;
}

function stateBadge(actor: ActorView | undefined, fallback = '—'): HTMLElement {
  const state = actor ? stateValueText(actor.state) : fallback;
  return h('span', { class: `badge state-${state.replace(/\W/g, '-')}${actor && actor.status !== 'active' ? ' ended' : ''}` }, state);
}

function actorSignature(actor: ActorView | undefined, selected: boolean): string {
  return `${actor ? `${stateValueText(actor.state)}/${actor.status}` : '-'}/${selected}`;
}

export function renderTopics(table: HTMLElement, view: OverviewView, select: Select): void {
  const rows = view.picture.topics.flatMap((topic) => topic.partitions.map((partition) => ({ topic: topic.name, partition })));
  const known = new Set(rows.map((row) => `partition/${row.topic}/${row.partition.partition}`));
  // Partitions created since the last poll are already live actors.
  for (const actor of view.actors.values()) {
    if (actor.kind !== 'partition' || known.has(actor.id)) continue;
    const { topic, partition } = actor.context as { topic: string; partition: number };
    rows.push({ topic, partition: { partition, startOffset: 0, endOffset: Number.NaN, state: stateValueText(actor.state) } });
  }
  rows.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition.partition - b.partition.partition);
  syncRows(
    table, rows.slice(0, maxRowsPerList),
    (row) => `partition/${row.topic}/${row.partition.partition}`,
    (row) => {
      const id = `partition/${row.topic}/${row.partition.partition}`;
      return `${actorSignature(view.actors.get(id), view.selected === id)}/${row.partition.startOffset}/${row.partition.endOffset}`;
    },
    (row) => {
      const id = `partition/${row.topic}/${row.partition.partition}`;
      const end = Number.isNaN(row.partition.endOffset) ? '…' : String(row.partition.endOffset);
      return actorRow(id, view.selected === id, select, `${row.topic}/${row.partition.partition}`, stateBadge(view.actors.get(id), row.partition.state), h('span', { class: 'offset', title: `start ${row.partition.startOffset}` }, end));
    },
  );
}

export function renderGroups(container: HTMLElement, view: OverviewView, select: Select): void {
  const groups = [...view.picture.groups].sort((a, b) => a.group.localeCompare(b.group)).slice(0, maxRowsPerList);
  syncRows(
    container, groups,
    (group) => group.group,
    (group) => JSON.stringify([group, view.selected, ...[`group/${group.group}`, ...group.members.map((m) => `group/${group.group}/member/${m.id}`)].map((id) => actorSignature(view.actors.get(id), false))]),
    (group) => groupBlock(group, view, select),
  );
}

function groupBlock(group: DescribeGroupBody, view: OverviewView, select: Select): HTMLElement {
  const groupId = `group/${group.group}`;
  const table = h('table', { class: 'rows' });
  table.append(actorRow(groupId, view.selected === groupId, select, h('strong', {}, group.group), stateBadge(view.actors.get(groupId), group.state), `gen ${group.generation}`));
  for (const member of group.members) {
    const id = `${groupId}/member/${member.id}`;
    const assignmentsCut = shownOf(member.assignments.length, member.assignmentsTotal, 'partitions');
    const assigned = (member.assignments.map((tp) => `${tp.topic}/${tp.partition}`).join(', ') || 'no partitions') + (assignmentsCut && ` (${assignmentsCut})`);
    table.append(actorRow(id, view.selected === id, select, h('span', { class: 'member', title: member.id }, `↳ ${member.clientId}`), stateBadge(view.actors.get(id), member.state), assigned));
  }
  const cut = [shownOf(group.members.length, group.membersTotal, 'members'), shownOf(group.lag.length, group.lagTotal, 'partitions')].filter(Boolean);
  const lag = h('table', { class: 'lag' }, h('tr', {}, h('th', {}, 'partition'), h('th', {}, 'committed'), h('th', {}, 'end'), h('th', {}, 'lag')));
  for (const entry of group.lag) {
    lag.append(h('tr', {}, h('td', {}, `${entry.topic}/${entry.partition}`), h('td', {}, String(entry.committedOffset)), h('td', {}, String(entry.endOffset)), h('td', { class: 'lag-value' }, String(entry.endOffset - entry.committedOffset))));
  }
  return h('div', { class: 'group' }, table, group.lag.length ? lag : null, cut.length ? h('p', { class: 'more' }, `${cut.join(', ')}: the broker listed what fits in one answer`) : null);
}

export function renderTransactions(table: HTMLElement, view: OverviewView, select: Select): void {
  const transactions = [...view.actors.values()]
    .filter((actor) => actor.kind === 'transaction')
    // Open ones first, then the most recently changed.
    .sort((a, b) => Number(b.status === 'active') - Number(a.status === 'active') || b.timeMs - a.timeMs)
    .slice(0, maxRowsPerList);
  syncRows(
    table, transactions,
    (actor) => actor.id,
    (actor) => `${actorSignature(actor, view.selected === actor.id)}/${JSON.stringify(actor.context)}/${Math.floor((view.nowMs - firstTime(actor)) / 1_000)}`,
    (actor) => {
      const context = actor.context as { group?: string; messages?: number; checks?: number };
      const detail = `${context.group ?? ''} · ${context.messages ?? 0} msg · ${context.checks ?? 0} checks · ${formatDuration(view.nowMs - firstTime(actor))}`;
      return actorRow(actor.id, view.selected === actor.id, select, h('span', { class: 'txn-id', title: actor.id }, actor.id.replace(/^txn\//, '')), stateBadge(actor), detail);
    },
  );
}

function firstTime(actor: ActorView): number {
  return actor.history[0]?.timeMs ?? actor.timeMs;
}

/** Said when the broker's inspect answer listed fewer actors than it has (it lists what fits in one frame). */
export function actorsListedNote(listed: number, total: number): string {
  return listed < total ? `showing ${listed} of ${total} actors: the broker listed the first that fit in one answer; others appear as they change` : '';
}

export function renderActors(container: HTMLElement, view: OverviewView, select: Select): void {
  const byKind = new Map<string, ActorView[]>();
  for (const actor of view.actors.values()) {
    const list = byKind.get(actor.kind) ?? [];
    list.push(actor);
    byKind.set(actor.kind, list);
  }
  const kinds = [...byKind.keys()].sort();
  // One <details> per kind stays in place (its open/closed state is the user's); only its rows change.
  syncRows(container, kinds, (kind) => kind, () => '', (kind) => h('details', { open: true, class: 'kind' }, h('summary', {}), h('table', { class: 'rows' }), h('p', { class: 'more' })));
  for (const details of Array.from(container.children)) {
    const kind = (details as HTMLElement).dataset.key!;
    const actors = byKind.get(kind)!.sort((a, b) => a.id.localeCompare(b.id, undefined, { numeric: true }));
    details.querySelector('summary')!.textContent = `${kind} (${actors.length})`;
    details.querySelector('p.more')!.textContent = actors.length > maxRowsPerList ? `… and ${actors.length - maxRowsPerList} more` : '';
    syncRows(
      details.querySelector('table')!, actors.slice(0, maxRowsPerList),
      (actor) => actor.id,
      (actor) => actorSignature(actor, view.selected === actor.id),
      (actor) => actorRow(actor.id, view.selected === actor.id, select, actor.id, stateBadge(actor)),
    );
  }
}
