/**
 * Delivery of one partition to one consumer group: reads durable batches
 * from the partition and pushes them to the owning member (`partition` and
 * `none` ordering) or to the member each record's key maps to (`key`
 * ordering), within each member's credit window; applies acks and nacks,
 * schedules redeliveries with backoff, hands poison messages to the
 * dead-letter topic, and reports the committed offset as it advances.
 */
import { ActorMqError } from '../../protocol/errors.js';
import type { Ordering } from '../../protocol/frames.js';
import type { DeliverBounds } from '../../protocol/frame-bounds.js';
import { batchSizeAt, readBatchHeader, visitRecords, type DecodedRecord, type RecordVisitor } from '../../protocol/record-batch.js';
import type { Logger } from '../../logger.js';
import type { PartitionActor } from '../partition-actor.js';
import { DeliveryLedger } from './delivery-ledger.js';
import type { GroupMember } from './group-member.js';
import type { Clock } from '../actor-environment.js';

/** Wait before retrying a dead-letter append that failed (e.g. its partition still recovering). */
const deadLetterRetryMs = 1_000;
/** A read sized from the message credit asks for this much more than the estimate (batch boundaries, size spread). */
const readHeadroom = 1.25;

export interface DeadLetter { record: DecodedRecord; topic: string; partition: number; error: string; deliveries: number }

export interface CursorDeps {
  clock: () => number;
  /** Schedules redeliveries and dead-letter retries (the broker's timers: tests pass a SimulatedClock). */
  timers: Clock;
  /** What one delivery reads and how many offsets its frame names: every deliver frame fits in maxFrameBytes. */
  deliverBounds: DeliverBounds;
  logger: Logger;
  /** Live members of the group in a stable order (key mode routing). */
  keyMembers(): GroupMember[];
  member(id: string): GroupMember | undefined;
  deadLetter(entry: DeadLetter): Promise<void>;
  committedChanged(topic: string, partition: number, offset: number): void;
}

export class PartitionCursor {
  private ownerNow: GroupMember | undefined;
  readonly ledger: DeliveryLedger;
  private committed: number;
  private readonly keyOfOffset = new Map<number, string>();
  private readonly keyOwners = new Map<string, { member: string; open: number }>();
  /** Stored bytes per record in this partition's last read; 0 before the first. */
  private bytesPerRecord = 0;
  /** Last offset of the batch at ledger.next when it waits for credit to go out whole (deliverToOwner); -1 when not known. */
  private knownBatchEnd = -1;
  private nextKeyless = 0;
  private pumping = false;
  private pumpAgain = false;
  private timer: unknown;
  private readonly deadLetterRetries = new Set<unknown>();
  private readonly unsubscribe: () => void;
  /** One function per cursor, so a member's set of credit waiters holds each cursor once. */
  private readonly wake = (): void => this.pump();

  constructor(
    readonly group: string,
    readonly ordering: Ordering,
    readonly partition: PartitionActor,
    startOffset: number,
    private readonly deps: CursorDeps,
  ) {
    this.ledger = new DeliveryLedger(startOffset);
    this.committed = startOffset;
    this.unsubscribe = partition.onDurable(() => this.pump());
  }

  get topic(): string {
    return this.partition.topic;
  }

  /** partition / none mode: the member that owns the partition; undefined while it moves. */
  get owner(): GroupMember | undefined {
    return this.ownerNow;
  }

  set owner(member: GroupMember | undefined) {
    if (member !== this.ownerNow) this.ownerNow?.unclaim(this);
    this.ownerNow = member;
  }

  get committedOffset(): number {
    return this.committed;
  }

  stop(): void {
    this.ownerNow?.unclaim(this);
    this.unsubscribe();
    if (this.timer !== undefined) this.deps.timers.clearTimeout(this.timer);
    this.timer = undefined;
    for (const retry of this.deadLetterRetries) this.deps.timers.clearTimeout(retry);
    this.deadLetterRetries.clear();
  }

  /** Delivers whatever is due and new, as far as credit allows; safe to call at any time. */
  pump(): void {
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    void this.pumpLoop().finally(() => (this.pumping = false));
  }

