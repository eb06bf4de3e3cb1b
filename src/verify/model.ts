/**
 * The reference model of a verification run: every message the broker
 * acknowledged (where, in which send order), every transaction's fate, and
 * every hand-over of a message to a consumer group's handler (which member,
 * which deliveryCount, what the handler did). Invariants compare the broker
 * with it.
 *
 * Broker restarts forget delivery counts, so hand-overs carry the broker
 * lifetime ("epoch") of the membership that received them: a member id is
 * stamped with the epoch it joined in; ids joined in the confusion of a
 * crash are left unstamped and count as "epoch unknown".
 */
import type { Ordering } from '../protocol/frames.js';

export interface AckedMessage { value: string; key: string | undefined; offset: number }

/** What the handler does with one hand-over: succeed, throw, or outlast `ackTimeoutMs`. */
export type HandlerBehaviour = 'succeed' | 'throw' | 'slow';

export interface HandOver {
  /** Position among all hand-overs of the run (the order they happened in). */
  sequence: number;
  member: string | undefined;
  deliveryCount: number;
  topic: string;
  partition: number;
  offset: number;
  /** The ordering lane: the partition (partition mode) or the key (key mode); undefined for keyless messages in key mode. */
  lane: string | undefined;
  behaviour: HandlerBehaviour;
}

export interface GroupRecord {
  ordering: Ordering;
  maxDeliveries: number;
  /** Live members (consumers) the run keeps in the group right now. */
  members: number;
  minMembers: number;
  maxMembers: number;
  /** value → hand-overs to a handler, in the order they happened */
  handOvers: Map<string, HandOver[]>;
  /** value → what the handler does on its first hand-overs (then it succeeds) */
  plans: Map<string, Exclude<HandlerBehaviour, 'succeed'>[]>;
}

/** What the transaction producer answers a check-back with: `unknown` so many times, then `outcome` (forever unknown: parked). */
export interface CheckPlan { unknownAnswers: number; outcome: 'commit' | 'rollback' | 'unknown' }

export interface CheckedTransaction { id: string; values: string[]; plan: CheckPlan }

export class VerifyModel {
  readonly topics = new Map<string, number>();
  /** `${topic}/${partition}` → acknowledged messages */
  readonly acked = new Map<string, AckedMessage[]>();
  readonly keyPartition = new Map<string, number>();
  readonly keyViolations: string[] = [];
  readonly committedTransactions: string[][] = [];
  /** Values of transactions rolled back, or never ended: they must never be visible. */
  readonly invisibleValues = new Set<string>();
  /** Transactions left to the check-back with a plan of answers, until their state was read at the plan's end. */
  readonly checkedTransactions: CheckedTransaction[] = [];
  /** Checked transactions seen in a state their answers do not allow (or not at their end in time). */
  readonly transactionProblems: string[] = [];
  readonly groups = new Map<string, GroupRecord>();
  /** Broker lifetime: 0 until the first restart. */
  epoch = 0;
  /** member id → epoch it joined in */
  readonly memberEpochs = new Map<string, number>();
  private nextValue = 0;
  private nextHandOver = 0;

  constructor(readonly runId: string) {}

  /** Unique per run; the number after the last dash is the send order. */
  uniqueValue(): string {
    return `${this.runId}-${this.nextValue++}`;
  }

  recordAck(topic: string, partition: number, message: AckedMessage): void {
    const key = `${topic}/${partition}`;
    this.acked.set(key, [...(this.acked.get(key) ?? []), message]);
    if (message.key === undefined) return;
    const where = `${topic}:${message.key}`;
    const previous = this.keyPartition.get(where);
    if (previous !== undefined && previous !== partition) this.keyViolations.push(`key ${message.key} of ${topic} went to partitions ${previous} and ${partition}`);
    this.keyPartition.set(where, partition);
  }

  /** Records a hand-over and returns what the handler is to do with it (the plan applies to the first hand-overs, across restarts). */
  recordHandOver(group: string, member: string | undefined, message: { topic: string; partition: number; offset: number; key: unknown; value: unknown; deliveryCount: number }): HandlerBehaviour {
    const record = this.groups.get(group);
    if (!record || typeof message.value !== 'string') return 'succeed';
    const list = record.handOvers.get(message.value) ?? [];
    const behaviour = record.plans.get(message.value)?.[list.length] ?? 'succeed';
    const lane = record.ordering === 'key'
      ? (typeof message.key === 'string' ? `${message.topic}:${message.key}` : undefined)
      : `${message.topic}/${message.partition}`;
    list.push({ sequence: this.nextHandOver++, member, deliveryCount: message.deliveryCount, topic: message.topic, partition: message.partition, offset: message.offset, lane, behaviour });
    record.handOvers.set(message.value, list);
    return behaviour;
  }

  /** The epoch of a hand-over's membership; undefined when unknown. */
  epochOf(handOver: HandOver): number | undefined {
    return handOver.member === undefined ? undefined : this.memberEpochs.get(handOver.member);
  }

  /** Everything a group must eventually receive. */
  expectedValues(): string[] {
    return [...[...this.acked.values()].flat().map((m) => m.value), ...this.committedTransactions.flat()];
  }
}

export function sendOrder(value: string): number {
  return Number(value.slice(value.lastIndexOf('-') + 1));
}
