/**
 * Runtime of one consumer group: runs `groupMachine` (membership and
 * generations) and one `groupMemberMachine` actor per member, owns the
 * group's partition cursors, and carries out rebalances. A partition moving
 * between members is paused until the old owner releases it (or is gone), so
 * it is never delivered by two members at once.
 */
import { randomUUID } from 'node:crypto';
import { createActor, type Actor } from 'xstate';
import { groupMachine } from '../../../machines/group.machine.js';
import { ActorMqError, echoName } from '../../protocol/errors.js';
import { arrayHeaderGrowthBytes, encodedBytes, widestInteger } from '../../protocol/answer-room.js';
import type { DeliverBounds } from '../../protocol/frame-bounds.js';
import type { DescribeGroupBody, Ordering, StartFrom, TopicPartition, WholeTopic } from '../../protocol/frames.js';
import { tell, type ActorEnvironment } from '../actor-environment.js';
import type { Logger } from '../../logger.js';
import type { TopicRegistry } from '../topic-registry.js';
import { assignPartitions, partitionKey, type AssignmentStrategy } from './assignor.js';
import { fitGroupDescription } from './group-description.js';
import { GroupMember, type MemberConnection, type MemberSettings } from './group-member.js';
import type { OffsetStore } from './offset-store.js';
import { PartitionCursor, type DeadLetter } from './partition-cursor.js';

export interface GroupDeps {
  topics: TopicRegistry;
  offsets: OffsetStore;
  clock: () => number;
  logger: Logger;
  strategy: AssignmentStrategy;
  environment: ActorEnvironment;
  deliverBounds: DeliverBounds;
  maxFrameBytes: number;
  deadLetter(group: string, entry: DeadLetter): Promise<void>;
}

/** A partition paused until `from` releases it; `timer` (on the broker's timers) ends the wait. */
interface Move { from: string; to: string; timer: unknown }

export class GroupCoordinator {
  readonly actor: Actor<typeof groupMachine>;
  readonly members = new Map<string, GroupMember>();
  private readonly cursors = new Map<string, PartitionCursor>();
  /** Partitions paused until their old owner releases them (partition / none mode). */
  private readonly moves = new Map<string, Move>();
  private subscription: { topics: string[]; ordering: Ordering } | undefined;
  /** The generation being rebalanced to (the snapshot lags while a transition runs). */
  private generationNow = 0;

  constructor(readonly name: string, private readonly deps: GroupDeps) {
    const machine = groupMachine.provide({
      actions: {
        startRebalance: ({ context }) => this.rebalance(context.generation),
        clearAssignment: () => this.clear(),
      },
    });
    this.actor = createActor(machine, { id: `group/${name}`, input: { group: name }, clock: deps.environment.timers });
    deps.environment.inspector.observe('group', this.actor, (c: { group: string; members: string[]; generation: number }) => ({ group: c.group, members: c.members, generation: c.generation }));
    this.actor.start();
  }

  get state(): string {
    return String(this.actor.getSnapshot().value);
  }

  get generation(): number {
    return this.generationNow;
  }

  join(clientId: string, topics: string[], from: StartFrom, settings: MemberSettings, connection: MemberConnection): GroupMember {
    this.checkSubscription(topics, settings.ordering);
    for (const topic of topics) if (!this.deps.topics.get(topic)) throw new ActorMqError('UNKNOWN_TOPIC', `topic ${echoName(topic)} does not exist`);
    if (settings.ordering === 'key') this.checkKeyAssignmentFits(topics);
    if (!this.subscription) this.subscribe([...topics].sort(), settings.ordering);
    this.openCursors(from);
    const member = new GroupMember(this.name, this.newMemberId(), clientId, settings, connection, this.deps.environment.timers);
    this.members.set(member.id, member);
    member.actor.subscribe((snapshot) => {
      if (snapshot.value === 'expired') this.lose(member.id);
    });
    this.deps.environment.inspector.observe('member', member.actor, (c: { group: string; memberId: string; clientId: string; partitionCount: number; leaving: boolean }) => ({
      group: c.group, memberId: c.memberId, clientId: c.clientId, partitionCount: c.partitionCount, leaving: c.leaving,
    }));
    member.actor.start();
    // After the join's answer has gone out, so the client knows its member id before the first push.
    setImmediate(() => {
      if (this.members.get(member.id) === member) tell(this.actor, { type: 'member.join', memberId: member.id });
    });
    return member;
  }

