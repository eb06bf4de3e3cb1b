/**
 * Partition actor: owns one partition log. Recovery (opening the log, which
 * truncates a torn tail, and after a failed sync writing back and syncing
 * what the last good sync did not cover) runs as an invoked actor supplied
 * by the runtime; a storage fault sends the actor back through recovery
 * after a backoff, so a failed partition restarts from disk instead of
 * taking the broker down.
 * Appends and fetches do not pass through the machine: the runtime checks the
 * state once per request and hands whole batches to the log.
 */
import { assign, setup } from 'xstate';
import { runtimeSupplied } from './runtime-supplied.js';

export interface PartitionInput {
  topic: string;
  partition: number;
  /** First restart delay; doubles per consecutive failure up to restartBackoffMaxMs. */
  restartBackoffMs: number;
  restartBackoffMaxMs: number;
}

export interface PartitionRef { topic: string; partition: number }

export interface PartitionContext extends PartitionInput {
  /** Consecutive failed starts; reset once the partition is online. */
  failures: number;
  lastError: string | undefined;
  closeRequested: boolean;
}

export type PartitionEvent =
  | { type: 'storage.failed'; error: string }
  | { type: 'partition.close' };

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export const partitionMachine = setup({
  types: {
    input: {} as PartitionInput,
    context: {} as PartitionContext,
    events: {} as PartitionEvent,
  },
  actors: {
    recoverLog: runtimeSupplied<void, PartitionRef>('recoverLog'),
    closeLog: runtimeSupplied<void, PartitionRef>('closeLog'),
  },
  actions: {
    recordFailure: assign({
      failures: ({ context }) => context.failures + 1,
      lastError: ({ event }) => describeError((event as { error?: unknown }).error),
    }),
    resetFailures: assign({ failures: 0, lastError: undefined }),
    requestClose: assign({ closeRequested: true }),
  },
  guards: {
    closeRequested: ({ context }) => context.closeRequested,
  },
  delays: {
    restartBackoff: ({ context }) =>
      Math.min(context.restartBackoffMaxMs, context.restartBackoffMs * 2 ** Math.max(0, context.failures - 1)),
  },
}).createMachine({
  id: 'partition',
  context: ({ input }) => ({ ...input, failures: 0, lastError: undefined, closeRequested: false }),
  initial: 'recovering',
  states: {
    recovering: {
      invoke: {
        id: 'recoverLog',
        src: 'recoverLog',
        input: ({ context }) => ({ topic: context.topic, partition: context.partition }),
        onDone: [
          { guard: 'closeRequested', target: 'closing' },
          { target: 'online', actions: 'resetFailures' },
        ],
        onError: [
          { guard: 'closeRequested', target: 'closed' },
          { target: 'failed', actions: 'recordFailure' },
        ],
      },
      // The open in progress must finish before the log can be closed.
      on: { 'partition.close': { actions: 'requestClose' } },
    },
    online: {
      on: {
        'storage.failed': { target: 'failed', actions: 'recordFailure' },
        'partition.close': { target: 'closing' },
      },
    },
    failed: {
      after: { restartBackoff: { target: 'recovering' } },
      on: { 'partition.close': { target: 'closed' } },
    },
    closing: {
      invoke: {
        id: 'closeLog',
        src: 'closeLog',
        input: ({ context }) => ({ topic: context.topic, partition: context.partition }),
        onDone: { target: 'closed' },
        onError: { target: 'closed' },
      },
    },
    closed: { type: 'final' },
  },
});
