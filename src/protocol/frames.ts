/**
 * Frame shapes. One WebSocket binary message carries one msgpack map with a
 * `type` field. Requests carry a client-chosen `id` (unsigned integer) that the
 * broker echoes in the `result` or `error` frame answering it. docs/protocol.md
 * describes every frame for authors of other clients.
 *
 * Wire contract: frame types and fields are never renamed. ONLY ADD.
 */
import type { ErrorCode } from './errors.js';

export interface TopicConfig {
  /** Delete segments older than this; 0 keeps them forever. */
  retentionMs?: number;
  /** Delete the oldest segments while the partition is larger; 0 = no limit. */
  retentionBytes?: number;
  /** Roll to a new segment file past this size. */
  segmentBytes?: number;
  /** Roll to a new segment file past this age. */
  segmentMs?: number;
}

export interface HelloFrame { type: 'hello'; id: number; version: number; clientId: string; token?: string }
export interface CreateTopicFrame { type: 'createTopic'; id: number; topic: string; partitions: number; config?: TopicConfig }
export interface ListTopicsFrame { type: 'listTopics'; id: number }
export interface DescribeTopicFrame { type: 'describeTopic'; id: number; topic: string }
export interface InitProducerFrame { type: 'initProducer'; id: number }
export interface ProduceEntry { topic: string; partition: number; batch: Uint8Array }
export interface ProduceFrame { type: 'produce'; id: number; entries: ProduceEntry[] }
export interface FetchFrame { type: 'fetch'; id: number; topic: string; partition: number; offset: number; maxBytes: number }

export type Ordering = 'partition' | 'key' | 'none';
export type StartFrom = 'earliest' | 'latest';

/**
 * Joins a consumer group on this connection. The member receives `deliver`
 * pushes for its assignment while at most maxInFlightMessages /
 * maxInFlightBytes are unacknowledged (its credit window).
 */
export interface JoinGroupFrame {
  type: 'joinGroup'; id: number; group: string; topics: string[];
  ordering: Ordering; from: StartFrom;
  /** Delay before the n-th redelivery (index n-1; the last entry repeats). */
  retryBackoffMs: number[];
  maxDeliveries: number; sessionTimeoutMs: number;
  maxInFlightMessages: number; maxInFlightBytes: number;
}
export interface HeartbeatFrame { type: 'heartbeat'; id: number; group: string; memberId: string }
/** `ranges`: inclusive offset ranges as a flat list [from, to, from, to, …]. */
export interface AckFrame { type: 'ack'; id: number; group: string; memberId: string; topic: string; partition: number; ranges: number[] }
export interface NackFrame { type: 'nack'; id: number; group: string; memberId: string; topic: string; partition: number; offset: number; error: string }
/**
 * The member has stopped handling a partition it no longer owns (after an
 * assignment change): its running handler finished, and every offset it has
 * not acked was never handed to a handler, so the broker may give them to
 * the new owner without counting a delivery.
 */
export interface ReleaseFrame { type: 'release'; id: number; group: string; memberId: string; topic: string; partition: number }
export interface LeaveGroupFrame { type: 'leaveGroup'; id: number; group: string; memberId: string }
export interface DescribeGroupFrame { type: 'describeGroup'; id: number; group: string }
export interface ListGroupsFrame { type: 'listGroups'; id: number }
/**
 * Read-only inspection: answers with every matching actor now, then pushes
 * `actor` frames for each change until `uninspect` or the connection ends.
 * Empty or missing filters match everything. A new inspect replaces the filter.
 */
export interface InspectFrame { type: 'inspect'; id: number; kinds?: string[]; ids?: string[] }
export interface UninspectFrame { type: 'uninspect'; id: number }

/** `commit` or `rollback`: the end a producer (or an operator) gives a transaction. */
export type TransactionOutcome = 'commit' | 'rollback';
/** A producer's answer to a check-back. */
export type CheckAnswer = TransactionOutcome | 'unknown';
/**
 * Registers this connection as a producer of `group`: from now on it may
 * receive `txnCheck` pushes for the group's transactions (until it closes or
 * sends `txnUnregister`).
 */
export interface TxnRegisterFrame { type: 'txnRegister'; id: number; group: string }
export interface TxnUnregisterFrame { type: 'txnUnregister'; id: number; group: string }
/**
 * Begins a transaction of `group`. `entries` (optional) are its first half
 * messages, as in `txnSend`: begin and send in one round trip.
 */
