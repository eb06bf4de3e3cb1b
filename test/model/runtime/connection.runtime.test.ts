/**
 * The connection machine's generated paths, run against the real broker over
 * a real WebSocket: hello, protocol violations, a client that stops reading
 * (so the close handshake hangs), a dropped socket, and time moved by a
 * SimulatedClock for the hello and close timeouts.
 */
import { afterAll, beforeAll, describe } from 'vitest';
import { SimulatedClock } from 'xstate';
import type { Socket } from 'node:net';
import { connectionMachine } from '../../../machines/connection.machine.js';
import { startBroker, type Broker } from '../../../src/broker/index.js';
import { protocolVersion } from '../../../src/protocol/limits.js';
import { RawClient } from '../../helpers/raw-client.js';
import { tempDir } from '../../../bench/lib/temp-dir.js';
import { planTransitionCoverage, type MachinePath } from '../graph-plan.js';
import { pathTests } from './path-tests.js';
import { expectHistory } from './history.js';

const helloTimeoutMs = 10_000;
const input = { connectionId: '1', helloTimeoutMs, closeTimeoutMs: 5_000 };
const variants = { 'hello.accepted': [{ clientId: 'model' }], 'connection.close': [{ code: 1003, reason: 'TEXT_FRAME' }] };
const paths = planTransitionCoverage(connectionMachine, input, variants);

describe('connection machine against the real runtime', () => {
  const clock = new SimulatedClock();
  let broker: Broker;
  let dir: Awaited<ReturnType<typeof tempDir>>;

  beforeAll(async () => {
    dir = await tempDir();
    broker = await startBroker({ port: 0, dataDir: dir.path, logLevel: 'silent', timers: clock, limits: { helloTimeoutMs } });
  });
  afterAll(async () => {
    await broker.close();
    await dir.remove();
  });

  const connectionIds = () => new Set(broker.inspector.list({ kinds: ['connection'] }).map((view) => view.id));

  async function runPath(path: MachinePath): Promise<void> {
    const before = connectionIds();
    const client = await RawClient.open(broker.url);
    const socket = (client.socket as unknown as { _socket: Socket })._socket;
    let actorId = '';
    for (let wait = 0; !actorId && wait < 200; wait++) {
      actorId = [...connectionIds()].find((id) => !before.has(id)) ?? '';
      if (!actorId) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    try {
      for (let i = 0; i < path.steps.length; i++) {
        const type = path.steps[i]!.event.type;
        if (type === 'hello.accepted') {
          client.send({ type: 'hello', id: 1, version: protocolVersion, clientId: 'model' });
        } else if (type === 'connection.close') {
          socket.pause(); // the client stops reading: the broker's close frame goes unanswered
          client.sendBytes('not a binary frame');
        } else if (type === 'socket.closed') {
          if (path.steps[i - 1]?.state.value === 'closing') socket.resume(); // reads the close frame, answers it
          else client.socket.terminate();
        } else if (type === 'xstate.after.helloTimeout.connection.handshaking') {
          socket.pause();
          clock.increment(helloTimeoutMs);
        } else if (type.startsWith('xstate.after.')) {
          clock.increment(input.closeTimeoutMs);
        }
        await expectHistory(broker.inspector, actorId, path, i + 1);
      }
    } finally {
      socket.resume();
      client.socket.terminate();
    }
  }

  pathTests(connectionMachine, paths, runPath);
});
