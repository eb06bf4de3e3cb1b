/**
 * Every limit of the protocol and the broker, with its default and why.
 * Limits are checked at the earliest point: frame size before decoding,
 * batch header before the CRC, counts before allocation.
 */
import { arrayHeaderGrowthBytes, encodedBytes, widestInteger } from './answer-room.js';
import { errorTable, maxResultMessageLength } from './errors.js';
import { deliverBounds, deliverHeadBytes, rangeBytesPerOffset, type DeliverBounds } from './frame-bounds.js';

export interface BrokerLimits {
  /** Largest WebSocket message accepted; checked by ws before it buffers the payload. */
  maxFrameBytes: number;
  /** Largest record batch; a frame carries at least one, plus a little envelope. */
  maxBatchBytes: number;
  /** Bounds the per-batch work of consumers that decode records. */
  maxRecordsPerBatch: number;
  /** Batches (partition entries) in one produce request. */
  maxEntriesPerRequest: number;
  /** Open WebSocket connections; each costs buffers and an actor. */
  maxConnections: number;
  /** Requests a connection may have unanswered; bounds the memory one client can pin. */
  maxInFlightRequests: number;
  /**
   * Answers and pushes a connection may leave unread before the broker stops
   * reading its requests and delivering to its group members (until it
   * reads again): a 20-byte fetch or inspect can be answered with megabytes,
   * and each member's window may be 64 MiB, so a peer that does not read
   * would otherwise make the broker buffer without bound. Answers of the
   * requests in flight count at their largest (a fetch: its maxBytes).
   */
  maxUnsentBytes: number;
  /** Topics on one broker. */
  maxTopics: number;
  /** Partitions summed over all topics; each holds open files. */
  maxPartitions: number;
  /**
   * Sealed segments that keep their file open, over every log of the broker
   * (least recently read closed first, reopened when read again). Bounds the
   * descriptors segments hold however small segmentBytes or segmentMs are and
   * however long retention is; the segment taking appends (one or two
   * descriptors per partition) is not counted.
   */
  maxOpenSealedSegments: number;
  /** Partitions of one topic. */
  maxPartitionsPerTopic: number;
  /** Bytes one fetch may return. */
  maxFetchBytes: number;
  /** Length of a client id, a topic name or a header key, in characters. */
  maxNameLength: number;
  /**
   * Actors one inspect answer lists (`total` counts them all; pushes follow
   * for every one): a view takes ~40 µs to build, so a broker with 100,000
   * partitions would otherwise block for seconds. The answer also stops at
   * what fits in maxFrameBytes (views are ~300 B-5 KB).
   */
  maxInspectListed: number;
  /** Kinds, and ids, one inspect filter may name: every actor transition is matched against each watching connection's filter. */
  maxInspectFilterEntries: number;
  /** The hello must arrive within this time, or the socket is closed. */
  helloTimeoutMs: number;
}

export const defaultBrokerLimits: BrokerLimits = {
  maxFrameBytes: 8 * 1024 * 1024, // 8 MiB: a full client batch of 1 KiB messages plus headroom
  maxBatchBytes: 4 * 1024 * 1024, // 4 MiB: keeps one append under a few ms of disk time
  maxRecordsPerBatch: 100_000,
  maxEntriesPerRequest: 1_024,
  maxConnections: 10_000,
  maxInFlightRequests: 1_024,
  maxUnsentBytes: 16 * 1024 * 1024, // 16 MiB: two of the largest frames, so a reading client is never held up
  maxTopics: 10_000,
  maxPartitions: 100_000,
  maxOpenSealedSegments: 1_000, // a lagging consumer reads one sealed segment of a partition at a time: 1,000 of them read without reopening
  maxPartitionsPerTopic: 10_000,
  maxFetchBytes: 8 * 1024 * 1024,
  maxNameLength: 249, // Kafka's topic name limit
  maxInspectListed: 10_000, // ~3 MB of typical views, built in well under a second
  maxInspectFilterEntries: 1_000, // a page's worth of actors picked by hand; more is a kind or everything
  helloTimeoutMs: 10_000,
};

