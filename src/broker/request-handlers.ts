/**
 * One handler per request type: takes a validated frame, returns the result
 * body or throws an ActorMqError (answered as an error frame).
 */
import { roomForLists, takeWithin, widestInteger } from '../protocol/answer-room.js';
import { ActorMqError, cutText, echoName, maxResultMessageLength } from '../protocol/errors.js';
import type {
  CreateTopicFrame, DescribeTopicFrame, FetchFrame, ProduceFrame, ProduceResult, RequestFrame, ResultBodies,
} from '../protocol/frames.js';
import { checkBatch } from '../protocol/record-batch.js';
import type { GroupRegistry } from './groups/group-registry.js';
import type { MemberConnection } from './groups/group-member.js';
import type { Inspector, InspectFilter } from '../inspect/inspector.js';
import type { ActorView } from '../protocol/frames.js';
import { tell, type ActorEnvironment } from './actor-environment.js';
import type { MetadataStore } from './metadata-store.js';
import type { ResolvedBrokerOptions } from './options.js';
import type { TopicRegistry } from './topic-registry.js';
import type { PushFrame, TxnCheckFrame } from '../protocol/frames.js';
import type { TransactionManager } from './transactions/transaction-manager.js';
import type { ProducerConnection } from './transactions/producer-groups.js';

export interface BrokerServices {
  topics: TopicRegistry;
  groups: GroupRegistry;
  inspector: Inspector;
  environment: ActorEnvironment;
  metadata: MetadataStore;
  options: ResolvedBrokerOptions;
  transactions: TransactionManager;
}

/** The connection a request came in on. */
export interface RequestContext extends MemberConnection, ProducerConnection {
  push(frame: PushFrame | TxnCheckFrame): void;
  readonly clientId: string;
  /** Starts (or replaces) this connection's inspection stream; returns the matching actors now (up to maxInspectListed) and how many match. */
  watch(filter: InspectFilter): { actors: ActorView[]; total: number };
  unwatch(): void;
}

type RequestWithoutHello = Exclude<RequestFrame, { type: 'hello' }>;
type Handler<F extends RequestWithoutHello> = (frame: F, services: BrokerServices, context: RequestContext) => Promise<ResultBodies[F['type']]>;
export type RequestHandlers = { [F in RequestWithoutHello as F['type']]: Handler<F> };

export const requestHandlers: RequestHandlers = {
  createTopic: async (frame: CreateTopicFrame, { topics }) => {
    const { created, topic } = await topics.create(frame.topic, frame.partitions, frame.config);
    return { topic: topic.name, partitions: topic.partitions.length, created };
  },
  listTopics: async (_frame, { topics, options }) => {
    const all = topics.list().map((topic) => ({ name: topic.name, partitions: topic.partitions.length }));
    return { topics: fitting(all, { topics: [], total: widestInteger }, options), total: all.length };
  },
  describeTopic: async (frame: DescribeTopicFrame, { topics, options }) => {
    const topic = topics.get(frame.topic);
    if (!topic) throw new ActorMqError('UNKNOWN_TOPIC', `topic ${echoName(frame.topic)} does not exist`);
    const all = topic.partitions.map((p) => ({ partition: p.partition, startOffset: p.startOffset, endOffset: p.endOffset, state: p.state }));
    const head = { name: topic.name, config: topic.config };
    return { ...head, partitions: fitting(all, { ...head, partitions: [], partitionsTotal: widestInteger }, options), partitionsTotal: all.length };
  },
  initProducer: async (_frame, { metadata }) => ({ producerId: await metadata.allocateProducerId(), producerEpoch: 0 }),
  produce: produce,
  fetch: async (frame: FetchFrame, { topics, options }) => {
    const partition = topics.partition(frame.topic, frame.partition);
    return partition.read(frame.offset, Math.min(frame.maxBytes, options.limits.maxFetchBytes, fetchRoomBytes(options)));
  },
  joinGroup: async (frame, { groups }, context) => {
    const member = groups.join(frame, context.clientId, context);
    return { memberId: member.id, generation: groups.group(frame.group).generation };
  },
  heartbeat: async (frame, { groups }, context) => {
    tell(groups.member(frame.group, frame.memberId, context.connectionId).member.actor, { type: 'member.heartbeat' });
    return {};
  },
  ack: async (frame, { groups }, context) => {
    const { group } = groups.member(frame.group, frame.memberId, context.connectionId);
    return { acked: group.cursor(frame.topic, frame.partition).ack(frame.memberId, frame.ranges) };
  },
  nack: async (frame, { groups }, context) => {
    const { group } = groups.member(frame.group, frame.memberId, context.connectionId);
    await group.cursor(frame.topic, frame.partition).nack(frame.memberId, frame.offset, frame.error);
    return {};
  },
  release: async (frame, { groups }, context) => {
    groups.member(frame.group, frame.memberId, context.connectionId).group.release(frame.memberId, frame.topic, frame.partition);
    return {};
  },
  leaveGroup: async (frame, { groups }, context) => {
    await groups.leave(frame.group, frame.memberId, context.connectionId);
    return {};
  },
  describeGroup: async (frame, { groups, options }) => groups.describe(frame.group, options.limits.maxFrameBytes),
  listGroups: async (_frame, { groups, options }) => {
    const all = groups.list();
    return { groups: fitting(all, { groups: [], total: widestInteger }, options), total: all.length };
  },
  inspect: async (frame, { options }, context) => {
    const { maxInspectFilterEntries } = options.limits;
    for (const [name, entries] of [['kinds', frame.kinds], ['ids', frame.ids]] as const) {
      if (entries && entries.length > maxInspectFilterEntries) {
        throw new ActorMqError('INVALID_REQUEST', `inspect.${name} names ${entries.length}, more than maxInspectFilterEntries ${maxInspectFilterEntries}`);
      }
    }
    return context.watch({ kinds: frame.kinds, ids: frame.ids });
  },
  uninspect: async (_frame, _services, context) => {
    context.unwatch();
    return {};
  },
  txnRegister: async (frame, { transactions }, context) => transactions.register(frame.group, context),
  txnUnregister: async (frame, { transactions }, context) => transactions.unregister(frame.group, context.connectionId),
  txnBegin: (frame, { transactions }) => transactions.begin(frame.group, frame.entries),
  txnSend: (frame, { transactions }) => transactions.send(frame.group, frame.transactionId, frame.entries),
  txnEnd: (frame, { transactions }) => transactions.end(frame.group, frame.transactionId, frame.outcome),
  txnCheckAnswer: async (frame, { transactions }) => transactions.answerCheck(frame.group, frame.transactionId, frame.checkId, frame.answer),
  txnStatus: async (frame, { transactions }) => transactions.status(frame.transactionId),
  listTransactions: async (_frame, { transactions, options }) => {
    const { transactions: oldest, total } = transactions.list();
    return { transactions: fitting(oldest, { transactions: [], total: widestInteger }, options), total };
  },
  txnResolve: (frame, { transactions }) => transactions.resolve(frame.transactionId, frame.outcome),
};