  /**
   * Acknowledges every range that is in flight to the member (each range
   * whole or not at all); a range that is not (say a retried frame's, acked
   * already) is refused with NOT_DELIVERED after the others took effect, so
   * their credit and the commit move on either way.
   */
  ack(memberId: string, ranges: readonly number[]): number {
    if (ranges.length % 2 !== 0) throw new ActorMqError('INVALID_REQUEST', 'ranges must be pairs [from, to, …]');
    for (let i = 0; i < ranges.length; i += 2) {
      if (ranges[i + 1]! < ranges[i]!) throw new ActorMqError('INVALID_REQUEST', `range [${ranges[i]}, ${ranges[i + 1]}] is empty`);
    }
    let acked = 0;
    let refused: unknown;
    for (let i = 0; i < ranges.length; i += 2) {
      const from = ranges[i]!;
      const to = ranges[i + 1]!;
      try {
        acked += this.ledger.ack(memberId, from, to);
      } catch (error) {
        refused ??= error;
        continue;
      }
      if (this.ordering === 'key') for (let offset = from; offset <= to; offset++) this.settleKey(offset, true);
    }
    this.deps.member(memberId)?.release(acked);
    this.afterSettle();
    if (refused !== undefined) throw refused;
    return acked;
  }

  async nack(memberId: string, offset: number, error: string): Promise<void> {
    const deliveries = this.ledger.fail(memberId, offset);
    const member = this.deps.member(memberId);
    member?.release(1);
    if (this.ordering === 'key') this.settleKey(offset, false);
    const maxDeliveries = member?.settings.maxDeliveries ?? 1;
    if (deliveries >= maxDeliveries) {
      this.ledger.schedule(offset, deliveries + 1, Infinity); // parked: keeps the commit below it until the dead letter is durable
      await this.moveToDeadLetter(offset, error, deliveries);
    } else {
      this.ledger.schedule(offset, deliveries + 1, this.deps.clock() + (member?.backoffBefore(deliveries + 1) ?? 0));
    }
    this.afterSettle();
  }

  /**
   * Takes back everything out with `memberId`. `handedOver`: the member may
   * have started handling them (loss), so the next hand-over counts one more.
   */
  takeBack(memberId: string, handedOver: boolean): number {
    const taken = this.ledger.takeBack(memberId);
    const now = this.deps.clock();
    const member = this.deps.member(memberId);
    const maxDeliveries = member?.settings.maxDeliveries ?? Infinity;
    for (const entry of taken) {
      if (this.ordering === 'key') this.settleKey(entry.offset, false);
      if (handedOver && entry.deliveryCount >= maxDeliveries) {
        // Lost on its last allowed hand-over: a failure like any other, so it goes to the dead-letter topic.
        this.ledger.schedule(entry.offset, entry.deliveryCount + 1, Infinity); // parked until the dead letter is durable
        void this.moveToDeadLetter(entry.offset, 'lost with its member', entry.deliveryCount).then(() => this.afterSettle());
      } else {
        this.ledger.schedule(entry.offset, handedOver ? entry.deliveryCount + 1 : entry.deliveryCount, now);
      }
    }
    member?.release(taken.length);
    this.afterSettle();
    return taken.length;
  }

  private afterSettle(): void {
    const committed = this.ledger.committed();
    if (committed !== this.committed) {
      this.committed = committed;
      this.deps.committedChanged(this.topic, this.partition.partition, committed);
    }
    this.pump();
  }

  private async pumpLoop(): Promise<void> {
    try {
      do {
        this.pumpAgain = false;
        while (this.partition.online && ((await this.deliverDue()) || (await this.deliverNew())));
      } while (this.pumpAgain);
    } catch (error) {
      if (!(error instanceof ActorMqError && error.retriable)) this.deps.logger.error('delivery failed', { group: this.group, partition: this.partition.id, error });
    }
    this.armTimer();
  }

