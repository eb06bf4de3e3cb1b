/**
 * Opens a socket and performs the hello: socket open → `hello` → welcome.
 * The whole exchange has one deadline. On success `adopt` receives the socket
 * synchronously, inside the message callback that delivered the welcome, so
 * no later frame can arrive before the connection's own handlers are set.
 */
import { encodeFrame } from '../protocol/codec.js';
import { ActorMqError, ConnectionClosedError, TimeoutError } from '../protocol/errors.js';
import type { HelloFrame, WelcomeBody } from '../protocol/frames.js';
import { protocolVersion } from '../protocol/limits.js';
import { checkWelcome, parseServerFrame, wireError } from './server-frame.js';
import { detach, socketConstructor, type Socket } from './socket.js';
import { invalid } from './validate.js';

export interface HandshakeRequest {
  url: string;
  clientId: string;
  token: string | undefined;
  timeoutMs: number;
  /** Aborting closes the socket and rejects with ConnectionClosedError. */
  signal: AbortSignal;
}

/** Request id of the hello; later requests on the socket count up from 1. */
const helloId = 0;

export async function handshake(request: HandshakeRequest, adopt: (socket: Socket, welcome: WelcomeBody) => void): Promise<void> {
  const SocketClass = await socketConstructor();
  return new Promise<void>((resolve, reject) => {
    if (request.signal.aborted) return reject(new ConnectionClosedError('the client is closed'));
    let socket: Socket;
    try {
      socket = new SocketClass(request.url);
    } catch (error) {
      return reject(invalid(`cannot open ${request.url}: ${(error as Error).message}`));
    }
    socket.binaryType = 'arraybuffer';
    const fail = (error: ActorMqError): void => {
      clearTimeout(timer);
      request.signal.removeEventListener('abort', onAbort);
      detach(socket);
      socket.close();
      reject(error);
    };
    const onAbort = (): void => fail(new ConnectionClosedError('the client is closed'));
    const timer = setTimeout(() => fail(new TimeoutError(`no welcome from ${request.url} within ${request.timeoutMs} ms`)), request.timeoutMs);
    request.signal.addEventListener('abort', onAbort);
    socket.onopen = () => {
      const hello: HelloFrame = { type: 'hello', id: helloId, version: protocolVersion, clientId: request.clientId };
      if (request.token !== undefined) hello.token = request.token;
      socket.send(encodeFrame(hello));
    };
    socket.onmessage = (event) => {
      try {
        const frame = parseServerFrame(event.data);
        // A push before the welcome: not for a client that has not joined anything.
        if (frame === null || frame.type === 'deliver' || frame.type === 'assignment' || frame.type === 'forget' || frame.type === 'txnCheck') return;
        if (frame.type === 'error') return fail(wireError(frame.code, frame.message));
        if (frame.id !== helloId) return fail(new ActorMqError('MALFORMED_FRAME', `broker answered request ${frame.id} before the hello`));
        const welcome = checkWelcome(frame.body);
        clearTimeout(timer);
        request.signal.removeEventListener('abort', onAbort);
        detach(socket);
        adopt(socket, welcome);
        resolve();
      } catch (error) {
        fail(error as ActorMqError);
      }
    };
    socket.onerror = (event) => {
      const reason = (event as { message?: string }).message;
      fail(new ConnectionClosedError(`cannot connect to ${request.url}${reason ? `: ${reason}` : ''}`));
    };
    socket.onclose = (event) => fail(new ConnectionClosedError(`${request.url} closed the socket (code ${event.code}) before the welcome`));
  });
}
