/**
 * Live inspection of the broker's actors: every runtime registers its actor
 * here; each transition is recorded, and an ActorView (id, kind, machine,
 * state, the context worth showing, the event that caused it, time, recent
 * transitions) is what subscribers — the inspection stream of the protocol,
 * the visualiser, the model tests — and readers receive. Each actor keeps a
 * bounded history of transitions; ended actors stay listed (bounded) so
 * recent transactions remain visible.
 *
 * Recording is lazy: a transition keeps only the snapshot (immutable in
 * xstate) and a (state value, event type, time) entry in the actor's ring;
 * views are built when someone lists, gets or subscribes. Every actor of the
 * broker transitions through here, most of them never looked at.
 */
import type { AnyActorRef, InspectionEvent } from 'xstate';
import { encodedBytes } from '../protocol/answer-room.js';
import type { ActorKind, ActorTransition, ActorView } from '../protocol/frames.js';
import { TransitionRing, type RecordedTransition } from './transition-ring.js';

export interface InspectorLimits {
  /** Transitions kept per actor (a timeline to step back through). */
  historyLength: number;
  /** Ended actors kept for inspection, oldest dropped first. */
  maxEndedActors: number;
}

export const defaultInspectorLimits: InspectorLimits = { historyLength: 64, maxEndedActors: 1_000 };

export interface InspectFilter { kinds?: readonly string[]; ids?: readonly string[] }
export type ContextView<Context> = (context: Context) => Record<string, unknown>;
type Listener = (view: ActorView) => void;

interface InspectedSnapshot { value?: unknown; status: string; context?: unknown }

/** One observed actor: what it is, its last snapshot and its recent transitions, raw. */
interface ActorRecord {
  readonly id: string;
  readonly kind: ActorKind;
  readonly machine: string;
  readonly contextView: ContextView<never>;
  snapshot: InspectedSnapshot;
  readonly history: TransitionRing;
  /** observeReported: the cause its runtime reported for the transition under way. */
  cause: string;
}

/** The handle observeReported returns (its record, opaque to the caller). */
export interface ReportedActor { readonly id: string }

export function matches(filter: InspectFilter, view: Pick<ActorView, 'kind' | 'id'>): boolean {
  return (!filter.kinds?.length || filter.kinds.includes(view.kind)) && (!filter.ids?.length || filter.ids.includes(view.id));
}

function isJsonScalar(value: unknown): boolean {
  return value === null || typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value));
}

/** What JSON would keep of `value`; the common shapes (scalars, flat maps of scalars) skip the JSON round trip. */
function jsonSafe(value: unknown): unknown {
  if (value === undefined) return null;
  if (isJsonScalar(value)) return value;
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const copy: Record<string, unknown> = {};
    let flat = true;
    for (const [key, field] of Object.entries(value as Record<string, unknown>)) {
      if (isJsonScalar(field)) copy[key] = field;
      else if (field !== undefined && typeof field !== 'function') flat = false;
    }
    if (flat) return copy;
  }
  return JSON.parse(JSON.stringify(value, (_key, v: unknown) => (typeof v === 'function' ? undefined : v)));
}

function transitionView(transition: RecordedTransition): ActorTransition {
  return { state: jsonSafe(transition.state) as ActorTransition['state'], event: transition.event, timeMs: transition.timeMs };
}

function view(record: ActorRecord): ActorView {
  const { id, kind, machine, snapshot, history } = record;
  const transitions = history.toArray().map(transitionView);
  const last = transitions.at(-1)!; // recorded before any view is built
  return {
    id, kind, machine,
    state: last.state, status: snapshot.status, event: last.event, timeMs: last.timeMs,
    context: snapshot.context === undefined ? {} : (jsonSafe(record.contextView(snapshot.context as never)) as Record<string, unknown>),
    history: transitions,
  };
}

export class Inspector {
  private readonly live = new Map<string, ActorRecord>();
  /** Ended actors keep only their view: a record's snapshot would keep the actor's machine reachable, and with it the runtime objects its provided actions close over. */
  private readonly ended = new Map<string, ActorView>();
  private readonly listeners = new Set<{ filter: InspectFilter; listener: Listener }>();

  constructor(private readonly clock: () => number, readonly limits: InspectorLimits = defaultInspectorLimits) {}

