import { describe, expect, it } from 'vitest';
import type { AnyMachineSnapshot } from 'xstate';
import { groupMachine } from '../../machines/group.machine.js';
import { ControlledActors, drivePath, expectFullCoverage } from './drive-machine.js';
import { planTransitionCoverage } from './graph-plan.js';

const input = { group: 'cart' };
const variants = {
  'member.join': [{ memberId: 'a' }, { memberId: 'b' }],
  'member.leave': [{ memberId: 'a' }, { memberId: 'b' }],
  'rebalance.done': (snapshot: AnyMachineSnapshot) => [{ generation: snapshot.context.generation }, { generation: snapshot.context.generation - 1 }],
};

describe('group machine: generated paths', () => {
  const paths = planTransitionCoverage(groupMachine, input, variants, (s) => s.context.generation > 3);

  it('covers every state and every transition', () => {
    expectFullCoverage(groupMachine, paths);
  });

  it.each(paths.map((path) => [path.steps.map((s) => s.event.type).join(' → '), path] as const))('%s', async (_name, path) => {
    const rebalances: number[] = [];
    let cleared = 0;
    const machine = groupMachine.provide({
      actions: {
        startRebalance: ({ context }) => void rebalances.push(context.generation),
        clearAssignment: () => void cleared++,
      },
    });
    await drivePath(machine, input, path, new ControlledActors());
    // Every entry to rebalancing starts exactly one rebalance, each with a newer generation.
    const entries = path.steps.filter((step, i) => step.state.value === 'rebalancing' && (i === 0 || path.steps[i - 1]!.state.value !== 'rebalancing' || step.event.type.startsWith('member.'))).length;
    expect(rebalances.length).toBe(entries);
    expect(rebalances).toEqual([...rebalances].sort((a, b) => a - b));
    expect(cleared).toBe(path.steps.filter((step, i) => step.state.value === 'empty' && (i === 0 || path.steps[i - 1]!.state.value !== 'empty')).length);
  });
});
