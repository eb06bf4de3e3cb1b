/**
 * The reference model of a verification run: every message the broker
 * acknowledged (where, in which send order), every transaction's fate, and
 * what each consumer group was handed. Invariants compare the broker with it.
 */
export interface AckedMessage { value: string; key: string | undefined; offset: number }

export interface GroupRecord {
  maxDeliveries: number;
  /** value → hand-overs to a handler */
  deliveries: Map<string, number>;
  /** `${member}/${topic}/${partition}` → last first-delivery offset handled (order check) */
  lastOffset: Map<string, number>;
  orderViolations: string[];
}

export class VerifyModel {
  readonly topics = new Map<string, number>();
  /** `${topic}/${partition}` → acknowledged messages */
  readonly acked = new Map<string, AckedMessage[]>();
  readonly keyPartition = new Map<string, number>();
  readonly keyViolations: string[] = [];
  readonly committedTransactions: string[][] = [];
  /** Values of transactions rolled back, or never ended: they must never be visible. */
  readonly invisibleValues = new Set<string>();
  readonly groups = new Map<string, GroupRecord>();
  private nextValue = 0;

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

  recordDelivery(group: string, member: string, message: { topic: string; partition: number; offset: number; value: unknown; deliveryCount: number }): void {
    const record = this.groups.get(group);
    if (!record || typeof message.value !== 'string') return;
    record.deliveries.set(message.value, (record.deliveries.get(message.value) ?? 0) + 1);
    if (message.deliveryCount !== 1) return;
    const lane = `${member}/${message.topic}/${message.partition}`;
    const last = record.lastOffset.get(lane);
    if (last !== undefined && message.offset <= last) record.orderViolations.push(`${group} ${lane}: offset ${message.offset} after ${last}`);
    record.lastOffset.set(lane, message.offset);
  }

  /** Everything a group must eventually receive. */
  expectedValues(): string[] {
    return [...[...this.acked.values()].flat().map((m) => m.value), ...this.committedTransactions.flat()];
  }
}

export function sendOrder(value: string): number {
  return Number(value.slice(value.lastIndexOf('-') + 1));
}
