/**
 * One consumer-group member driven frame by frame over its own connection.
 * Unlike the client's consumer it sends no heartbeats, releases or acks by
 * itself, so a model test decides exactly which frame the broker sees when.
 */
import { RawClient, type ServerFrameSeen } from './raw-client.js';

export interface RawMemberOptions {
  url: string;
  group: string;
  topic: string;
  sessionTimeoutMs: number;
  /** Redelivery backoff after a nack (default one second). */
  retryBackoffMs?: number[];
  /** Failed hand-overs before the dead-letter topic (default 16). */
  maxDeliveries?: number;
}

interface AssignmentFrame { type: 'assignment'; generation: number; partitions: Array<{ topic: string; partition: number }> }

function isAssignment(frame: ServerFrameSeen): frame is ServerFrameSeen & AssignmentFrame {
  return frame.type === 'assignment';
}

export class RawMember {
  private constructor(readonly client: RawClient, readonly id: string, private readonly options: RawMemberOptions) {}

  static async join(options: RawMemberOptions): Promise<RawMember> {
    const client = await RawClient.greeted(options.url, 'model');
    const answer = await client.request({
      type: 'joinGroup', group: options.group, topics: [options.topic], ordering: 'partition', from: 'earliest',
      retryBackoffMs: options.retryBackoffMs ?? [1_000], maxDeliveries: options.maxDeliveries ?? 16, sessionTimeoutMs: options.sessionTimeoutMs, maxInFlightMessages: 100, maxInFlightBytes: 1 << 20,
    });
    if (answer.type !== 'result') throw new Error(`join refused: ${JSON.stringify(answer)}`);
    return new RawMember(client, answer.body.memberId as string, options);
  }

  /** The member's actor id in the broker's inspector. */
  get actorId(): string {
    return `group/${this.options.group}/member/${this.id}`;
  }

  heartbeat(): Promise<void> {
    return this.call({ type: 'heartbeat' });
  }

  leave(): Promise<void> {
    return this.call({ type: 'leaveGroup' });
  }

  /** The connection vanishes without a close handshake. */
  terminate(): void {
    this.client.socket.terminate();
  }

  /**
   * What a consumer does after a revocation: waits for its assignment of
   * `generation`, then releases every partition an earlier assignment gave
   * it and that one does not.
   */
  async releaseLost(generation: number): Promise<void> {
    await this.client.waitFor((frame) => isAssignment(frame) && frame.generation === generation);
    const assignments = this.client.frames.filter(isAssignment);
    const kept = new Set(assignments.at(-1)!.partitions.map((tp) => tp.partition));
    const lost = new Set(assignments.flatMap((frame) => frame.partitions.map((tp) => tp.partition)).filter((p) => !kept.has(p)));
    for (const partition of lost) await this.call({ type: 'release', topic: this.options.topic, partition });
  }

  private async call(frame: Record<string, unknown>): Promise<void> {
    const answer = await this.client.request({ ...frame, group: this.options.group, memberId: this.id });
    if (answer.type !== 'result') throw new Error(`${String(frame.type)} refused: ${JSON.stringify(answer)}`);
  }
}
