/**
 * Partition counts of topics, looked up with describeTopic once per topic and
 * shared by the client's producers. A lookup that fails for a passing reason
 * (the connection dropped, the broker restarts) is retried with backoff until
 * the caller's deadline, so a send accepted just before a broker crash still
 * goes out after the reconnect. A failed lookup (an unknown topic) is not
 * cached: the topic may be created later. One entry per topic used, so the
 * map is bounded by the broker's maxTopics.
 */
import { ActorMqError } from '../protocol/errors.js';
import { backoffMs } from './backoff.js';
import type { Connection } from './connection.js';

const lookupBackoffMs = { baseMs: 50, maxMs: 1_000 };
const defaultLookupDeadlineMs = 120_000;

export class Metadata {
  private readonly partitionCounts = new Map<string, Promise<number>>();

  constructor(private readonly connection: Connection) {}

  partitionCount(topic: string, deadlineMs = Date.now() + defaultLookupDeadlineMs): Promise<number> {
    let lookup = this.partitionCounts.get(topic);
    if (lookup) return lookup;
    lookup = this.describe(topic, deadlineMs, 1);
    this.partitionCounts.set(topic, lookup);
    lookup.catch(() => {
      if (this.partitionCounts.get(topic) === lookup) this.partitionCounts.delete(topic);
    });
    return lookup;
  }

  private async describe(topic: string, deadlineMs: number, attempt: number): Promise<number> {
    try {
      const body = await this.connection.request({ type: 'describeTopic', topic });
      // The count, not the list: the list holds only the partitions that fit in one answer frame.
      const count = body.partitionsTotal;
      if (!Number.isSafeInteger(count) || count < 1) throw new ActorMqError('INTERNAL_ERROR', `describeTopic ${topic} returned partitionsTotal ${String(count)}`);
      return count;
    } catch (error) {
      const delayMs = backoffMs(attempt, lookupBackoffMs.baseMs, lookupBackoffMs.maxMs);
      if (!(error instanceof ActorMqError) || !error.retriable || Date.now() + delayMs > deadlineMs) throw error;
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      return this.describe(topic, deadlineMs, attempt + 1);
    }
  }

  /** Drops what is known about `topic` (the broker said it does not exist). */
  forget(topic: string): void {
    this.partitionCounts.delete(topic);
  }
}
