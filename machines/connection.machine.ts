/**
 * Connection actor: one per WebSocket. Nothing but `hello` is served while
 * handshaking; a protocol violation or a shutdown sends the actor to closing,
 * where the runtime sends the error frame and the close code; a socket that
 * does not finish closing in time is terminated.
 */
import { assign, setup } from 'xstate';

export interface ConnectionInput {
  connectionId: string;
  helloTimeoutMs: number;
  closeTimeoutMs: number;
}

export interface ConnectionContext extends ConnectionInput {
  clientId: string | undefined;
  closeCode: number | undefined;
  closeReason: string | undefined;
}

export type ConnectionEvent =
  | { type: 'hello.accepted'; clientId: string }
  | { type: 'connection.close'; code: number; reason: string }
  | { type: 'socket.closed' };

export const connectionMachine = setup({
  types: {
    input: {} as ConnectionInput,
    context: {} as ConnectionContext,
    events: {} as ConnectionEvent,
  },
  actions: {
    // Supplied by the runtime: start a WebSocket close handshake with context.closeCode.
    closeSocket: () => {},
    // Supplied by the runtime: drop the socket without a handshake.
    terminateSocket: () => {},
    rememberClient: assign({
      clientId: ({ event }) => (event.type === 'hello.accepted' ? event.clientId : undefined),
    }),
    rememberClose: assign({
      closeCode: ({ event }) => (event.type === 'connection.close' ? event.code : undefined),
      closeReason: ({ event }) => (event.type === 'connection.close' ? event.reason : undefined),
    }),
    rememberHelloTimeout: assign({ closeCode: 1002, closeReason: 'no hello in time' }),
  },
  delays: {
    helloTimeout: ({ context }) => context.helloTimeoutMs,
    closeTimeout: ({ context }) => context.closeTimeoutMs,
  },
}).createMachine({
  id: 'connection',
  context: ({ input }) => ({ ...input, clientId: undefined, closeCode: undefined, closeReason: undefined }),
  initial: 'handshaking',
  states: {
    handshaking: {
      on: {
        'hello.accepted': { target: 'open', actions: 'rememberClient' },
        'connection.close': { target: 'closing', actions: 'rememberClose' },
        'socket.closed': { target: 'closed' },
      },
      after: { helloTimeout: { target: 'closing', actions: 'rememberHelloTimeout' } },
    },
    open: {
      on: {
        'connection.close': { target: 'closing', actions: 'rememberClose' },
        'socket.closed': { target: 'closed' },
      },
    },
    closing: {
      entry: 'closeSocket',
      on: { 'socket.closed': { target: 'closed' } },
      after: { closeTimeout: { target: 'closed', actions: 'terminateSocket' } },
    },
    closed: { type: 'final' },
  },
});
