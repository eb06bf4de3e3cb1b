/**
 * Runtime of one group member: runs `groupMemberMachine` (heartbeats and the
 * session timeout live in the machine), keeps the member's credit window and
 * pushes frames to its connection.
 */
import { createActor, type Actor } from 'xstate';
import type { Clock } from '../actor-environment.js';
import { groupMemberMachine } from '../../../machines/group-member.machine.js';
import { partitionKey } from './assignor.js';
import type { Ordering, PushFrame, TopicPartition } from '../../protocol/frames.js';

export interface MemberSettings {
  ordering: Ordering;
  retryBackoffMs: number[];
  maxDeliveries: number;
  sessionTimeoutMs: number;
  maxInFlightMessages: number;
  maxInFlightBytes: number;
}

/** The connection a member lives on. */
export interface MemberConnection {
  readonly connectionId: string;
  push(frame: PushFrame): void;
  /** More than maxUnsentBytes wait for the peer to read: deliveries wait, as its requests do. */
  readonly sendingBehind: boolean;
  /** Calls `wake` once, when the connection is no longer sendingBehind (never if it closes first). */
  whenCaughtUp(wake: () => void): void;
}

export class GroupMember {
  readonly actor: Actor<typeof groupMemberMachine>;
  private assignedKeys = new Set<string>();
  private assigned: TopicPartition[] = [];

  /** The partitions this member was last told are its own. */
  get assignments(): TopicPartition[] {
    return this.assigned;
  }

  set assignments(partitions: TopicPartition[]) {
    this.assigned = partitions;
    this.assignedKeys = new Set(partitions.map(partitionKey));
  }

  /** `key` as partitionKey makes it. */
  isAssigned(key: string): boolean {
    return this.assignedKeys.has(key);
  }
  private inFlightMessages = 0;
  private inFlightBytes = 0;
  /** Messages of the window held for reads in progress (see reserve). */
  private reservedMessages = 0;
  /** Messages of the window each waiting partition claimed (see claim). */
  private readonly claims = new Map<object, number>();
  private readonly creditWaiters = new Set<() => void>();
  /** One function per member, so the connection's set of waiters holds each member once. */
  private readonly wakeOnCatchUp = (): void => this.wakeIfCredit();

  constructor(
    readonly group: string,
    readonly id: string,
    readonly clientId: string,
    readonly settings: MemberSettings,
    readonly connection: MemberConnection,
    timers: Clock,
  ) {
    this.actor = createActor(groupMemberMachine, {
      id: `group/${group}/member/${id}`,
      input: { group, memberId: id, clientId, sessionTimeoutMs: settings.sessionTimeoutMs },
      clock: timers,
    });
  }

  get state(): string {
    return String(this.actor.getSnapshot().value);
  }

  /** Still a member that may receive messages. */
  get live(): boolean {
    const state = this.state;
    return state !== 'left' && state !== 'expired';
  }

  /** Messages delivered and not yet settled. */
  get messagesOut(): number {
    return this.inFlightMessages;
  }

  /** None while the connection is behind in reading: a window (up to 64 MiB per member) pushed into an unread socket would sit in broker memory. */
  get creditMessages(): number {
    if (this.connection.sendingBehind) return 0;
    return Math.max(0, this.settings.maxInFlightMessages - this.inFlightMessages - this.reservedMessages);
  }

  get creditBytes(): number {
    return Math.max(0, this.settings.maxInFlightBytes - this.inFlightBytes);
  }

  /** A frame may go out when both windows have room; one oversized batch may go out when nothing is in flight. */
  get hasCredit(): boolean {
    return this.live && this.creditMessages > 0 && (this.creditBytes > 0 || this.inFlightMessages === 0);
  }

  /**
   * Calls `wake` once, the next time this member's window has room and its
   * connection is not behind in reading: a partition cursor that stopped
   * for lack of this member's credit. The window is shared by all of the
   * member's partitions, so acks on one partition must restart the others.
   */
  whenCredit(wake: () => void): void {
    this.creditWaiters.add(wake);
    if (this.connection.sendingBehind) this.connection.whenCaughtUp(this.wakeOnCatchUp);
  }

  /**
   * Holds `messages` of the window while a partition reads for them: the
   * member's other partitions see the credit as taken and do not read for
   * it too (only one of them could deliver; the others' reads were thrown
   * away). `unreserve` gives the hold back; the reader charges what it
   * delivers, then calls `wakeIfCredit` for partitions that found the
   * window held meanwhile.
   */
  reserve(messages: number): void {
    this.reservedMessages += messages;
  }

  unreserve(messages: number): void {
    this.reservedMessages -= messages;
  }

  /**
   * A partition waiting for credit to send the rest of a batch whole claims
   * that many messages of the window: while the member has messages out,
   * its other partitions leave them free (creditFor), so credit coming back
   * in small acks is not taken by a sibling each time before it adds up.
   * The claim ends when the partition delivers, changes owner or stops.
   */
  claim(claimant: object, messages: number): void {
    this.claims.set(claimant, messages);
  }

  unclaim(claimant: object): void {
    this.claims.delete(claimant);
  }

  /** Messages other partitions have claimed. */
  claimedBesides(claimant: object): number {
    let claimed = 0;
    for (const [other, messages] of this.claims) if (other !== claimant) claimed += messages;
    return claimed;
  }

  /** creditMessages less what other partitions claimed; with nothing out, claims count for nothing (no ack could add to the credit). */
  creditFor(claimant: object): number {
    if (this.claims.size === 0 || this.inFlightMessages === 0) return this.creditMessages;
    return Math.max(0, this.creditMessages - this.claimedBesides(claimant));
  }

  charge(messages: number, bytes: number): void {
    this.inFlightMessages += messages;
    this.inFlightBytes += bytes;
  }

  /** Frees the window of `messages` settled messages (bytes pro rata: batches are shared by their records). */
  release(messages: number): void {
    if (messages <= 0 || this.inFlightMessages === 0) return;
    const settled = Math.min(messages, this.inFlightMessages);
    this.inFlightBytes -= Math.round((this.inFlightBytes * settled) / this.inFlightMessages);
    this.inFlightMessages -= settled;
    if (this.inFlightMessages === 0) this.inFlightBytes = 0;
    this.wakeIfCredit();
  }

  /** Wakes the partitions waiting for this member's credit, if it has some. */
  wakeIfCredit(): void {
    if (this.creditWaiters.size === 0) return;
    if (this.connection.sendingBehind) return this.connection.whenCaughtUp(this.wakeOnCatchUp);
    if (!this.hasCredit) return;
    const waiters = [...this.creditWaiters];
    this.creditWaiters.clear();
    for (const wake of waiters) wake();
  }

  push(frame: PushFrame): void {
    this.connection.push(frame);
  }

  /** Delay before delivery number `deliveryCount` (2 = first redelivery). */
  backoffBefore(deliveryCount: number): number {
    const list = this.settings.retryBackoffMs;
    return list[Math.min(deliveryCount - 2, list.length - 1)] ?? 0;
  }
}