  /**
   * Redelivers waiting offsets whose backoff is over, lowest offset first:
   * one read and one frame for a run of due offsets that go to the same
   * member with the same delivery count (a member lost with thousands of
   * messages out hands them over in a few frames, not one read each).
   * Order holds across members: with partition ordering nothing goes out
   * while a lower offset still waits (its backoff, or credit); with key
   * ordering the same holds per key.
   */
  private async deliverDue(): Promise<boolean> {
    if (this.ledger.waiting.size === 0) return false;
    if (this.forgetDeletedRedeliveries()) {
      this.afterSettle();
      return true;
    }
    const now = this.deps.clock();
    const waiting = [...this.ledger.waiting.keys()].sort((a, b) => a - b);
    const blockedKeys = new Set<string>();
    for (let index = 0; index < waiting.length; index++) {
      const first = waiting[index]!;
      const key = this.keyOfOffset.get(first);
      if (key !== undefined && blockedKeys.has(key)) continue;
      const member = this.ledger.waiting.get(first)!.dueAtMs <= now ? this.targetFor(key) : undefined;
      if (!member?.hasCredit) {
        member?.whenCredit(this.wake);
        if (this.ordering === 'partition') return false;
        if (key !== undefined) blockedKeys.add(key);
        continue;
      }
      const deliveryCount = this.ledger.waiting.get(first)!.deliveryCount;
      // Waiting offsets may be sparse: read through the last one this member's credit (and the frame's ranges) could take.
      const lastWanted = waiting[Math.min(waiting.length, index + member.creditMessages, index + this.deps.deliverBounds.maxRangedOffsets) - 1]!;
      const records = await this.readFor(member, first, lastWanted - first + 1);
      if (!this.ledger.waiting.has(first) || !member.hasCredit || (this.ordering !== 'key' && this.owner !== member)) return true; // changed while reading: look again
      const lastRead = lastOffsetOf(records);
      const maxOffsets = Math.min(member.creditMessages, this.deps.deliverBounds.maxRangedOffsets);
      const offsets: number[] = [];
      for (const offset of waiting.slice(index)) {
        if (offset > lastRead || offsets.length >= maxOffsets) break;
        const entry = this.ledger.waiting.get(offset);
        if (!entry) continue; // redelivered or settled while reading
        const offsetKey = this.keyOfOffset.get(offset);
        const joins = entry.dueAtMs <= now && entry.deliveryCount === deliveryCount && (offsetKey === undefined || !blockedKeys.has(offsetKey))
          // A keyless offset may go to any member (targetFor would pick the next one round-robin).
          && (this.ordering !== 'key' || offsetKey === undefined || this.targetFor(offsetKey) === member);
        if (joins) {
          this.ledger.redeliver(offset, member.id);
          if (this.ordering === 'key') this.claimKey(offset, member.id);
          offsets.push(offset);
        } else if (this.ordering === 'partition') break; // a later frame, in order
        else if (offsetKey !== undefined) blockedKeys.add(offsetKey);
      }
      const payload = batchesThrough(records, offsets[offsets.length - 1]!).subarray(batchHolding(records, first).pos);
      member.charge(offsets.length, payload.length);
      member.push({ type: 'deliver', group: this.group, memberId: member.id, topic: this.topic, partition: this.partition.partition, records: payload, ranges: toRanges(offsets), deliveryCount });
      return true;
    }
    return false;
  }

  /**
   * Drops waiting offsets below the log's start: retention deleted them, so
   * there is nothing left to redeliver (as skipTo does for offsets deleted
   * before their first delivery). A read below the start would fail at
   * every pump and hold back everything after them. True if any went.
   */
  private forgetDeletedRedeliveries(): boolean {
    const startOffset = this.partition.startOffset;
    const forgotten: number[] = [];
    for (const offset of this.ledger.waiting.keys()) {
      if (offset >= startOffset) continue;
      this.ledger.settle(offset);
      this.keyOfOffset.delete(offset);
      forgotten.push(offset);
    }
    if (forgotten.length === 0) return false;
    this.deps.logger.warn('retention deleted messages waiting for redelivery', { group: this.group, partition: this.partition.id, forgotten: forgotten.length, startOffset });
    // A client holding later messages for one of them would wait for ever: tell whoever may hold them.
    for (const member of this.holdingMembers()) member.push({ type: 'forget', group: this.group, memberId: member.id, topic: this.topic, partition: this.partition.partition, offsets: forgotten });
    return true;
  }

  /** Members whose client may hold later messages for a redelivery: the owner in partition mode, every member in key mode (none holds in `none` mode). */
  private holdingMembers(): GroupMember[] {
    if (this.ordering === 'key') return this.deps.keyMembers();
    return this.ordering === 'partition' && this.ownerNow ? [this.ownerNow] : [];
  }

