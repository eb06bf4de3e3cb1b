import { describe, expect, it } from 'vitest';
import { connectionMachine } from '../../machines/connection.machine.js';
import { ControlledActors, drivePath, expectFullCoverage } from './drive-machine.js';
import { planTransitionCoverage } from './graph-plan.js';

const input = { connectionId: '1', helloTimeoutMs: 10_000, closeTimeoutMs: 5_000 };
const variants = {
  'hello.accepted': [{ clientId: 'order-svc' }],
  'connection.close': [{ code: 1002, reason: 'MALFORMED_FRAME' }],
};

describe('connection machine: generated paths', () => {
  const paths = planTransitionCoverage(connectionMachine, input, variants);

  it('covers every state and every transition', () => {
    expectFullCoverage(connectionMachine, paths);
  });

  it.each(paths.map((path) => [path.steps.map((s) => s.event.type).join(' → '), path] as const))('%s', async (_name, path) => {
    const calls: string[] = [];
    const machine = connectionMachine.provide({
      actions: { closeSocket: () => calls.push('close'), terminateSocket: () => calls.push('terminate') },
    });
    await drivePath(machine, input, path, new ControlledActors());
    const types = path.steps.map((s) => s.event.type);
    // The socket is closed exactly when the path enters closing, terminated only when closing times out.
    expect(calls.filter((c) => c === 'close').length).toBe(path.steps.filter((s) => s.state.value === 'closing').length > 0 ? 1 : 0);
    expect(calls.includes('terminate')).toBe(types.some((t) => t.startsWith('xstate.after.closeTimeout')));
  });
});
