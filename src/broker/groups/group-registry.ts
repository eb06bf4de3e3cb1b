/**
 * Every consumer group of the broker: validates join options, routes group
 * requests to the coordinator, writes dead letters, and ends a connection's
 * memberships when it closes.
 */
import { ActorMqError, echoName } from '../../protocol/errors.js';
import type { DeliverBounds } from '../../protocol/frame-bounds.js';
import type { DescribeGroupBody, GroupState, JoinGroupFrame, ListGroupsBody } from '../../protocol/frames.js';
import { maxGroupNameLength, topicNamePattern } from '../../protocol/limits.js';
import { encodeRecordBatch, readBatchHeader } from '../../protocol/record-batch.js';
import type { ActorEnvironment } from '../actor-environment.js';
import type { Logger } from '../../logger.js';
import type { TopicRegistry } from '../topic-registry.js';
import type { AssignmentStrategy } from './assignor.js';
import { GroupCoordinator } from './group-coordinator.js';
import type { GroupMember, MemberConnection, MemberSettings } from './group-member.js';
import type { OffsetStore } from './offset-store.js';
import type { DeadLetter } from './partition-cursor.js';

export interface GroupLimits {
  maxGroups: number;
  maxMembersPerGroup: number;
  maxTopicsPerGroup: number;
  maxDeliveriesLimit: number;
  maxInFlightMessagesLimit: number;
  maxInFlightBytesLimit: number;
  /** Session timeouts outside [min, max] are refused. */
  sessionTimeoutMinMs: number;
  sessionTimeoutMaxMs: number;
  maxBackoffEntries: number;
  maxBackoffMs: number;
}

export const defaultGroupLimits: GroupLimits = {
  maxGroups: 10_000,
  maxMembersPerGroup: 1_000,
  maxTopicsPerGroup: 100,
  maxDeliveriesLimit: 1_000,
  maxInFlightMessagesLimit: 100_000,
  maxInFlightBytesLimit: 64 * 1024 * 1024,
  sessionTimeoutMinMs: 100,
  sessionTimeoutMaxMs: 3_600_000,
  maxBackoffEntries: 32,
  maxBackoffMs: 24 * 3_600_000,
};

const orderings = new Set(['partition', 'key', 'none']);

export class GroupRegistry {
  private readonly groups = new Map<string, GroupCoordinator>();
  /** connection id → memberships, ended when the connection closes. */
  private readonly byConnection = new Map<string, Set<GroupMember>>();

  constructor(
    private readonly topics: TopicRegistry,
    readonly offsets: OffsetStore,
    private readonly limits: GroupLimits,
    private readonly deliverBounds: DeliverBounds,
    private readonly maxFrameBytes: number,
    private readonly clock: () => number,
    private readonly logger: Logger,
    private readonly environment: ActorEnvironment,
    private readonly strategy: AssignmentStrategy = 'sticky',
  ) {
    // Groups outlive their members (as in Kafka): every group with committed offsets exists, empty, after a restart.
    for (const [name, committed] of this.offsets.groups()) {
      this.groups.set(name, this.createGroup(name));
      for (const { topic, partition, offset } of committed) this.resumeInLog(name, topic, partition, offset);
    }
  }

  /**
   * A committed offset past its partition's end after a start: the log lost a
   * tail the group had read (flush: interval, then a power loss). New
   * messages take those offsets again; a group waiting beyond the end would
   * never get them, so it resumes at the end (as Kafka resets an offset out
   * of range).
   */
  private resumeInLog(group: string, topic: string, partition: number, committedOffset: number): void {
    const endOffset = this.topics.get(topic)?.partitions[partition]?.endOffset;
    if (endOffset === undefined || committedOffset <= endOffset) return;
    this.logger.warn('committed offset beyond the log end; the group resumes at the end', { group, topic, partition, committedOffset, endOffset });
    this.offsets.set(group, topic, partition, endOffset);
  }

  join(frame: JoinGroupFrame, clientId: string, connection: MemberConnection): GroupMember {
    const settings = this.checkJoin(frame);
    let group = this.groups.get(frame.group);
    if (!group) {
      if (this.groups.size >= this.limits.maxGroups) throw new ActorMqError('INVALID_REQUEST', `broker holds maxGroups ${this.limits.maxGroups} groups`);
      group = this.createGroup(frame.group);
      this.groups.set(frame.group, group);
    }
    if (group.members.size >= this.limits.maxMembersPerGroup) throw new ActorMqError('INVALID_REQUEST', `group ${frame.group} has maxMembersPerGroup ${this.limits.maxMembersPerGroup} members`);
    const member = group.join(clientId, frame.topics, frame.from, settings, connection);
    const memberships = this.byConnection.get(connection.connectionId) ?? new Set();
    memberships.add(member);
    this.byConnection.set(connection.connectionId, memberships);
    this.logger.info('member joined', { group: frame.group, member: member.id, clientId });
    return member;
  }

  private createGroup(name: string): GroupCoordinator {
    return new GroupCoordinator(name, {
      topics: this.topics, offsets: this.offsets, clock: this.clock, logger: this.logger, strategy: this.strategy, environment: this.environment,
      deliverBounds: this.deliverBounds, maxFrameBytes: this.maxFrameBytes,
      deadLetter: (group, entry) => this.deadLetter(group, entry),
    });
  }

