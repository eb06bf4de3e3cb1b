/**
 * Live inspection of the broker's actors: every runtime registers its actor
 * here; each transition becomes an ActorView (id, kind, machine, state, the
 * context worth showing, the event that caused it, time) that subscribers —
 * the inspection stream of the protocol, the visualiser, the model tests —
 * receive as it happens. Each actor keeps a bounded history of transitions;
 * ended actors stay listed (bounded) so recent transactions remain visible.
 */
import type { AnyActorRef, InspectionEvent } from 'xstate';
import type { ActorKind, ActorTransition, ActorView } from '../protocol/frames.js';

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

export function matches(filter: InspectFilter, view: ActorView): boolean {
  return (!filter.kinds?.length || filter.kinds.includes(view.kind)) && (!filter.ids?.length || filter.ids.includes(view.id));
}

function isJsonScalar(value: unknown): boolean {
  return value === null || typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value));
}

/**
 * What JSON would keep of `value`. Every transition goes through it, so the
 * common shapes skip the JSON round trip: scalars (most state values) and flat
 * maps of scalars (most context views).
 */
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

export class Inspector {
  private readonly live = new Map<string, ActorView>();
  private readonly ended = new Map<string, ActorView>();
  private readonly listeners = new Set<{ filter: InspectFilter; listener: Listener }>();
  private readonly contextViews = new WeakMap<AnyActorRef, ContextView<never>>();

  constructor(private readonly clock: () => number, private readonly limits: InspectorLimits = defaultInspectorLimits) {}

  /** Registers a root actor before it starts; its transitions are recorded until it stops. */
  observe<Context>(kind: ActorKind, actor: AnyActorRef, contextView: ContextView<Context>): void {
    const id = actor.id;
    this.contextViews.set(actor, contextView as ContextView<never>);
    actor.system.inspect((event: InspectionEvent) => {
      if (event.type !== '@xstate.snapshot' || event.actorRef !== actor) return;
      const snapshot = event.snapshot as { value?: unknown; status: string; context?: Context };
      this.record(kind, id, actor, snapshot, event.event.type);
    });
  }

  list(filter: InspectFilter = {}): ActorView[] {
    return [...this.live.values(), ...this.ended.values()].filter((view) => matches(filter, view));
  }

  get(id: string): ActorView | undefined {
    return this.live.get(id) ?? this.ended.get(id);
  }

  subscribe(filter: InspectFilter, listener: Listener): () => void {
    const entry = { filter, listener };
    this.listeners.add(entry);
    return () => this.listeners.delete(entry);
  }

  private record<Context>(kind: ActorKind, id: string, actor: AnyActorRef, snapshot: { value?: unknown; status: string; context?: Context }, eventType: string): void {
    const timeMs = this.clock();
    const previous = this.live.get(id);
    const state = jsonSafe(snapshot.value) as ActorView['state'];
    const transition: ActorTransition = { state, event: eventType, timeMs };
    const history = previous ? [...previous.history, transition].slice(-this.limits.historyLength) : [transition];
    const view: ActorView = {
      id, kind, machine: ((actor as { logic?: { id?: string } }).logic)?.id ?? kind,
      state, status: snapshot.status, event: eventType, timeMs,
      context: snapshot.context === undefined ? {} : (jsonSafe(this.contextOf(actor, snapshot.context)) as Record<string, unknown>),
      history,
    };
    if (snapshot.status === 'active') {
      this.live.set(id, view);
    } else {
      this.live.delete(id);
      this.ended.delete(id);
      this.ended.set(id, view);
      if (this.ended.size > this.limits.maxEndedActors) this.ended.delete(this.ended.keys().next().value!);
    }
    for (const { filter, listener } of this.listeners) if (matches(filter, view)) listener(view);
  }

  private contextOf<Context>(actor: AnyActorRef, context: Context): Record<string, unknown> {
    const view = this.contextViews.get(actor) as ContextView<Context> | undefined;
    return view ? view(context) : (context as Record<string, unknown>);
  }
}