/** The first of `items` that fit in an answer whose body, with their list empty (and totals widestInteger), is `emptyBody`. */
function fitting<T>(items: T[], emptyBody: object, options: ResolvedBrokerOptions): T[] {
  return takeWithin(items, roomForLists(options.limits.maxFrameBytes, emptyBody, 1)).listed;
}

/** Record bytes a fetch answer carries within maxFrameBytes: maxFetchBytes may equal it (as by default), and the answer's other fields take a few dozen bytes more. */
function fetchRoomBytes(options: ResolvedBrokerOptions): number {
  return roomForLists(options.limits.maxFrameBytes, { records: new Uint8Array(0), startOffset: widestInteger, endOffset: widestInteger }, 1);
}

async function produce(frame: ProduceFrame, services: BrokerServices): Promise<ResultBodies['produce']> {
  const { topics, metadata, options } = services;
  if (frame.entries.length > options.limits.maxEntriesPerRequest) {
    throw new ActorMqError('INVALID_REQUEST', `${frame.entries.length} entries exceed maxEntriesPerRequest ${options.limits.maxEntriesPerRequest}`);
  }
  // Each result repeats its entry's topic: no topic is longer, and so the answer stays within produceAnswerMaxBytes.
  if (frame.entries.some((entry) => entry.topic.length > options.limits.maxNameLength)) {
    throw new ActorMqError('INVALID_REQUEST', `an entry names a topic longer than maxNameLength ${options.limits.maxNameLength}`);
  }
  const refusedTopics = options.autoCreateTopics ? await createMissingTopics(frame, services) : undefined;
  // Entries are appended synchronously, in order, before any of them waits for its fsync.
  const pending = frame.entries.map(async (entry): Promise<ProduceResult> => {
    const { topic, partition } = entry;
    const refusal = refusedTopics?.get(topic);
    if (refusal) throw refusal;
    const check = checkBatch(entry.batch, 0, options.limits, true);
    if (!check.ok) throw new ActorMqError(check.code, check.reason);
    if (check.header.producerId >= metadata.producerIdLimit) {
      throw new ActorMqError('UNKNOWN_PRODUCER', `producer id ${check.header.producerId} was not issued by this broker`);
    }
    const answer = await topics.partition(topic, partition).append(entry.batch, check.header);
    return { topic, partition, baseOffset: answer.baseOffset, duplicate: answer.duplicate };
  });
  const results = await Promise.all(
    pending.map((result, index) =>
      result.catch((error: unknown): ProduceResult => {
        const { topic, partition } = frame.entries[index]!;
        if (error instanceof ActorMqError) return { topic, partition, code: error.code, message: cutText(error.message, maxResultMessageLength) };
        throw error;
      }),
    ),
  );
  return { results };
}

/** Creates the entries' missing topics; returns why a topic could not be created, answered in its entries only. */
async function createMissingTopics(frame: ProduceFrame, { topics, options }: BrokerServices): Promise<Map<string, ActorMqError>> {
  const missing = new Set(frame.entries.map((entry) => entry.topic).filter((name) => !topics.get(name)));
  const refused = new Map<string, ActorMqError>();
  for (const name of missing) {
    try {
      await topics.create(name, options.defaultPartitions);
    } catch (error) {
      if (!(error instanceof ActorMqError)) throw error;
      refused.set(name, error);
    }
  }
  return refused;
}