  private async deliverNew(): Promise<boolean> {
    const from = this.ledger.next;
    const endOffset = this.partition.endOffset;
    if (from >= endOffset) return false;
    if (from < this.partition.startOffset) {
      this.deps.logger.warn('retention deleted messages before the group consumed them', { group: this.group, partition: this.partition.id, from, startOffset: this.partition.startOffset });
      this.ledger.skipTo(this.partition.startOffset);
      return true;
    }
    // Every waiting offset is below `from`: with partition ordering it goes out first.
    if (this.ordering === 'partition' && this.ledger.waiting.size > 0) return false;
    return this.ordering === 'key' ? this.deliverByKey(from, endOffset) : this.deliverToOwner(from, endOffset);
  }

  /**
   * Delivers from `from` to the owner, as much as its credit allows, ending
   * at a batch boundary when it can: a delivery that stops inside a batch
   * makes the next one read and send that whole batch again (a consumer
   * behind the log, refilling its window a quarter at a time, would read and
   * receive every batch several times). A batch that does not fit the spare
   * credit waits for more when that is worth it (waitForRest); otherwise it
   * goes out in part.
   */
  private async deliverToOwner(from: number, endOffset: number): Promise<boolean> {
    const member = this.owner;
    if (!member) return false;
    const spare = this.spareCredit(member);
    if (!member.hasCredit || spare <= 0 || (this.knownBatchEnd >= from && this.waitForRest(member, this.knownBatchEnd - from + 1))) {
      member.whenCredit(this.wake);
      return false;
    }
    member.reserve(spare);
    try {
      const records = await this.readFor(member, from, spare).finally(() => member.unreserve(spare));
      if (this.owner !== member || this.ledger.next !== from || !member.hasCredit || this.spareCredit(member) <= 0 || records.length === 0) return true;
      const credited = Math.min(lastOffsetOf(records), endOffset - 1, from + this.spareCredit(member) - 1);
      let to = lastBatchEndThrough(records, credited);
      if (to < from) {
        const firstBatchEnd = batchHolding(records, from).lastOffset;
        if (this.waitForRest(member, firstBatchEnd - from + 1)) {
          this.knownBatchEnd = firstBatchEnd;
          member.whenCredit(this.wake);
          return false;
        }
        to = credited;
      }
      this.knownBatchEnd = -1;
      member.unclaim(this);
      const payload = batchesThrough(records, to);
      this.ledger.deliver(from, to, member.id);
      member.charge(to - from + 1, payload.length);
      member.push({ type: 'deliver', group: this.group, memberId: member.id, topic: this.topic, partition: this.partition.partition, records: payload, ranges: [from, to], deliveryCount: 1 });
      return true;
    } finally {
      member.wakeIfCredit(); // partitions that found the window held while this one read
    }
  }

  /**
   * Waits (claiming the credit, see GroupMember.claim) when the rest of a
   * batch, `messages` long, is worth it: it does not fit the spare credit,
   * acks will bring more (the member has messages out), it is at most a
   * quarter of the window (clients ack in steps that large, or after a
   * millisecond), and the member's partitions claim at most half of the
   * window between them. Otherwise the batch goes out in part.
   */
  private waitForRest(member: GroupMember, messages: number): boolean {
    const window = member.settings.maxInFlightMessages;
    const worth = messages > this.spareCredit(member) && member.messagesOut > 0 && messages <= window / 4 && member.claimedBesides(this) + messages <= window / 2;
    if (worth) member.claim(this, messages);
    else member.unclaim(this);
    return worth;
  }

