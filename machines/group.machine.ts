/**
 * Group coordinator actor: one per consumer group. Any change of membership
 * starts a rebalance; the runtime computes the new assignment on entry to
 * `rebalancing`, revokes what moves, and reports `rebalance.done` for the
 * generation it finished — a report for an older generation is ignored, so a
 * join during a rebalance simply starts the next one.
 */
import { assign, setup } from 'xstate';

export interface GroupInput {
  group: string;
}

export interface GroupContext extends GroupInput {
  members: string[];
  /** Incremented by every rebalance; assignments and acks carry it. */
  generation: number;
}

export type GroupEvent =
  | { type: 'member.join'; memberId: string }
  | { type: 'member.leave'; memberId: string }
  | { type: 'rebalance.done'; generation: number }
  | { type: 'group.close' };

export const groupMachine = setup({
  types: {
    input: {} as GroupInput,
    context: {} as GroupContext,
    events: {} as GroupEvent,
  },
  actions: {
    addMember: assign({
      members: ({ context, event }) => (event.type === 'member.join' && !context.members.includes(event.memberId) ? [...context.members, event.memberId] : context.members),
    }),
    removeMember: assign({
      members: ({ context, event }) => (event.type === 'member.leave' ? context.members.filter((id) => id !== event.memberId) : context.members),
    }),
    nextGeneration: assign({ generation: ({ context }) => context.generation + 1 }),
    // Supplied by the runtime: compute the assignment for context.members and start revocations.
    startRebalance: () => {},
    // Supplied by the runtime: the group has no members; forget assignments.
    clearAssignment: () => {},
  },
  guards: {
    lastMemberLeaving: ({ context, event }) => event.type === 'member.leave' && context.members.length === 1 && context.members[0] === event.memberId,
    currentGeneration: ({ context, event }) => event.type === 'rebalance.done' && event.generation === context.generation,
  },
}).createMachine({
  id: 'group',
  context: ({ input }) => ({ ...input, members: [], generation: 0 }),
  initial: 'empty',
  on: { 'group.close': { target: '.dead' } },
  states: {
    empty: {
      entry: 'clearAssignment',
      on: { 'member.join': { target: 'rebalancing', actions: 'addMember' } },
    },
    rebalancing: {
      entry: ['nextGeneration', 'startRebalance'],
      on: {
        'member.join': { target: 'rebalancing', reenter: true, actions: 'addMember' },
        'member.leave': [
          { guard: 'lastMemberLeaving', target: 'empty', actions: 'removeMember' },
          { target: 'rebalancing', reenter: true, actions: 'removeMember' },
        ],
        'rebalance.done': { guard: 'currentGeneration', target: 'stable' },
      },
    },
    stable: {
      on: {
        'member.join': { target: 'rebalancing', actions: 'addMember' },
        'member.leave': [
          { guard: 'lastMemberLeaving', target: 'empty', actions: 'removeMember' },
          { target: 'rebalancing', actions: 'removeMember' },
        ],
      },
    },
    dead: { type: 'final' },
  },
});
