import { describe, expect, it } from 'vitest';
import { groupMemberMachine } from '../../machines/group-member.machine.js';
import { ControlledActors, drivePath, expectFullCoverage } from './drive-machine.js';
import { planTransitionCoverage } from './graph-plan.js';

const input = { group: 'cart', memberId: 'm-1', clientId: 'cart-svc', sessionTimeoutMs: 10_000 };
const variants = {
  'assignment.set': [{ partitionCount: 0 }, { partitionCount: 2 }],
  'revoke.done': [{ partitionCount: 0 }, { partitionCount: 1 }],
};

describe('group member machine: generated paths', () => {
  const paths = planTransitionCoverage(groupMemberMachine, input, variants);

  it('covers every state and every transition', () => {
    expectFullCoverage(groupMemberMachine, paths);
  });

  it.each(paths.map((path) => [path.steps.map((s) => s.event.type).join(' → '), path] as const))('%s', async (_name, path) => {
    await drivePath(groupMemberMachine, input, path, new ControlledActors());
  });
});