  member(id: string): GroupMember {
    const member = this.members.get(id);
    if (!member?.live) throw new ActorMqError('UNKNOWN_MEMBER', `group ${this.name} has no member ${echoName(id)}`);
    return member;
  }

  cursor(topic: string, partition: number): PartitionCursor {
    const cursor = this.cursors.get(partitionKey({ topic, partition }));
    if (!cursor) throw new ActorMqError('NOT_ASSIGNED', `group ${this.name} does not consume ${echoName(topic)} partition ${partition}`);
    return cursor;
  }

  /** The member says it stopped handling a partition it lost: hand it on. */
  release(memberId: string, topic: string, partition: number): void {
    const key = partitionKey({ topic, partition });
    const move = this.moves.get(key);
    if (move?.from !== memberId) return; // nothing pending: releasing twice is harmless
    this.cursor(topic, partition).takeBack(memberId, false);
    this.completeMove(key);
  }

  /** Graceful leave: the member's handlers are done; what it did not ack was never handed over. */
  async leave(memberId: string): Promise<void> {
    const member = this.member(memberId);
    for (const cursor of this.cursors.values()) cursor.takeBack(memberId, false);
    tell(member.actor, { type: 'member.leave' });
    tell(member.actor, { type: 'revoke.done', partitionCount: 0 });
    this.remove(member);
    await this.deps.offsets.flush();
  }

  /** The member's connection dropped or its session expired: whatever it held counts as handed over. */
  lose(memberId: string): void {
    const member = this.members.get(memberId);
    if (!member) return;
    tell(member.actor, { type: 'socket.closed' });
    for (const cursor of this.cursors.values()) cursor.takeBack(memberId, true);
    this.remove(member);
  }

  /** What the group is, cut to what fits in an answer of `maxFrameBytes`. */
  describe(maxFrameBytes: number): DescribeGroupBody {
    return fitGroupDescription({
      group: this.name,
      state: this.state as DescribeGroupBody['state'],
      generation: this.generation,
      ordering: this.subscription?.ordering ?? 'partition',
      topics: this.subscription?.topics ?? [...new Set((this.deps.offsets.groups().get(this.name) ?? []).map((s) => s.topic))].sort(),
      members: [...this.members.values()].map((m) => ({ id: m.id, clientId: m.clientId, state: m.state, assignments: m.assignments })),
      lag: this.cursors.size > 0
        ? [...this.cursors.values()].map((c) => ({ topic: c.topic, partition: c.partition.partition, committedOffset: c.committedOffset, endOffset: c.partition.endOffset }))
        : this.storedLag(),
    }, maxFrameBytes);
  }

  /** Lag of a group that has had no member since the broker started: from its committed offsets. */
  private storedLag(): DescribeGroupBody['lag'] {
    return (this.deps.offsets.groups().get(this.name) ?? []).map((s) => ({
      topic: s.topic, partition: s.partition, committedOffset: s.offset,
      endOffset: this.deps.topics.get(s.topic)?.partitions[s.partition]?.endOffset ?? s.offset,
    }));
  }

  /** Broker shutdown: stop deliveries; offsets are flushed by the registry. */
  close(): void {
    for (const move of this.moves.values()) this.deps.environment.timers.clearTimeout(move.timer);
    for (const cursor of this.cursors.values()) cursor.stop();
    for (const member of this.members.values()) member.actor.stop();
    tell(this.actor, { type: 'group.close' });
  }

  /**
   * Unique across restarts too: a client must never mistake a new
   * membership for its old one. maxMemberIdLength (limits.ts) counts on
   * this form, to bound deliver frames.
   */
  private newMemberId(): string {
    return `${this.name}-${randomUUID().slice(0, 8)}`;
  }