  group(name: string): GroupCoordinator {
    const group = this.groups.get(name);
    if (!group) throw new ActorMqError('UNKNOWN_GROUP', `no consumer group ${echoName(name)}`);
    return group;
  }

  describe(name: string, maxFrameBytes: number): DescribeGroupBody {
    return this.group(name).describe(maxFrameBytes);
  }

  /** A member may only be used from the connection that joined it. */
  member(groupName: string, memberId: string, connectionId: string): { group: GroupCoordinator; member: GroupMember } {
    const group = this.group(groupName);
    const member = group.member(memberId);
    if (member.connection.connectionId !== connectionId) throw new ActorMqError('UNKNOWN_MEMBER', `member ${memberId} belongs to another connection`);
    return { group, member };
  }

  async leave(groupName: string, memberId: string, connectionId: string): Promise<void> {
    const { group, member } = this.member(groupName, memberId, connectionId);
    this.byConnection.get(connectionId)?.delete(member);
    await group.leave(memberId);
    this.logger.info('member left', { group: groupName, member: memberId });
  }

  connectionClosed(connectionId: string): void {
    for (const member of this.byConnection.get(connectionId) ?? []) {
      this.groups.get(member.group)?.lose(member.id);
      this.logger.info('member lost with its connection', { group: member.group, member: member.id });
    }
    this.byConnection.delete(connectionId);
  }

  list(): ListGroupsBody['groups'] {
    return [...this.groups.values()].map((g) => ({ group: g.name, state: g.state as GroupState, members: g.members.size }));
  }

  async close(): Promise<void> {
    for (const group of this.groups.values()) group.close();
    await this.offsets.close();
  }

  private checkJoin(frame: JoinGroupFrame): MemberSettings {
    const l = this.limits;
    const fail = (message: string): never => {
      throw new ActorMqError('INVALID_REQUEST', message);
    };
    if (frame.group.length === 0 || frame.group.length > maxGroupNameLength || !topicNamePattern.test(frame.group) || frame.group === '.' || frame.group === '..') {
      fail(`group name must be 1-${maxGroupNameLength} characters of [a-zA-Z0-9._-]`);
    }
    if (frame.topics.length === 0 || frame.topics.length > l.maxTopicsPerGroup) fail(`topics must list 1-${l.maxTopicsPerGroup} topics`);
    if (!orderings.has(frame.ordering)) fail(`ordering must be partition, key or none, got ${echoName(frame.ordering)}`);
    if (frame.from !== 'earliest' && frame.from !== 'latest') fail(`from must be earliest or latest, got ${echoName(frame.from)}`);
    if (frame.maxDeliveries < 1 || frame.maxDeliveries > l.maxDeliveriesLimit) fail(`maxDeliveries must be 1-${l.maxDeliveriesLimit}`);
    if (frame.sessionTimeoutMs < l.sessionTimeoutMinMs || frame.sessionTimeoutMs > l.sessionTimeoutMaxMs) fail(`sessionTimeoutMs must be ${l.sessionTimeoutMinMs}-${l.sessionTimeoutMaxMs}`);
    if (frame.maxInFlightMessages < 1 || frame.maxInFlightMessages > l.maxInFlightMessagesLimit) fail(`maxInFlightMessages must be 1-${l.maxInFlightMessagesLimit}`);
    if (frame.maxInFlightBytes < 1 || frame.maxInFlightBytes > l.maxInFlightBytesLimit) fail(`maxInFlightBytes must be 1-${l.maxInFlightBytesLimit}`);
    if (frame.retryBackoffMs.length === 0 || frame.retryBackoffMs.length > l.maxBackoffEntries || frame.retryBackoffMs.some((ms) => ms > l.maxBackoffMs)) {
      fail(`retryBackoffMs must list 1-${l.maxBackoffEntries} delays of at most ${l.maxBackoffMs} ms`);
    }
    return {
      ordering: frame.ordering, retryBackoffMs: frame.retryBackoffMs, maxDeliveries: frame.maxDeliveries, sessionTimeoutMs: frame.sessionTimeoutMs,
      maxInFlightMessages: frame.maxInFlightMessages, maxInFlightBytes: frame.maxInFlightBytes,
    };
  }

  /** Appends a poison message to `<group>.dlq` (created on demand) and waits until it is durable. */
  private async deadLetter(groupName: string, entry: DeadLetter): Promise<void> {
    const name = `${groupName}.dlq`;
    const topic = this.topics.get(name) ?? (await this.topics.create(name, 1)).topic;
    const { record } = entry;
    const headers = {
      ...record.headers,
      'dlq.topic': entry.topic,
      'dlq.partition': String(entry.partition),
      'dlq.offset': String(record.offset),
      'dlq.error': entry.error.slice(0, 1_000),
      'dlq.deliveries': String(entry.deliveries),
    };
    const batch = encodeRecordBatch([{ key: record.key, value: record.value, headers, timestamp: record.timestamp }], { now: this.clock() });
    await topic.partitions[0]!.append(batch, readBatchHeader(batch));
    this.logger.warn('message moved to the dead-letter topic', { group: groupName, topic: entry.topic, partition: entry.partition, offset: record.offset, deliveries: entry.deliveries });
  }
}
