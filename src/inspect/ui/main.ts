/**
 * The visualiser page. Live actor states arrive on the inspection stream;
 * offsets, groups and lag come from read-only admin requests polled on the
 * same socket; publish and tail use the actormq client (bundled for the
 * browser); machine drawings come from the broker's /machines.json,
 * generated from the same definitions the broker runs.
 * Updates only mark data dirty; one render per animation frame applies them,
 * so an actor changing state many times a second costs one repaint a frame.
 *
 * `?token=…` in the address is the broker token, used for both connections.
 * `#<actor id>` selects an actor (links can point at one).
 */
import { connect, type Client } from '../../client/index.js';
import type { ActorView } from '../../protocol/frames.js';
import { stateValueText, type MachineGraph, type MachineGraphsDocument } from '../graph-model.js';
import { byId, formatTime, h } from './dom.js';
import { InspectStream, type StreamStatus } from './inspect-stream.js';
import { actorsListedNote, renderActors, renderGroups, renderTopics, renderTransactions, type BrokerPicture, type OverviewView } from './overview.js';
import { Playground } from './playground.js';
import { statechartFor, type Statechart } from './statechart.js';
import { pathSummary, renderTimeline, TimelineCursor } from './timeline.js';

const pollIntervalMs = 1_000;
/** Topics and groups described per poll; the page shows what fits, not a whole cluster. */
const maxDescribedPerPoll = 50;

const token = new URLSearchParams(location.search).get('token') ?? undefined;
const brokerUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/`;

const actors = new Map<string, ActorView>();
/** How many actors the broker's last inspect answer listed, and how many it counted. */
let listed = { actors: 0, total: 0 };
const machines = new Map<string, MachineGraph>();
let picture: BrokerPicture = { topics: [], groups: [] };
let selected: string | null = decodeURIComponent(location.hash.slice(1)) || null;
let drawn: { actorId: string; chart: Statechart } | null = null;
const cursor = new TimelineCursor();
let client: Client | null = null;

const measureContext = document.createElement('canvas').getContext('2d')!;
measureContext.font = '12px ui-sans-serif, system-ui, sans-serif';
const measure = (text: string): number => measureContext.measureText(text).width;

let renderPending = false;
function scheduleRender(): void {
  if (renderPending) return;
  renderPending = true;
  requestAnimationFrame(() => {
    renderPending = false;
    render();
  });
}

function select(actorId: string): void {
  selected = actorId;
  cursor.followLive();
  history.replaceState(null, '', `${location.pathname}${location.search}#${encodeURIComponent(actorId)}`);
  scheduleRender();
}

function render(): void {
  const view: OverviewView = { actors, picture, selected, nowMs: Date.now() };
  renderTopics(byId('topics'), view, select);
  renderGroups(byId('groups'), view, select);
  renderTransactions(byId('transactions'), view, select);
  renderActors(byId('actors'), view, select);
  byId('actors-listed').textContent = actorsListedNote(listed.actors, listed.total);
  renderDetail();
}

