/**
 * Reads frames the broker sends: checks the shape before anything trusts it
 * (a broker of another version, or a proxy, may send anything) and turns
 * error frames into the exported error classes.
 */
import { decodeFrame } from '../protocol/codec.js';
import { ActorMqError, errorFromCode, isErrorCode } from '../protocol/errors.js';
import type { ServerFrame, TxnCheckFrame, WelcomeBody } from '../protocol/frames.js';

function malformed(message: string): ActorMqError {
  return new ActorMqError('MALFORMED_FRAME', `broker sent a malformed frame: ${message}`);
}

function isUint(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/**
 * Decodes one WebSocket message. Returns null for a well-formed frame of
 * another type (a push for a feature this client does not use); throws
 * `ActorMqError('MALFORMED_FRAME')` for anything that is not a frame.
 */
export function parseServerFrame(data: unknown): ServerFrame | TxnCheckFrame | null {
  if (!(data instanceof ArrayBuffer)) throw malformed('expected a binary message');
  let frame: unknown;
  try {
    frame = decodeFrame(new Uint8Array(data));
  } catch (error) {
    throw malformed(`not msgpack (${(error as Error).message})`);
  }
  if (typeof frame !== 'object' || frame === null) throw malformed('not a map');
  const { type, id, code, message } = frame as Record<string, unknown>;
  if (type === 'result' && isUint(id)) return frame as ServerFrame;
  if (type === 'error' && (id === undefined || isUint(id)) && typeof code === 'string' && typeof message === 'string') {
    return frame as ServerFrame;
  }
  if (type === 'txnCheck') return checkTxnCheck(frame as Record<string, unknown>);
  if (typeof type === 'string' && type !== 'result' && type !== 'error') return null;
  throw malformed(`${JSON.stringify(type)} frame without a valid id, code or message`);
}

function checkTxnCheck(frame: Record<string, unknown>): TxnCheckFrame {
  const { group, transactionId, checkId, ageMs, checks } = frame;
  if (typeof group !== 'string' || typeof transactionId !== 'string' || !isUint(checkId) || !isUint(ageMs) || !isUint(checks)) {
    throw malformed('txnCheck without group, transactionId, checkId, ageMs or checks');
  }
  return frame as unknown as TxnCheckFrame;
}

/** The error class for a code from the wire; a code this client does not know becomes INTERNAL_ERROR, keeping the original text. */
export function wireError(code: string, message: string): ActorMqError {
  return isErrorCode(code) ? errorFromCode(code, message) : new ActorMqError('INTERNAL_ERROR', `${code}: ${message}`);
}

export function checkWelcome(body: unknown): WelcomeBody {
  const limits = (body as { limits?: Record<string, unknown> } | null)?.limits;
  const names = ['maxFrameBytes', 'maxBatchBytes', 'maxRecordsPerBatch', 'maxInFlightRequests'] as const;
  if (!limits || !names.every((name) => isUint(limits[name]) && limits[name] > 0)) throw malformed('welcome without limits');
  return body as WelcomeBody;
}