  /** A key-ordering assignment names every topic of the group in one push: refused at the join if it would not fit in a frame. */
  private checkKeyAssignmentFits(topics: string[]): void {
    const push = { type: 'assignment', group: this.name, memberId: this.newMemberId(), generation: widestInteger, partitions: [], topics: this.wholeTopics(topics) };
    const bytes = encodedBytes(push) + arrayHeaderGrowthBytes;
    if (bytes > this.deps.maxFrameBytes) throw new ActorMqError('INVALID_REQUEST', `a key-ordering assignment of these ${topics.length} topics takes ${bytes} bytes, more than maxFrameBytes ${this.deps.maxFrameBytes}`);
  }

  /** Existing topics named with their partition counts: every partition of each (a key-ordering assignment). */
  private wholeTopics(names: string[]): WholeTopic[] {
    return names.map((name) => ({ name, partitions: this.deps.topics.get(name)!.partitions.length }));
  }

  private checkSubscription(topics: string[], ordering: Ordering): void {
    if (!this.subscription || this.members.size === 0) {
      this.subscription = undefined;
      return;
    }
    const same = JSON.stringify([...topics].sort()) === JSON.stringify(this.subscription.topics) && ordering === this.subscription.ordering;
    if (!same) {
      throw new ActorMqError('INVALID_REQUEST', `group ${this.name} consumes ${this.subscription.topics.join(', ')} with ordering ${this.subscription.ordering}; every member must use the same`);
    }
  }

  /**
   * The first member of an empty group sets what it consumes. Cursors of an
   * earlier subscription's topics (or made for another ordering) go: they
   * would otherwise be assigned, and delivered, to members that never named
   * them. Their committed offsets stay in the offset store.
   */
  private subscribe(topics: string[], ordering: Ordering): void {
    this.subscription = { topics, ordering };
    for (const [key, cursor] of this.cursors) {
      if (topics.includes(cursor.topic) && cursor.ordering === ordering) continue;
      cursor.stop();
      this.cursors.delete(key);
    }
  }

  private openCursors(from: StartFrom): void {
    for (const topicName of this.subscription!.topics) {
      const topic = this.deps.topics.get(topicName)!;
      for (const partition of topic.partitions) {
        const key = partitionKey({ topic: topicName, partition: partition.partition });
        if (this.cursors.has(key)) continue;
        const stored = this.deps.offsets.get(this.name, topicName, partition.partition);
        const start = stored ?? (from === 'earliest' ? partition.startOffset : partition.endOffset);
        this.cursors.set(key, new PartitionCursor(this.name, this.subscription!.ordering, partition, start, {
          clock: this.deps.clock,
          timers: this.deps.environment.timers,
          deliverBounds: this.deps.deliverBounds,
          logger: this.deps.logger,
          // Only members told this partition is theirs: a client drops deliveries for partitions it was not assigned.
          keyMembers: () => [...this.members.values()].filter((m) => m.live && m.isAssigned(key)),
          member: (id) => this.members.get(id),
          deadLetter: (entry) => this.deps.deadLetter(this.name, entry),
          committedChanged: (t, p, offset) => this.deps.offsets.set(this.name, t, p, offset),
        }));
        // A new group starting at 'latest' must not move on to whatever arrives before its first commit.
        if (stored === undefined) this.deps.offsets.set(this.name, topicName, partition.partition, start);
      }
    }
  }

  private remove(member: GroupMember): void {
    if (!this.members.delete(member.id)) return;
    for (const cursor of this.cursors.values()) if (cursor.owner === member) cursor.owner = undefined;
    // The group hears of the departure before the member's hand-overs complete: completing them first would
    // finish the running rebalance for a generation that still counts the departed member.
    tell(this.actor, { type: 'member.leave', memberId: member.id });
    for (const [key, move] of this.moves) {
      if (move.from === member.id) this.completeMove(key);
    }
    for (const cursor of this.cursors.values()) cursor.pump();
  }