function renderDetail(): void {
  const actor = selected ? actors.get(selected) : undefined;
  byId('detail-empty').hidden = actor !== undefined;
  byId('detail-body').hidden = actor === undefined;
  if (selected && !actor) byId('detail-empty').textContent = `${selected}: not known to the broker (yet)`;
  if (!actor) return;
  const graph = machines.get(actor.machine);
  if (drawn?.actorId !== actor.id) {
    drawn = graph ? { actorId: actor.id, chart: statechartFor(graph, measure) } : null;
    byId('chart').replaceChildren(drawn ? drawn.chart.element : h('p', {}, `no drawing for machine ${actor.machine}`));
  }
  const history = actor.history;
  const index = cursor.index(history);
  const entry = history[index];
  const ended = actor.status !== 'active';
  drawn?.chart.highlight(entry?.state ?? actor.state, history[index - 1]?.state, entry?.event, ended && cursor.live);

  byId('actor-title').textContent = actor.id;
  byId('actor-meta').replaceChildren(
    h('span', { class: 'meta' }, `${actor.kind} · machine ${actor.machine}`),
    h('span', { class: `badge live-state${ended ? ' ended' : ''}`, 'data-live-state': stateValueText(actor.state) }, `now: ${stateValueText(actor.state)}${ended ? ` (${actor.status})` : ''}`),
  );
  byId('path-summary').textContent = pathSummary(history);
  byId('cursor-info').textContent = cursor.live
    ? `live · ${history.length} transitions`
    : `step ${index + 1} of ${history.length} · ${entry ? `${stateValueText(entry.state)} at ${formatTime(entry.timeMs)}` : ''}`;
  byId('cursor-info').dataset.cursorState = entry ? stateValueText(entry.state) : '';
  byId<HTMLButtonElement>('step-back').disabled = index <= 0;
  byId<HTMLButtonElement>('step-forward').disabled = cursor.live;
  byId<HTMLButtonElement>('step-live').disabled = cursor.live;
  renderTimeline(byId('timeline'), history, index, (step) => {
    cursor.jump(actor.history, step);
    scheduleRender();
  });
  byId('context').textContent = JSON.stringify(actor.context, null, 2);
}

function step(direction: 'back' | 'forward' | 'live'): void {
  const actor = selected ? actors.get(selected) : undefined;
  if (!actor) return;
  if (direction === 'back') cursor.back(actor.history);
  else if (direction === 'forward') cursor.forward(actor.history);
  else cursor.followLive();
  scheduleRender();
}

function showStatus(status: StreamStatus | 'error', detail: string): void {
  const element = byId('status');
  element.textContent = status === 'live' ? `live · ${detail}` : `${status}: ${detail}`;
  element.className = `status ${status}`;
  byId('token-form').hidden = status !== 'unauthorized';
}

async function poll(stream: InspectStream): Promise<void> {
  try {
    const [topics, groups] = await Promise.all([stream.request({ type: 'listTopics' }), stream.request({ type: 'listGroups' })]);
    const [described, groupDescriptions] = await Promise.all([
      Promise.all(topics.topics.slice(0, maxDescribedPerPoll).map((topic) => stream.request({ type: 'describeTopic', topic: topic.name }).catch(() => null))),
      Promise.all(groups.groups.slice(0, maxDescribedPerPoll).map((group) => stream.request({ type: 'describeGroup', group: group.group }).catch(() => null))),
    ]);
    picture = { topics: described.filter((topic) => topic !== null), groups: groupDescriptions.filter((group) => group !== null) };
    scheduleRender();
  } catch {
    // Not connected (yet): the stream reconnects by itself, the next poll tries again.
  }
}

async function start(): Promise<void> {
  byId('broker-url').textContent = brokerUrl;
  byId('step-back').addEventListener('click', () => step('back'));
  byId('step-forward').addEventListener('click', () => step('forward'));
  byId('step-live').addEventListener('click', () => step('live'));
  document.addEventListener('keydown', (event) => {
    if ((event.target as HTMLElement).closest('input, textarea')) return;
    if (event.key === 'ArrowLeft') step('back');
    if (event.key === 'ArrowRight') step('forward');
  });
  new Playground(() => client);

  const document_ = (await (await fetch('/machines.json')).json()) as MachineGraphsDocument;
  for (const graph of document_.machines) machines.set(graph.id, graph);

  const stream = new InspectStream(brokerUrl, token, {
    snapshot: (views, total) => {
      listed = { actors: views.length, total };
      actors.clear();
      for (const view of views) actors.set(view.id, view);
      scheduleRender();
      void poll(stream);
    },
    update: (view) => {
      actors.set(view.id, view);
      scheduleRender();
    },
    status: showStatus,
  });
  stream.start();
  setInterval(() => void poll(stream), pollIntervalMs);

  try {
    client = await connect(brokerUrl, { clientId: 'actormq-visualiser', token });
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code !== 'NOT_AUTHORIZED') showStatus('error', `client: ${(error as Error).message}`);
  }
}

void start();
