/**
 * The tests of one machine's generated paths against the real runtime, to
 * call inside a describe block: one test per path (named by its steps), and
 * one that fails unless the paths that passed take every state and
 * transition of the machine — it records the machine's row of the coverage
 * table.
 */
import { it } from 'vitest';
import type { AnyStateMachine } from 'xstate';
import { expectFullCoverage } from '../drive-machine.js';
import type { MachinePath } from '../graph-plan.js';
import { recordCoverage } from './coverage-table.js';

type Step = MachinePath['steps'][number];

export function pathTests(machine: AnyStateMachine, paths: MachinePath[], runPath: (path: MachinePath) => Promise<void>, stepName: (step: Step) => string = (step) => step.event.type): void {
  /** Coverage counts only paths the real runtime walked. */
  const walked: MachinePath[] = [];
  it.each(paths.map((path) => [path.steps.map(stepName).join(' → '), path] as const))('%s', async (_name, path) => {
    await runPath(path);
    walked.push(path);
  });

  it('covers every state and transition of the machine', () => {
    recordCoverage(expectFullCoverage(machine, walked));
  });
}
