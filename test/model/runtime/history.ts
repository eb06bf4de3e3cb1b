/**
 * Compares a live actor's transition history (from the inspector) with a
 * generated path: same states, caused by the same events, in the same order.
 */
import { expect } from 'vitest';
import type { Inspector } from '../../../src/inspect/inspector.js';
import type { MachinePath } from '../graph-plan.js';

export function pathSteps(path: MachinePath): Array<{ state: unknown; event: string }> {
  return path.steps.map((step) => ({ state: step.state.value, event: step.event.type }));
}

/** Waits until the actor has made `count` transitions, then checks them against the path's first `count` steps. */
export async function expectHistory(inspector: Inspector, actorId: string, path: MachinePath, count: number, timeoutMs = 3_000): Promise<void> {
  const expected = pathSteps(path).slice(0, count);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const history = inspector.get(actorId)?.history.map((h) => ({ state: h.state, event: h.event })) ?? [];
    if (history.length >= count || Date.now() > deadline) {
      expect(history.slice(0, count), `${actorId} after ${expected.at(-1)?.event}`).toEqual(expected);
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
