/**
 * Registered transaction producers, by producer group: the connections that
 * may be asked to check back. `next` picks them round-robin, skipping the
 * ones already tried for the check at hand. A connection's registrations end
 * when it closes.
 */
import { ActorMqError } from '../../protocol/errors.js';
import type { TxnCheckFrame } from '../../protocol/frames.js';

/** The connection a producer registered on. */
export interface ProducerConnection {
  readonly connectionId: string;
  push(frame: TxnCheckFrame): void;
}

interface Group {
  members: ProducerConnection[];
  cursor: number;
}

export class ProducerGroups {
  private readonly groups = new Map<string, Group>();

  constructor(private readonly maxGroups: number, private readonly maxPerGroup: number) {}

  /** Returns true when the connection was not registered for the group before. */
  register(group: string, connection: ProducerConnection): boolean {
    let entry = this.groups.get(group);
    if (!entry) {
      if (this.groups.size >= this.maxGroups) throw new ActorMqError('INVALID_REQUEST', `broker holds maxProducerGroups ${this.maxGroups}`);
      entry = { members: [], cursor: 0 };
      this.groups.set(group, entry);
    }
    if (entry.members.some((member) => member.connectionId === connection.connectionId)) return false;
    if (entry.members.length >= this.maxPerGroup) throw new ActorMqError('INVALID_REQUEST', `producer group ${group} has maxProducersPerGroup ${this.maxPerGroup}`);
    entry.members.push(connection);
    return true;
  }

  unregister(group: string, connectionId: string): void {
    const entry = this.groups.get(group);
    if (!entry) return;
    entry.members = entry.members.filter((member) => member.connectionId !== connectionId);
    if (entry.members.length === 0) this.groups.delete(group);
  }

  /** Every group the connection was registered for. */
  connectionClosed(connectionId: string): string[] {
    const left: string[] = [];
    for (const [group, entry] of this.groups) {
      if (entry.members.some((member) => member.connectionId === connectionId)) {
        left.push(group);
        this.unregister(group, connectionId);
      }
    }
    return left;
  }

  /** The next registered connection of the group not in `exclude`, round-robin; undefined when none is left. */
  next(group: string, exclude: ReadonlySet<string>): ProducerConnection | undefined {
    const entry = this.groups.get(group);
    if (!entry) return undefined;
    for (let i = 0; i < entry.members.length; i++) {
      const member = entry.members[(entry.cursor + i) % entry.members.length]!;
      if (exclude.has(member.connectionId)) continue;
      entry.cursor = (entry.cursor + i + 1) % entry.members.length;
      return member;
    }
    return undefined;
  }

  count(group: string): number {
    return this.groups.get(group)?.members.length ?? 0;
  }
}