  /** Runs inside the machine's transition into `rebalancing`; completion is checked once it has settled. */
  private rebalance(generation: number): void {
    this.generationNow = generation;
    const live = [...this.members.values()].filter((m) => m.live);
    if (this.subscription?.ordering === 'key') {
      const all = [...this.cursors.values()].map((c) => ({ topic: c.topic, partition: c.partition.partition }));
      const topics = this.wholeTopics(this.subscription.topics);
      for (const member of live) this.announce(member, all, topics);
      for (const cursor of this.cursors.values()) cursor.pump();
      queueMicrotask(() => this.finishIfSettled());
      return;
    }
    const partitions = [...this.cursors.values()].map((c) => ({ topic: c.topic, partition: c.partition.partition }));
    const owners = new Map([...this.cursors].flatMap(([key, c]) => (c.owner ? [[key, c.owner.id] as const] : [])));
    const target = assignPartitions(partitions, live.map((m) => m.id), owners, this.deps.strategy);
    for (const [memberId, list] of target) {
      for (const tp of list) this.moveTo(partitionKey(tp), memberId);
    }
    for (const member of live) this.announce(member, this.ownedBy(member.id));
    queueMicrotask(() => this.finishIfSettled());
  }

  private moveTo(key: string, memberId: string): void {
    const cursor = this.cursors.get(key)!;
    const pending = this.moves.get(key);
    if (pending) {
      pending.to = memberId;
      return;
    }
    if (cursor.owner?.id === memberId) return;
    const current = cursor.owner;
    if (!current?.live) {
      cursor.owner = this.members.get(memberId);
      cursor.pump();
      return;
    }
    cursor.owner = undefined; // paused: nothing new goes out until the old owner lets go
    tell(current.actor, { type: 'assignment.revoke' });
    // A member that never releases is treated as lost for this partition.
    const timer = this.deps.environment.timers.setTimeout(() => {
      if (this.moves.get(key)?.from !== current.id) return;
      cursor.takeBack(current.id, true);
      this.completeMove(key);
    }, current.settings.sessionTimeoutMs);
    this.moves.set(key, { from: current.id, to: memberId, timer });
  }

  private completeMove(key: string): void {
    const move = this.moves.get(key);
    if (!move) return;
    this.deps.environment.timers.clearTimeout(move.timer);
    this.moves.delete(key);
    const cursor = this.cursors.get(key)!;
    const next = this.members.get(move.to);
    cursor.owner = next?.live ? next : undefined;
    const previous = this.members.get(move.from);
    if (previous?.live && ![...this.moves.values()].some((m) => m.from === previous.id)) {
      tell(previous.actor, { type: 'revoke.done', partitionCount: this.ownedBy(previous.id).length });
    }
    if (next?.live) this.announce(next, this.ownedBy(next.id));
    cursor.pump();
    this.finishIfSettled();
  }

  private finishIfSettled(): void {
    if (this.moves.size === 0 && this.state === 'rebalancing') tell(this.actor, { type: 'rebalance.done', generation: this.generationNow });
  }

  private ownedBy(memberId: string): TopicPartition[] {
    return [...this.cursors.values()].filter((c) => c.owner?.id === memberId).map((c) => ({ topic: c.topic, partition: c.partition.partition }));
  }

  /** `topics`: in key ordering, every partition (listed in `partitions` for describeGroup) named by its topic in the push. */
  private announce(member: GroupMember, partitions: TopicPartition[], topics?: WholeTopic[]): void {
    member.assignments = partitions;
    if (member.state !== 'revoking') tell(member.actor, { type: 'assignment.set', partitionCount: partitions.length });
    const push = topics ? { partitions: [], topics } : { partitions, topics: [] };
    member.push({ type: 'assignment', group: this.name, memberId: member.id, generation: this.generation, ...push });
  }

  private clear(): void {
    for (const move of this.moves.values()) this.deps.environment.timers.clearTimeout(move.timer);
    this.moves.clear();
    for (const cursor of this.cursors.values()) cursor.owner = undefined;
  }
}
