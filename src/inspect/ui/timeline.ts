/**
 * An actor's history of transitions as a timeline: a one-line path
 * (`half → checking ×2 → committed`) and one row per transition with its
 * time, the time since the previous one and the event that caused it. A
 * cursor steps back through it; the statechart shows the state at the cursor.
 * While the cursor is on the latest transition the timeline follows the
 * actor live; a step back holds it on that transition as new ones arrive.
 */
import type { ActorTransition } from '../../protocol/frames.js';
import { eventLabel, stateValueText } from '../graph-model.js';
import { formatDuration, formatTime, h, syncRows } from './dom.js';

/** `a → b ×3 → c`: consecutive transitions into the same state are counted, not repeated. */
export function pathSummary(history: readonly ActorTransition[]): string {
  const runs: Array<{ state: string; count: number }> = [];
  for (const entry of history) {
    const state = stateValueText(entry.state);
    const last = runs.at(-1);
    if (last && last.state === state) last.count++;
    else runs.push({ state, count: 1 });
  }
  return runs.map(({ state, count }) => (count > 1 ? `${state} ×${count}` : state)).join(' → ');
}

function sameTransition(a: ActorTransition, b: ActorTransition): boolean {
  return a.timeMs === b.timeMs && a.event === b.event && stateValueText(a.state) === stateValueText(b.state);
}

export class TimelineCursor {
  /** The transition held while stepping back; null = live (the latest). */
  private held: ActorTransition | null = null;

  get live(): boolean {
    return this.held === null;
  }

  /** The index shown in `history`: the held transition where it still is, else the latest. */
  index(history: readonly ActorTransition[]): number {
    if (this.held === null) return history.length - 1;
    const held = this.held;
    const found = history.findIndex((entry) => sameTransition(entry, held));
    // The held transition fell out of the bounded history: hold the oldest kept one.
    return found < 0 ? 0 : found;
  }

  back(history: readonly ActorTransition[]): void {
    const index = Math.max(0, this.index(history) - 1);
    this.held = history[index] ?? null;
  }

  forward(history: readonly ActorTransition[]): void {
    const index = this.index(history) + 1;
    this.held = index >= history.length - 1 ? null : history[index]!;
  }

  jump(history: readonly ActorTransition[], index: number): void {
    this.held = index >= history.length - 1 ? null : (history[index] ?? null);
  }

  followLive(): void {
    this.held = null;
  }
}

/** Fills `list` with one row per transition, the one at `cursorIndex` marked; `select(i)` is called when a row is clicked. */
export function renderTimeline(list: HTMLElement, history: readonly ActorTransition[], cursorIndex: number, select: (index: number) => void): void {
  const seen = new Map<string, number>();
  const rows = history.map((entry, index) => {
    const base = `${entry.timeMs}/${entry.event}/${stateValueText(entry.state)}`;
    const occurrence = (seen.get(base) ?? 0) + 1;
    seen.set(base, occurrence);
    return { entry, index, previous: history[index - 1], key: `${base}#${occurrence}` };
  });
  syncRows(
    list, rows,
    ({ key }) => key,
    ({ index }) => `${index === cursorIndex}/${index}`,
    ({ entry, index, previous }) => {
      const row = h('li', { class: index === cursorIndex ? 'step at-cursor' : 'step', 'data-step': index, 'data-state': stateValueText(entry.state), tabindex: 0 },
        h('span', { class: 'step-time' }, formatTime(entry.timeMs)),
        h('span', { class: 'step-delta' }, previous ? `+${formatDuration(entry.timeMs - previous.timeMs)}` : ''),
        h('span', { class: 'step-state' }, stateValueText(entry.state)),
        h('span', { class: 'step-event', title: entry.event }, eventLabel(entry.event)),
      );
      row.addEventListener('click', () => select(index));
      return row;
    },
  );
}
