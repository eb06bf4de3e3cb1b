/**
 * Error codes: one table, shared by broker and client. A code is a stable
 * string on the wire and in `ActorMqError.code`; `retriable` tells a client
 * whether resending the same request may succeed; `closeCode` is set where the
 * connection cannot continue (WebSocket close code sent after the error frame).
 *
 * Wire contract: codes are never renamed or reused. ONLY ADD TO THE END.
 */
export const errorTable = {
  MALFORMED_FRAME: { retriable: false, closeCode: 1002, description: 'The frame is not a msgpack map with a known type and well-typed fields.' },
  UNSUPPORTED_VERSION: { retriable: false, closeCode: 1002, description: 'The hello frame asks for a protocol version the broker does not speak.' },
  HELLO_REQUIRED: { retriable: false, closeCode: 1002, description: 'A frame arrived before the hello handshake finished.' },
  TEXT_FRAME: { retriable: false, closeCode: 1003, description: 'Text WebSocket frames are not part of the protocol; send binary msgpack frames.' },
  FRAME_TOO_LARGE: { retriable: false, closeCode: 1009, description: 'The frame exceeds maxFrameBytes.' },
  NOT_AUTHORIZED: { retriable: false, closeCode: 1008, description: 'The token is missing or not accepted.' },
  TOO_MANY_CONNECTIONS: { retriable: true, closeCode: 1013, description: 'The broker is at maxConnections; try again later.' },
  TOO_MANY_REQUESTS: { retriable: true, closeCode: undefined, description: 'The connection has maxInFlightRequests requests outstanding.' },
  INVALID_REQUEST: { retriable: false, closeCode: undefined, description: 'A field has a value outside its allowed range.' },
  UNKNOWN_TOPIC: { retriable: false, closeCode: undefined, description: 'The topic does not exist.' },
  UNKNOWN_PARTITION: { retriable: false, closeCode: undefined, description: 'The topic has no partition with that number.' },
  INVALID_TOPIC: { retriable: false, closeCode: undefined, description: 'The topic name or configuration is not valid.' },
  TOPIC_EXISTS: { retriable: false, closeCode: undefined, description: 'The topic exists with a different configuration.' },
  TOO_MANY_PARTITIONS: { retriable: false, closeCode: undefined, description: 'Creating the topic would exceed maxTopics or maxPartitions.' },
  MESSAGE_TOO_LARGE: { retriable: false, closeCode: undefined, description: 'A record batch exceeds maxBatchBytes or maxRecordsPerBatch.' },
  CORRUPT_BATCH: { retriable: false, closeCode: undefined, description: 'A record batch failed header or CRC validation.' },
  OUT_OF_ORDER_SEQUENCE: { retriable: true, closeCode: undefined, description: 'The batch sequence number is not the next one expected for this producer and partition.' },
  UNKNOWN_PRODUCER: { retriable: false, closeCode: undefined, description: 'The producer id was not issued by this broker, or its epoch is stale.' },
  NOT_READY: { retriable: true, closeCode: undefined, description: 'The partition is recovering or restarting; retry shortly.' },
  STORAGE_ERROR: { retriable: true, closeCode: undefined, description: 'The write could not be made durable; the partition (or the transactions\' half log) restarts from disk. A produced batch may still be kept: resend it with the same sequence to learn its offset.' },
  OFFSET_OUT_OF_RANGE: { retriable: false, closeCode: undefined, description: 'The requested offset is outside the partition log.' },
  SHUTTING_DOWN: { retriable: true, closeCode: 1001, description: 'The broker is shutting down.' },
  CONNECTION_CLOSED: { retriable: true, closeCode: undefined, description: 'The connection closed before the answer arrived.' },
  TIMEOUT: { retriable: true, closeCode: undefined, description: 'No answer within the timeout.' },
  INTERNAL_ERROR: { retriable: true, closeCode: undefined, description: 'An unexpected broker fault; it has been logged.' },
  UNKNOWN_MEMBER: { retriable: false, closeCode: undefined, description: 'The group has no such member (it left, expired, or never joined on this connection).' },
  NOT_ASSIGNED: { retriable: false, closeCode: undefined, description: 'The member does not own that partition (any more).' },
  NOT_DELIVERED: { retriable: false, closeCode: undefined, description: 'The offset is not in flight to this member: never delivered, already acknowledged, or taken back.' },
  UNKNOWN_GROUP: { retriable: false, closeCode: undefined, description: 'No consumer group with that name exists.' },
  UNKNOWN_TRANSACTION: { retriable: false, closeCode: undefined, description: 'No transaction with that id (never begun, or ended and forgotten).' },
  TRANSACTION_ALREADY_ENDED: { retriable: false, closeCode: undefined, description: 'The transaction has an outcome (or is parked, or its outcome is being recorded); nothing was changed.' },
  TRANSACTION_GROUP_MISMATCH: { retriable: false, closeCode: undefined, description: 'The transaction belongs to another producer group.' },
  CHECK_NOT_PENDING: { retriable: false, closeCode: undefined, description: 'The transaction is not being checked with that check id (the check was answered, timed out, or never sent).' },
  TOO_MANY_TRANSACTIONS: { retriable: true, closeCode: undefined, description: 'The broker holds maxOpenTransactions, or the transaction holds maxMessagesPerTransaction.' },
  TRANSACTION_OUTCOME_UNKNOWN: { retriable: false, closeCode: undefined, description: 'The commit or rollback was sent but its answer was lost; the broker settles the transaction (check-back), ask transactionStatus.' },
} as const satisfies Record<string, { retriable: boolean; closeCode: number | undefined; description: string }>;

