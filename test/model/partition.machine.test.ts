import { describe, expect, it } from 'vitest';
import { partitionMachine } from '../../machines/partition.machine.js';
import { ControlledActors, drivePath, expectFullCoverage } from './drive-machine.js';
import { planTransitionCoverage } from './graph-plan.js';

const input = { topic: 'orders', partition: 0, restartBackoffMs: 100, restartBackoffMaxMs: 1_000 };
const variants = {
  'storage.failed': [{ error: 'EIO: disk gone' }],
  'xstate.error.actor.recoverLog': [{ error: new Error('ENOSPC') }],
  'xstate.error.actor.closeLog': [{ error: new Error('EBADF') }],
};

describe('partition machine: generated paths', () => {
  const paths = planTransitionCoverage(partitionMachine, input, variants, (s) => s.context.failures > 2);

  it('covers every state and every transition', () => {
    expectFullCoverage(partitionMachine, paths);
  });

  it.each(paths.map((path) => [path.steps.map((s) => s.event.type).join(' → '), path] as const))('%s', async (_name, path) => {
    const controlled = new ControlledActors();
    const machine = partitionMachine.provide({ actors: { recoverLog: controlled.actor('recoverLog'), closeLog: controlled.actor('closeLog') } });
    await drivePath(machine, input, path, controlled);
  });

  it('backs off exponentially between restarts, up to the maximum', () => {
    const delays = [1, 2, 3, 4, 5].map((failures) => Math.min(input.restartBackoffMaxMs, input.restartBackoffMs * 2 ** (failures - 1)));
    expect(delays).toEqual([100, 200, 400, 800, 1_000]);
  });
});
