/**
 * Reads frames the broker sends: checks the shape before anything trusts it
 * (a broker of another version, or a proxy, may send anything) and turns
 * error frames into the exported error classes.
 */
import { decodeFrame } from '../protocol/codec.js';
import { ActorMqError, errorFromCode, isErrorCode } from '../protocol/errors.js';
import type { AssignmentFrame, DeliverFrame, ForgetFrame, PushFrame, ServerFrame, TxnCheckFrame, WelcomeBody } from '../protocol/frames.js';

function malformed(message: string): ActorMqError {
  return new ActorMqError('MALFORMED_FRAME', `broker sent a malformed frame: ${message}`);
}

function isUint(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/**
 * Decodes one WebSocket message: an answer (result or error frame), a push
 * (deliver, assignment, forget), or null for a well-formed frame of another type (a
 * push for a feature this client does not know). Throws
 * `ActorMqError('MALFORMED_FRAME')` for anything that is not a frame.
 */
export function parseServerFrame(data: unknown): ServerFrame | PushFrame | TxnCheckFrame | null {
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
  if (type === 'deliver') return checkDeliver(frame as Record<string, unknown>);
  if (type === 'assignment') return checkAssignment(frame as Record<string, unknown>);
  if (type === 'forget') return checkForget(frame as Record<string, unknown>);
  if (type === 'txnCheck') return checkTxnCheck(frame as Record<string, unknown>);
  if (typeof type === 'string' && type !== 'result' && type !== 'error') return null;
  throw malformed(`${JSON.stringify(type)} frame without a valid id, code or message`);
}

function isUintPairs(value: unknown): value is number[] {
  return Array.isArray(value) && value.length % 2 === 0 && value.every(isUint);
}

function checkDeliver(frame: Record<string, unknown>): DeliverFrame {
  const { group, memberId, topic, partition, records, ranges, deliveryCount } = frame;
  if (typeof group !== 'string' || typeof memberId !== 'string' || typeof topic !== 'string' || !isUint(partition)) throw malformed('deliver without group, memberId, topic or partition');
  if (!(records instanceof Uint8Array) || !isUintPairs(ranges) || !isUint(deliveryCount) || deliveryCount < 1) throw malformed('deliver without records, ranges or deliveryCount');
  return frame as unknown as DeliverFrame;
}

function checkAssignment(frame: Record<string, unknown>): AssignmentFrame {
  const { group, memberId, generation, partitions, topics } = frame;
  const isTopicPartition = (tp: unknown): boolean => typeof (tp as { topic?: unknown })?.topic === 'string' && isUint((tp as { partition?: unknown }).partition);
  const isWholeTopic = (topic: unknown): boolean => typeof (topic as { name?: unknown })?.name === 'string' && isUint((topic as { partitions?: unknown }).partitions);
  if (typeof group !== 'string' || typeof memberId !== 'string' || !isUint(generation) || !Array.isArray(partitions) || !partitions.every(isTopicPartition)) {
    throw malformed('assignment without group, memberId, generation or partitions');
  }
  if (!Array.isArray(topics) || !topics.every(isWholeTopic)) throw malformed('assignment without topics');
  return frame as unknown as AssignmentFrame;
}

function checkForget(frame: Record<string, unknown>): ForgetFrame {
  const { group, memberId, topic, partition, offsets } = frame;
  if (typeof group !== 'string' || typeof memberId !== 'string' || typeof topic !== 'string' || !isUint(partition) || !Array.isArray(offsets) || !offsets.every(isUint)) {
    throw malformed('forget without group, memberId, topic, partition or offsets');
  }
  return frame as unknown as ForgetFrame;
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
  if (limits.maxEntriesPerRequest !== undefined && !(isUint(limits.maxEntriesPerRequest) && limits.maxEntriesPerRequest > 0)) throw malformed('welcome with a bad maxEntriesPerRequest');
  return body as WelcomeBody;
}