  /** Registers a root actor before it starts; its transitions are recorded until it stops. */
  observe<Context>(kind: ActorKind, actor: AnyActorRef, contextView: ContextView<Context>): void {
    const record = this.newRecord(kind, actor, contextView);
    actor.system.inspect((event: InspectionEvent) => {
      if (event.type === '@xstate.snapshot' && event.actorRef === actor) this.record(record, event.snapshot as InspectedSnapshot, event.event.type);
    });
  }

  /**
   * Like `observe`, for a short-lived actor whose every transition enters a
   * state whose entry action reports the event that caused it: pass the
   * returned handle and the event's type to `reportCause` from that action.
   * Records from the actor's own snapshots instead of `system.inspect`, which
   * builds an inspection event for every event, microstep and action (for a
   * transaction, about a fifth of the broker's work on it), with one closure
   * per actor. An event the machine ignored leaves the snapshot as it was and
   * is not recorded; a stop is not recorded either (the actor keeps its last
   * view — transactions are stopped only when the broker shuts down).
   */
  observeReported<Context>(kind: ActorKind, actor: AnyActorRef, contextView: ContextView<Context>): ReportedActor {
    const record = this.newRecord(kind, actor, contextView);
    actor.subscribe((snapshot: InspectedSnapshot) => {
      if (snapshot !== record.snapshot) this.record(record, snapshot, record.cause);
    });
    return record;
  }

  /** The event causing the transition of an actor observed with observeReported, as its entry action runs. */
  reportCause(actor: ReportedActor, eventType: string): void {
    (actor as ActorRecord).cause = eventType;
  }

  /** Views of the matching actors, live ones first. */
  list(filter: InspectFilter = {}): ActorView[] {
    return this.listUpTo(filter, Infinity).actors;
  }

  /**
   * Views of the first matching actors, at most `max` and at most `roomBytes`
   * encoded (the rest are counted, not built), and how many match.
   */
  listUpTo(filter: InspectFilter, max: number, roomBytes = Infinity): { actors: ActorView[]; total: number } {
    const actors: ActorView[] = [];
    let total = 0;
    let bytes = 0;
    let listing = true;
    const offer = (build: () => ActorView): void => {
      total++;
      if (!listing || actors.length >= max) return;
      const built = build();
      if (roomBytes !== Infinity) bytes += encodedBytes(built); // list() fits no frame: nothing to measure
      listing = bytes <= roomBytes; // the first that does not fit ends the list, so it stays a prefix
      if (listing) actors.push(built);
    };
    for (const record of this.live.values()) if (matches(filter, record)) offer(() => view(record));
    for (const ended of this.ended.values()) if (matches(filter, ended)) offer(() => ended);
    return { actors, total };
  }

  get(id: string): ActorView | undefined {
    const record = this.live.get(id);
    return record ? view(record) : this.ended.get(id);
  }

  subscribe(filter: InspectFilter, listener: Listener): () => void {
    const entry = { filter, listener };
    this.listeners.add(entry);
    return () => this.listeners.delete(entry);
  }

  private newRecord<Context>(kind: ActorKind, actor: AnyActorRef, contextView: ContextView<Context>): ActorRecord {
    return {
      id: actor.id, kind, machine: ((actor as { logic?: { id?: string } }).logic)?.id ?? kind,
      contextView: contextView as ContextView<never>, snapshot: { status: 'active' }, history: new TransitionRing(this.limits.historyLength), cause: 'xstate.init',
    };
  }

  private record(record: ActorRecord, snapshot: InspectedSnapshot, eventType: string): void {
    if (record.history.length === 0) this.continueHistory(record);
    record.snapshot = snapshot;
    record.history.push({ state: snapshot.value, event: eventType, timeMs: this.clock() });
    if (snapshot.status === 'active') {
      this.live.set(record.id, record);
      if (this.listeners.size > 0) this.notify(record);
      return;
    }
    this.live.delete(record.id);
    const ended = view(record);
    this.ended.delete(record.id);
    this.ended.set(record.id, ended);
    if (this.ended.size > this.limits.maxEndedActors) this.ended.delete(this.ended.keys().next().value!);
    if (this.listeners.size > 0) this.notify(record, ended);
  }

  /** A new actor under the id of one still live (not yet stopped) carries its timeline on. */
  private continueHistory(record: ActorRecord): void {
    const previous = this.live.get(record.id);
    if (previous && previous !== record) for (const transition of previous.history.toArray()) record.history.push(transition);
  }

  /** Builds the view once, only when a listener wants this actor. */
  private notify(record: ActorRecord, built?: ActorView): void {
    for (const { filter, listener } of this.listeners) if (matches(filter, record)) listener((built ??= view(record)));
  }
}