export interface TxnBeginFrame { type: 'txnBegin'; id: number; group: string; entries?: ProduceEntry[] }
/** Adds half messages (one record batch per entry): durable and invisible until commit. */
export interface TxnSendFrame { type: 'txnSend'; id: number; group: string; transactionId: string; entries: ProduceEntry[] }
/** Commits or rolls back; answered once the outcome is durable (and, for a commit, the messages are visible). */
export interface TxnEndFrame { type: 'txnEnd'; id: number; group: string; transactionId: string; outcome: TransactionOutcome }
/** Answers a `txnCheck` push. */
export interface TxnCheckAnswerFrame { type: 'txnCheckAnswer'; id: number; group: string; transactionId: string; checkId: number; answer: CheckAnswer }
export interface TxnStatusFrame { type: 'txnStatus'; id: number; transactionId: string }
export interface ListTransactionsFrame { type: 'listTransactions'; id: number }
/** Operator: settles a parked transaction. */
export interface TxnResolveFrame { type: 'txnResolve'; id: number; transactionId: string; outcome: TransactionOutcome }

export type RequestFrame =
  | JoinGroupFrame
  | HeartbeatFrame
  | AckFrame
  | NackFrame
  | ReleaseFrame
  | LeaveGroupFrame
  | DescribeGroupFrame
  | ListGroupsFrame
  | InspectFrame
  | UninspectFrame
  | HelloFrame
  | CreateTopicFrame
  | ListTopicsFrame
  | DescribeTopicFrame
  | InitProducerFrame
  | ProduceFrame
  | FetchFrame
  | TxnRegisterFrame
  | TxnUnregisterFrame
  | TxnBeginFrame
  | TxnSendFrame
  | TxnEndFrame
  | TxnCheckAnswerFrame
  | TxnStatusFrame
  | ListTransactionsFrame
  | TxnResolveFrame;

export type RequestType = RequestFrame['type'];

export interface ResultFrame<Body = unknown> { type: 'result'; id: number; body: Body }
export interface ErrorFrame { type: 'error'; id?: number; code: ErrorCode; message: string }
export interface TopicPartition { topic: string; partition: number }

export type ActorKind = 'connection' | 'partition' | 'group' | 'member' | 'transaction';
export type StateValue = string | { [region: string]: StateValue };
export interface ActorTransition { state: StateValue; event: string; timeMs: number }
/** One actor as the inspection stream shows it: its machine, state, chosen context, and recent transitions. */
export interface ActorView {
  id: string; kind: ActorKind; machine: string; state: StateValue; status: string;
  event: string; timeMs: number; context: Record<string, unknown>; history: ActorTransition[];
}
/** Pushed to an inspecting connection whenever an actor it watches changes state. */
export interface ActorFrame { type: 'actor'; actor: ActorView }

/**
 * Pushed to a member: whole stored batches (as in fetch) and the inclusive
 * offset ranges of their records that are delivered to this member now, all
 * with the same deliveryCount. Records outside the ranges are not for it.
 */
export interface DeliverFrame {
  type: 'deliver'; group: string; memberId: string; topic: string; partition: number;
  records: Uint8Array; ranges: number[]; deliveryCount: number;
}
/** A topic and its partition count: all of its partitions. */
export interface WholeTopic { name: string; partitions: number }
/**
 * Pushed to a member whenever its assignment changes: the listed
 * `partitions` and every partition of each of `topics`. In `key` ordering
 * every member is assigned every partition of the group's topics, so
 * `partitions` is empty and `topics` names them (a list of 100,000
 * partitions would not fit in a frame); otherwise `topics` is empty.
 */
export interface AssignmentFrame { type: 'assignment'; group: string; memberId: string; generation: number; partitions: TopicPartition[]; topics: WholeTopic[] }
/**
 * Pushed to a member: retention deleted these offsets of the partition while
 * they waited for redelivery; they will not come again, so whatever waits for
 * them (an ordered lane holding later messages) goes on.
 */
export interface ForgetFrame { type: 'forget'; group: string; memberId: string; topic: string; partition: number; offsets: number[] }

/**
 * Pushed to one registered producer of `group`: what happened to
 * `transactionId`? Answer with `txnCheckAnswer` carrying the same `checkId`.
 */
export interface TxnCheckFrame { type: 'txnCheck'; group: string; transactionId: string; checkId: number; ageMs: number; checks: number }

export type ServerFrame = ResultFrame | ErrorFrame;
/** Frames the broker sends without a request: deliveries, assignment changes, forgotten redeliveries (and `txnCheck`, see TxnCheckFrame). */
export type PushFrame = DeliverFrame | AssignmentFrame | ForgetFrame;

