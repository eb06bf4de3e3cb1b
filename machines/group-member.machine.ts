/**
 * Group member actor: one per consumer in a group. It holds partitions while
 * `assigned`; a revoke passes through `revoking`, which ends only when the
 * member's in-flight messages of the revoked partitions are acked or timed
 * out, so a partition is never owned by two members at once. A member that
 * stops heartbeating for `sessionTimeoutMs`, or whose socket drops, expires.
 */
import { assign, setup } from 'xstate';

export interface GroupMemberInput {
  group: string;
  memberId: string;
  clientId: string;
  sessionTimeoutMs: number;
}

export interface GroupMemberContext extends GroupMemberInput {
  partitionCount: number;
  leaving: boolean;
}

export type GroupMemberEvent =
  | { type: 'assignment.set'; partitionCount: number }
  | { type: 'assignment.revoke' }
  | { type: 'revoke.done'; partitionCount: number }
  | { type: 'member.leave' }
  | { type: 'member.heartbeat' }
  | { type: 'socket.closed' };

/** Each live state restarts its session timer on a heartbeat and expires when it runs out. */
function liveness<State extends string>(state: State) {
  return {
    after: { sessionTimeout: { target: 'expired' as const } },
    heartbeat: { 'member.heartbeat': { target: state, reenter: true } },
  };
}

const joining = liveness('joining');
const assigned = liveness('assigned');
const idle = liveness('idle');
const revoking = liveness('revoking');

export const groupMemberMachine = setup({
  types: {
    input: {} as GroupMemberInput,
    context: {} as GroupMemberContext,
    events: {} as GroupMemberEvent,
  },
  actions: {
    recordPartitions: assign({
      partitionCount: ({ event }) => (event.type === 'assignment.set' || event.type === 'revoke.done' ? event.partitionCount : 0),
    }),
    markLeaving: assign({ leaving: true }),
  },
  guards: {
    hasPartitions: ({ event }) => (event.type === 'assignment.set' || event.type === 'revoke.done') && event.partitionCount > 0,
    leaving: ({ context }) => context.leaving,
  },
  delays: {
    sessionTimeout: ({ context }) => context.sessionTimeoutMs,
  },
}).createMachine({
  id: 'member',
  context: ({ input }) => ({ ...input, partitionCount: 0, leaving: false }),
  initial: 'joining',
  states: {
    joining: {
      after: joining.after,
      on: {
        ...joining.heartbeat,
        'assignment.set': [
          { guard: 'hasPartitions', target: 'assigned', actions: 'recordPartitions' },
          { target: 'idle', actions: 'recordPartitions' },
        ],
        'member.leave': { target: 'left' },
        'socket.closed': { target: 'expired' },
      },
    },
    assigned: {
      after: assigned.after,
      on: {
        ...assigned.heartbeat,
        'assignment.set': { actions: 'recordPartitions' },
        'assignment.revoke': { target: 'revoking' },
        'member.leave': { target: 'revoking', actions: 'markLeaving' },
        'socket.closed': { target: 'expired' },
      },
    },
    idle: {
      after: idle.after,
      on: {
        ...idle.heartbeat,
        'assignment.set': { guard: 'hasPartitions', target: 'assigned', actions: 'recordPartitions' },
        'member.leave': { target: 'left' },
        'socket.closed': { target: 'expired' },
      },
    },
    revoking: {
      after: revoking.after,
      on: {
        ...revoking.heartbeat,
        'revoke.done': [
          { guard: 'leaving', target: 'left' },
          { guard: 'hasPartitions', target: 'assigned', actions: 'recordPartitions' },
          { target: 'idle', actions: 'recordPartitions' },
        ],
        'member.leave': { actions: 'markLeaving' },
        'socket.closed': { target: 'expired' },
      },
    },
    left: { type: 'final' },
    expired: { type: 'final' },
  },
});