export type ErrorCode = keyof typeof errorTable;

/** Characters of a name the client sent (topic, group, member or transaction id) that an error message repeats. */
export const maxEchoedNameLength = 100;
/** Characters of the message of one produce result: an answer holds one per entry. */
export const maxResultMessageLength = 200;

/** `text`, cut to at most `maxLength` characters ("…" ends a cut one). */
export function cutText(text: string, maxLength: number): string {
  return text.length > maxLength ? `${text.slice(0, maxLength - 1)}…` : text;
}

/** A name the client sent, quoted and cut, for an error message: the answer stays small however long the name was. */
export function echoName(name: string): string {
  return JSON.stringify(cutText(name, maxEchoedNameLength));
}

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.hasOwn(errorTable, code);
}

/** Base class of every error actormq raises; `code` is stable, `retriable` comes from the table. */
export class ActorMqError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ActorMqError';
    this.code = code;
    this.retriable = errorTable[code].retriable;
  }
}

export class UnknownTopicError extends ActorMqError {
  constructor(message: string) { super('UNKNOWN_TOPIC', message); this.name = 'UnknownTopicError'; }
}

export class MessageTooLargeError extends ActorMqError {
  constructor(message: string) { super('MESSAGE_TOO_LARGE', message); this.name = 'MessageTooLargeError'; }
}

export class NotAuthorizedError extends ActorMqError {
  constructor(message: string) { super('NOT_AUTHORIZED', message); this.name = 'NotAuthorizedError'; }
}

export class ConnectionClosedError extends ActorMqError {
  constructor(message: string) { super('CONNECTION_CLOSED', message); this.name = 'ConnectionClosedError'; }
}

export class TimeoutError extends ActorMqError {
  constructor(message: string) { super('TIMEOUT', message); this.name = 'TimeoutError'; }
}

/**
 * A commit (or rollback) whose answer was lost: the request may or may not
 * have reached the broker. Never sent on the wire; the client raises it.
 * `client.transactionStatus(transactionId)` tells the outcome once known.
 */
export class TransactionOutcomeUnknownError extends ActorMqError {
  constructor(readonly transactionId: string, message: string, options?: { cause?: unknown }) {
    super('TRANSACTION_OUTCOME_UNKNOWN', message, options);
    this.name = 'TransactionOutcomeUnknownError';
  }
}

/** Builds the most specific error class for a code received on the wire. */
export function errorFromCode(code: ErrorCode, message: string): ActorMqError {
  switch (code) {
    case 'UNKNOWN_TOPIC': return new UnknownTopicError(message);
    case 'MESSAGE_TOO_LARGE': return new MessageTooLargeError(message);
    case 'NOT_AUTHORIZED': return new NotAuthorizedError(message);
    case 'CONNECTION_CLOSED': return new ConnectionClosedError(message);
    case 'TIMEOUT': return new TimeoutError(message);
    default: return new ActorMqError(code, message);
  }
}