export function assertLimitsConsistent(limits: BrokerLimits): void {
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value <= 0) throw new RangeError(`limit ${name} must be a positive integer, got ${value}`);
  }
  // A batch travels inside one frame, so a frame must be able to hold a batch.
  if (limits.maxBatchBytes >= limits.maxFrameBytes) {
    throw new RangeError(`maxBatchBytes (${limits.maxBatchBytes}) must be below maxFrameBytes (${limits.maxFrameBytes})`);
  }
  // A deliver frame carries a batch beside group, member id and topic names and at least one range.
  if (brokerDeliverBounds(limits).maxRangedOffsets < 1) {
    const headroomBytes = longestDeliverHeadBytes(limits.maxNameLength) + rangeBytesPerOffset;
    throw new RangeError(`maxFrameBytes (${limits.maxFrameBytes}) must exceed maxBatchBytes (${limits.maxBatchBytes}) by at least ${headroomBytes} bytes: a deliver frame carries a batch and its names and ranges`);
  }
  // A produce answer holds one result per entry, each an error at worst.
  const produceAnswerBytes = produceAnswerMaxBytes(limits);
  if (produceAnswerBytes > limits.maxFrameBytes) {
    throw new RangeError(`maxFrameBytes (${limits.maxFrameBytes}) must hold a produce answer of maxEntriesPerRequest (${limits.maxEntriesPerRequest}) error results: ${produceAnswerBytes} bytes`);
  }
  if (limits.maxFetchBytes > limits.maxFrameBytes) {
    throw new RangeError(`maxFetchBytes (${limits.maxFetchBytes}) must not exceed maxFrameBytes (${limits.maxFrameBytes})`);
  }
  if (limits.maxPartitionsPerTopic > limits.maxPartitions) {
    throw new RangeError('maxPartitionsPerTopic must not exceed maxPartitions');
  }
}

/** Consumer group names: `<group>.dlq` must itself be a topic name of Kafka's 249 characters. */
export const maxGroupNameLength = 245;
/** Member ids are the group name, "-" and 8 hex digits. */
export const maxMemberIdLength = maxGroupNameLength + 9;

/** A deliver frame's head with the longest names: topics of maxNameLength, groups of maxGroupNameLength (names are ASCII). */
function longestDeliverHeadBytes(maxNameLength: number): number {
  return deliverHeadBytes('g'.repeat(maxGroupNameLength), 'm'.repeat(maxMemberIdLength), 't'.repeat(maxNameLength));
}

/** What one delivery reads and how many offsets its frame names, so that every deliver frame fits in maxFrameBytes. */
export function brokerDeliverBounds(limits: Pick<BrokerLimits, 'maxFrameBytes' | 'maxBatchBytes' | 'maxNameLength'>): DeliverBounds {
  return deliverBounds(limits.maxFrameBytes, limits.maxBatchBytes, longestDeliverHeadBytes(limits.maxNameLength));
}

/**
 * The largest produce answer: maxEntriesPerRequest error results, each
 * with a topic of maxNameLength characters (longer ones are refused), the
 * longest code and a message of maxResultMessageLength, every character
 * at its widest in UTF-8 (3 bytes).
 */
export function produceAnswerMaxBytes(limits: Pick<BrokerLimits, 'maxEntriesPerRequest' | 'maxNameLength'>): number {
  const widestText = (length: number) => '\u0800'.repeat(length);
  const longestCode = Object.keys(errorTable).reduce((a, b) => (b.length > a.length ? b : a));
  const result = { topic: widestText(limits.maxNameLength), partition: widestInteger, code: longestCode, message: widestText(maxResultMessageLength) };
  const envelopeBytes = encodedBytes({ type: 'result', id: widestInteger, body: { results: [] } }) + arrayHeaderGrowthBytes;
  return envelopeBytes + limits.maxEntriesPerRequest * encodedBytes(result);
}

/** Protocol version spoken by this build; hello frames carry it. */
export const protocolVersion = 1;

/** Topic names: Kafka's alphabet, so names are safe as directory names. */
export const topicNamePattern = /^[a-zA-Z0-9._-]+$/;