  /** Key mode: each record goes to its key's member; stops at the first record whose member has no credit. */
  private async deliverByKey(from: number, endOffset: number): Promise<boolean> {
    const members = this.deps.keyMembers();
    if (!members.some((m) => m.hasCredit)) {
      for (const member of members) member.whenCredit(this.wake);
      return false;
    }
    const { records } = await this.partition.read(from, this.deps.deliverBounds.readMaxBytes);
    if (this.ledger.next !== from || records.length === 0) return true;
    // Each member's ranges may name every offset of the frame alone.
    const until = Math.min(endOffset, from + this.deps.deliverBounds.maxRangedOffsets);
    const owners: string[] = [];
    const planned = new Map<GroupMember, number[]>();
    // A key with an earlier message waiting for its redelivery: its later ones wait too (and so, since first
    // deliveries go out in offset order, does everything after them).
    const waitingKeys = new Set<string>();
    for (const offset of this.ledger.waiting.keys()) {
      const key = this.keyOfOffset.get(offset);
      if (key !== undefined) waitingKeys.add(key);
    }
    for (const record of decodeAll(records)) {
      if (record.offset < from) continue;
      if (record.offset >= until) break;
      const key = keyString(record.key);
      if (key !== undefined && waitingKeys.has(key)) break;
      const member = this.targetFor(key);
      if (!member) break;
      const offsets = planned.get(member) ?? [];
      if (offsets.length >= this.spareCredit(member) || (offsets.length > 0 && member.creditBytes === 0)) {
        member.whenCredit(this.wake);
        break;
      }
      if (offsets.length === 0) planned.set(member, offsets);
      offsets.push(record.offset); // not a copy per record: a delivery may hold thousands
      owners.push(member.id);
      if (key !== undefined) this.keyOfOffset.set(record.offset, key);
      this.claimKey(record.offset, member.id);
    }
    if (owners.length === 0) return false;
    const to = from + owners.length - 1;
    const payload = batchesThrough(records, to);
    this.ledger.deliver(from, to, owners);
    for (const [member, offsets] of planned) {
      member.charge(offsets.length, Math.ceil((payload.length * offsets.length) / owners.length));
      member.push({ type: 'deliver', group: this.group, memberId: member.id, topic: this.topic, partition: this.partition.partition, records: payload, ranges: toRanges(offsets), deliveryCount: 1 });
    }
    return true;
  }

  /**
   * Reads from `offset` about as many bytes as `messages` records take (from
   * the last read's bytes per record), within the member's byte credit and
   * the delivery bounds. A consumer behind the log would otherwise read a whole
   * megabyte per delivery to send the few thousand messages its credit
   * allows, and copy and collect the rest for nothing.
   */
  private async readFor(member: GroupMember, offset: number, messages: number): Promise<Uint8Array> {
    let maxBytes = Math.min(this.deps.deliverBounds.readMaxBytes, Math.max(member.creditBytes, 1));
    if (this.bytesPerRecord > 0) maxBytes = Math.min(maxBytes, Math.ceil(messages * this.bytesPerRecord * readHeadroom));
    const { records } = await this.partition.read(offset, maxBytes);
    if (records.length > 0) {
      const count = lastOffsetOf(records) - readBatchHeader(records, 0).baseOffset + 1;
      this.bytesPerRecord = records.length / count;
    }
    return records;
  }

  /**
   * Credit `member` has for new messages: the redeliveries waiting here keep
   * theirs. The client holds a partition's (a key's) later messages until a
   * failed one comes back and succeeds, so a window refilled with new
   * messages would never let the failed one back in.
   */
  private spareCredit(member: GroupMember): number {
    return member.creditFor(this) - this.ledger.waiting.size;
  }

  /** The member a record goes to: the partition owner, or in key mode the key's current member. */
  private targetFor(key: string | undefined): GroupMember | undefined {
    if (this.ordering !== 'key') return this.owner;
    const members = this.deps.keyMembers();
    if (members.length === 0) return undefined;
    if (key === undefined) return members[this.nextKeyless++ % members.length];
    const current = this.keyOwners.get(key);
    // A key stays with its member while any of its messages is out.
    if (current && current.open > 0) return this.deps.member(current.member);
    return members[hashKey(key) % members.length];
  }

  private claimKey(offset: number, memberId: string): void {
    const key = this.keyOfOffset.get(offset);
    if (key === undefined) return;
    const entry = this.keyOwners.get(key);
    if (entry && entry.open > 0) entry.open++;
    else this.keyOwners.set(key, { member: memberId, open: 1 });
  }

  /** One message of the key is no longer out; `done`: it will not come back. */
  private settleKey(offset: number, done: boolean): void {
    const key = this.keyOfOffset.get(offset);
    if (key === undefined) return;
    if (done) this.keyOfOffset.delete(offset);
    const entry = this.keyOwners.get(key);
    if (entry && --entry.open <= 0) this.keyOwners.delete(key);
  }

