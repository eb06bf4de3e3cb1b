/**
 * Checks a decoded frame before anything acts on it: known type, every field
 * present with the right type and range. Returns the typed frame or a
 * violation carrying the request id (when one could be read) so the error
 * frame can answer the right request.
 */
import type { ErrorCode } from './errors.js';
import type { RequestFrame } from './frames.js';

export interface FrameViolation { ok: false; id: number | undefined; code: ErrorCode; message: string }
export type FrameCheck = { ok: true; frame: RequestFrame } | FrameViolation;

type FieldKind = 'uint' | 'string' | 'bytes' | 'object' | 'array' | 'uintArray' | 'stringArray';
interface FieldSpec { kind: FieldKind; optional?: boolean }

const fieldKindNames: Record<FieldKind, string> = {
  uint: 'an unsigned integer', string: 'a string', bytes: 'bytes (msgpack bin)', object: 'a map', array: 'an array',
  uintArray: 'an array of unsigned integers', stringArray: 'an array of strings',
};

const uint: FieldSpec = { kind: 'uint' };
const text: FieldSpec = { kind: 'string' };

const frameSpecs: Record<RequestFrame['type'], Record<string, FieldSpec>> = {
  hello: { id: uint, version: uint, clientId: text, token: { kind: 'string', optional: true } },
  createTopic: { id: uint, topic: text, partitions: uint, config: { kind: 'object', optional: true } },
  listTopics: { id: uint },
  describeTopic: { id: uint, topic: text },
  initProducer: { id: uint },
  produce: { id: uint, entries: { kind: 'array' } },
  fetch: { id: uint, topic: text, partition: uint, offset: uint, maxBytes: uint },
  joinGroup: {
    id: uint, group: text, topics: { kind: 'stringArray' }, ordering: text, from: text, retryBackoffMs: { kind: 'uintArray' },
    maxDeliveries: uint, sessionTimeoutMs: uint, maxInFlightMessages: uint, maxInFlightBytes: uint,
  },
  heartbeat: { id: uint, group: text, memberId: text },
  ack: { id: uint, group: text, memberId: text, topic: text, partition: uint, ranges: { kind: 'uintArray' } },
  nack: { id: uint, group: text, memberId: text, topic: text, partition: uint, offset: uint, error: text },
  release: { id: uint, group: text, memberId: text, topic: text, partition: uint },
  leaveGroup: { id: uint, group: text, memberId: text },
  describeGroup: { id: uint, group: text },
  listGroups: { id: uint },
  inspect: { id: uint, kinds: { kind: 'stringArray', optional: true }, ids: { kind: 'stringArray', optional: true } },
  uninspect: { id: uint },
  txnRegister: { id: uint, group: text },
  txnUnregister: { id: uint, group: text },
  txnBegin: { id: uint, group: text, entries: { kind: 'array', optional: true } },
  txnSend: { id: uint, group: text, transactionId: text, entries: { kind: 'array' } },
  txnEnd: { id: uint, group: text, transactionId: text, outcome: text },
  txnCheckAnswer: { id: uint, group: text, transactionId: text, checkId: uint, answer: text },
  txnStatus: { id: uint, transactionId: text },
  listTransactions: { id: uint },
  txnResolve: { id: uint, transactionId: text, outcome: text },
};

const outcomes = new Set(['commit', 'rollback']);
const checkAnswers = new Set(['commit', 'rollback', 'unknown']);

const entrySpec: Record<string, FieldSpec> = { topic: text, partition: uint, batch: { kind: 'bytes' } };
const topicConfigKeys = new Set(['retentionMs', 'retentionBytes', 'segmentBytes', 'segmentMs']);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

function fieldMatches(value: unknown, kind: FieldKind): boolean {
  switch (kind) {
    case 'uint': return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
    case 'string': return typeof value === 'string';
    case 'bytes': return value instanceof Uint8Array;
    case 'object': return isPlainObject(value);
    case 'array': return Array.isArray(value);
    case 'uintArray': return Array.isArray(value) && value.every((item) => fieldMatches(item, 'uint'));
    case 'stringArray': return Array.isArray(value) && value.every((item) => typeof item === 'string');
  }
}

function checkFields(value: Record<string, unknown>, spec: Record<string, FieldSpec>, where: string): string | undefined {
  for (const [name, field] of Object.entries(spec)) {
    const fieldValue = value[name];
    if (fieldValue === undefined && field.optional) continue;
    if (!fieldMatches(fieldValue, field.kind)) return `${where}.${name} must be ${fieldKindNames[field.kind]}`;
  }
  return undefined;
}

function checkTopicConfig(config: Record<string, unknown>): string | undefined {
  for (const [name, value] of Object.entries(config)) {
    if (!topicConfigKeys.has(name)) return `config.${name} is not a topic setting`;
    if (!fieldMatches(value, 'uint')) return `config.${name} must be an unsigned integer`;
  }
  return undefined;
}

export function validateFrame(decoded: unknown): FrameCheck {
  if (!isPlainObject(decoded)) return { ok: false, id: undefined, code: 'MALFORMED_FRAME', message: 'a frame must be a msgpack map' };
  const id = fieldMatches(decoded.id, 'uint') ? (decoded.id as number) : undefined;
  const type = decoded.type;
  if (typeof type !== 'string' || !Object.hasOwn(frameSpecs, type)) {
    return { ok: false, id, code: 'MALFORMED_FRAME', message: `unknown frame type ${JSON.stringify(type)?.slice(0, 64)}` };
  }
  const spec = frameSpecs[type as RequestFrame['type']];
  const problem = checkFields(decoded, spec, type);
  if (problem) return { ok: false, id, code: 'MALFORMED_FRAME', message: problem };
  if (decoded.entries !== undefined && (type === 'produce' || type === 'txnBegin' || type === 'txnSend')) {
    for (const [index, entry] of (decoded.entries as unknown[]).entries()) {
      if (!isPlainObject(entry)) return { ok: false, id, code: 'MALFORMED_FRAME', message: `${type}.entries[${index}] must be a map` };
      const entryProblem = checkFields(entry, entrySpec, `${type}.entries[${index}]`);
      if (entryProblem) return { ok: false, id, code: 'MALFORMED_FRAME', message: entryProblem };
    }
  }
  if ((type === 'txnEnd' || type === 'txnResolve') && !outcomes.has(decoded.outcome as string)) {
    return { ok: false, id, code: 'INVALID_REQUEST', message: `${type}.outcome must be commit or rollback` };
  }
  if (type === 'txnCheckAnswer' && !checkAnswers.has(decoded.answer as string)) {
    return { ok: false, id, code: 'INVALID_REQUEST', message: 'txnCheckAnswer.answer must be commit, rollback or unknown' };
  }
  if (type === 'createTopic' && decoded.config !== undefined) {
    const configProblem = checkTopicConfig(decoded.config as Record<string, unknown>);
    if (configProblem) return { ok: false, id, code: 'INVALID_REQUEST', message: configProblem };
  }
  return { ok: true, frame: decoded as unknown as RequestFrame };
}
