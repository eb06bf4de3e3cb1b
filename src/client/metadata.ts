/**
 * Partition counts of topics, looked up with describeTopic once per topic and
 * shared by the client's producers. A failed lookup (an unknown topic) is not
 * cached: the topic may be created later. One entry per topic used, so the
 * map is bounded by the broker's maxTopics.
 */
import { ActorMqError } from '../protocol/errors.js';
import type { Connection } from './connection.js';

export class Metadata {
  private readonly partitionCounts = new Map<string, Promise<number>>();

  constructor(private readonly connection: Connection) {}

  partitionCount(topic: string): Promise<number> {
    let lookup = this.partitionCounts.get(topic);
    if (lookup) return lookup;
    lookup = this.connection.request({ type: 'describeTopic', topic }).then((body) => {
      const count = Array.isArray(body.partitions) ? body.partitions.length : 0;
      if (count < 1) throw new ActorMqError('INTERNAL_ERROR', `describeTopic ${topic} returned no partitions`);
      return count;
    });
    this.partitionCounts.set(topic, lookup);
    lookup.catch(() => {
      if (this.partitionCounts.get(topic) === lookup) this.partitionCounts.delete(topic);
    });
    return lookup;
  }

  /** Drops what is known about `topic` (the broker said it does not exist). */
  forget(topic: string): void {
    this.partitionCounts.delete(topic);
  }
}