  private async moveToDeadLetter(offset: number, error: string, deliveries: number): Promise<void> {
    try {
      const { records } = await this.partition.read(offset, 1);
      const record = decodeAll(batchContaining(records, offset)).find((r) => r.offset === offset)!;
      await this.deps.deadLetter({ record, topic: this.topic, partition: this.partition.partition, error, deliveries });
      this.ledger.settle(offset);
      this.keyOfOffset.delete(offset);
    } catch (failure) {
      // Not lost: the offset stays parked below the commit and the dead letter is retried. Redelivering it
      // instead would hand it over more than maxDeliveries times.
      this.deps.logger.error('dead-letter append failed; retrying', { group: this.group, partition: this.partition.id, offset, error: failure });
      const retry = this.deps.timers.setTimeout(() => {
        this.deadLetterRetries.delete(retry);
        if (!this.ledger.waiting.has(offset)) return; // retention deleted it meanwhile (forgetDeletedRedeliveries)
        void this.moveToDeadLetter(offset, error, deliveries).then(() => this.afterSettle());
      }, deadLetterRetryMs);
      this.deadLetterRetries.add(retry);
    }
  }

  private armTimer(): void {
    if (this.timer !== undefined) this.deps.timers.clearTimeout(this.timer);
    this.timer = undefined;
    let earliest = Infinity;
    for (const entry of this.ledger.waiting.values()) earliest = Math.min(earliest, entry.dueAtMs);
    if (earliest === Infinity) return;
    this.timer = this.deps.timers.setTimeout(() => {
      this.timer = undefined;
      this.pump();
    }, Math.max(0, earliest - this.deps.clock()));
  }
}

function* batches(records: Uint8Array): Generator<{ pos: number; size: number; baseOffset: number; lastOffset: number }> {
  for (let pos = 0; pos < records.length;) {
    const header = readBatchHeader(records, pos);
    const size = batchSizeAt(records, pos);
    yield { pos, size, baseOffset: header.baseOffset, lastOffset: header.baseOffset + header.lastOffsetDelta };
    pos += size;
  }
}

function lastOffsetOf(records: Uint8Array): number {
  let last = -1;
  for (const batch of batches(records)) last = batch.lastOffset;
  return last;
}

/** The whole batches up to the one holding `to`. */
function batchesThrough(records: Uint8Array, to: number): Uint8Array {
  for (const batch of batches(records)) if (batch.lastOffset >= to) return records.subarray(0, batch.pos + batch.size);
  return records;
}


/** The last offset of the last batch that ends at or before `to`; -1 when the first batch runs past it. */
function lastBatchEndThrough(records: Uint8Array, to: number): number {
  let end = -1;
  for (const batch of batches(records)) {
    if (batch.lastOffset > to) break;
    end = batch.lastOffset;
  }
  return end;
}

/** The batch holding `offset`. */
function batchHolding(records: Uint8Array, offset: number): { pos: number; size: number; lastOffset: number } {
  for (const batch of batches(records)) if (batch.baseOffset <= offset && offset <= batch.lastOffset) return batch;
  throw new ActorMqError('OFFSET_OUT_OF_RANGE', `offset ${offset} is not in the batches read`);
}

function batchContaining(records: Uint8Array, offset: number): Uint8Array {
  const { pos, size } = batchHolding(records, offset);
  return records.subarray(pos, pos + size);
}

/** Every record of the batches read; keys and byte values are views into `records` (each read is a fresh buffer). */
function decodeAll(records: Uint8Array): DecodedRecord[] {
  const out: DecodedRecord[] = [];
  const collect: RecordVisitor = (offset, timestamp, key, value, headers) => out.push({ offset, timestamp, key, value, headers });
  for (const batch of batches(records)) visitRecords(records, batch.pos, { copyBytes: false }, collect);
  return out;
}

function keyString(key: string | Uint8Array | null): string | undefined {
  if (key === null) return undefined;
  return typeof key === 'string' ? `s:${key}` : `b:${Array.from(key, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

/** FNV-1a: a stable, well-spread hash so a key maps to the same member while membership holds. */
function hashKey(key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

function toRanges(sortedOffsets: readonly number[]): number[] {
  const ranges: number[] = [];
  for (const offset of sortedOffsets) {
    if (ranges.length > 0 && ranges[ranges.length - 1] === offset - 1) ranges[ranges.length - 1] = offset;
    else ranges.push(offset, offset);
  }
  return ranges;
}