// Bodies of result frames, by request type.
export interface WelcomeBody { version: number; brokerId: string; limits: { maxFrameBytes: number; maxBatchBytes: number; maxRecordsPerBatch: number; maxInFlightRequests: number; maxEntriesPerRequest?: number } }
export interface TopicSummary { name: string; partitions: number }
export interface CreateTopicBody { topic: string; partitions: number; created: boolean }
/** The first topics that fit in one frame; `total` counts them all. */
export interface ListTopicsBody { topics: TopicSummary[]; total: number }
export interface PartitionDescription { partition: number; startOffset: number; endOffset: number; state: string }
/** The first partitions that fit in one frame, in order; `partitionsTotal` is the topic's partition count. */
export interface DescribeTopicBody { name: string; partitions: PartitionDescription[]; partitionsTotal: number; config: Required<TopicConfig> }
export interface InitProducerBody { producerId: number; producerEpoch: number }
export type ProduceResult =
  | { topic: string; partition: number; baseOffset: number; duplicate: boolean }
  | { topic: string; partition: number; code: ErrorCode; message: string };
export interface ProduceBody { results: ProduceResult[] }
/** `records`: whole stored batches back to back, as written; `endOffset`: the next offset to be written. */
export interface FetchBody { records: Uint8Array; startOffset: number; endOffset: number }

export interface JoinGroupBody { memberId: string; generation: number }
export interface AckBody { acked: number }
export type GroupState = 'empty' | 'rebalancing' | 'stable' | 'dead';
/** `assignments`: the first of the member's partitions that fit the answer (see DescribeGroupBody); `assignmentsTotal` counts them all. */
export interface GroupMemberDescription { id: string; clientId: string; state: string; assignments: TopicPartition[]; assignmentsTotal: number }
export interface GroupLag { topic: string; partition: number; committedOffset: number; endOffset: number }
/**
 * `members` and `lag` list what fits in one frame (maxFrameBytes), in order;
 * `membersTotal` and `lagTotal` count them all.
 */
export interface DescribeGroupBody {
  group: string; state: GroupState; generation: number; ordering: Ordering; topics: string[];
  members: GroupMemberDescription[]; membersTotal: number; lag: GroupLag[]; lagTotal: number;
}
/** The first groups that fit in one frame; `total` counts them all. */
export interface ListGroupsBody { groups: Array<{ group: string; state: GroupState; members: number }>; total: number }

/** Where a transaction is: the machine's state (`committing` and `rollingBack` are the outcome being recorded). */
export type TransactionState = 'open' | 'half' | 'checking' | 'committing' | 'rollingBack' | 'committed' | 'rolledBack' | 'parked';
export interface TxnBeginBody { transactionId: string; state: TransactionState; messages: number }
export interface TxnSendBody { state: TransactionState; messages: number }
export interface TxnEndBody { state: TransactionState }
export interface TransactionHistoryEntry { state: TransactionState; at: number; cause: string }
export interface TransactionSummary { id: string; group: string; state: TransactionState; ageMs: number; checks: number; messages: number }
export interface TxnStatusBody extends TransactionSummary { history: TransactionHistoryEntry[] }
/** The oldest transactions, at most the broker's maxListed and what fits in one frame; `total` counts them all. */
export interface ListTransactionsBody { transactions: TransactionSummary[]; total: number }

export interface ResultBodies {
  joinGroup: JoinGroupBody;
  heartbeat: Record<string, never>;
  ack: AckBody;
  nack: Record<string, never>;
  release: Record<string, never>;
  leaveGroup: Record<string, never>;
  describeGroup: DescribeGroupBody;
  listGroups: ListGroupsBody;
  inspect: { actors: ActorView[]; total: number };
  uninspect: Record<string, never>;
  hello: WelcomeBody;
  createTopic: CreateTopicBody;
  listTopics: ListTopicsBody;
  describeTopic: DescribeTopicBody;
  initProducer: InitProducerBody;
  produce: ProduceBody;
  fetch: FetchBody;
  txnRegister: Record<string, never>;
  txnUnregister: Record<string, never>;
  txnBegin: TxnBeginBody;
  txnSend: TxnSendBody;
  txnEnd: TxnEndBody;
  txnCheckAnswer: Record<string, never>;
  txnStatus: TxnStatusBody;
  listTransactions: ListTransactionsBody;
  txnResolve: TxnEndBody;
}
