/**
 * Partition assignment for `partition` and `none` ordering: each partition to
 * at most one member. `sticky` (default) keeps every partition with its
 * current owner when that owner stays within its fair share, and moves as few
 * as possible; `range` gives each member a contiguous run per topic (Kafka's
 * RangeAssignor). Members beyond the partition count get nothing.
 */
import type { TopicPartition } from '../../protocol/frames.js';

export type AssignmentStrategy = 'sticky' | 'range';

export function partitionKey(tp: TopicPartition): string {
  return `${tp.topic}/${tp.partition}`;
}

/** member id → partitions, for every member (idle members map to []). */
export type Assignment = Map<string, TopicPartition[]>;

export function assignPartitions(
  partitions: readonly TopicPartition[],
  members: readonly string[],
  previousOwners: ReadonlyMap<string, string>,
  strategy: AssignmentStrategy,
): Assignment {
  const assignment: Assignment = new Map(members.map((member) => [member, []]));
  if (members.length === 0) return assignment;
  return strategy === 'range' ? rangeAssign(partitions, members, assignment) : stickyAssign(partitions, members, previousOwners, assignment);
}

function rangeAssign(partitions: readonly TopicPartition[], members: readonly string[], assignment: Assignment): Assignment {
  const byTopic = new Map<string, TopicPartition[]>();
  for (const tp of partitions) byTopic.set(tp.topic, [...(byTopic.get(tp.topic) ?? []), tp]);
  for (const topicPartitions of byTopic.values()) {
    const share = Math.floor(topicPartitions.length / members.length);
    const extra = topicPartitions.length % members.length;
    let next = 0;
    members.forEach((member, index) => {
      const count = share + (index < extra ? 1 : 0);
      assignment.get(member)!.push(...topicPartitions.slice(next, next + count));
      next += count;
    });
  }
  return assignment;
}

function stickyAssign(
  partitions: readonly TopicPartition[],
  members: readonly string[],
  previousOwners: ReadonlyMap<string, string>,
  assignment: Assignment,
): Assignment {
  const share = Math.floor(partitions.length / members.length);
  let extraSlots = partitions.length % members.length;
  const kept = new Map<string, TopicPartition[]>(members.map((member) => [member, []]));
  const unowned: TopicPartition[] = [];
  for (const tp of partitions) {
    const owner = previousOwners.get(partitionKey(tp));
    const keep = owner !== undefined ? kept.get(owner) : undefined;
    if (keep) keep.push(tp);
    else unowned.push(tp);
  }
  // Members keeping the most get the share+1 slots first: fewer partitions move.
  const byKept = [...members].sort((a, b) => kept.get(b)!.length - kept.get(a)!.length);
  for (const member of byKept) {
    const quota = share + (extraSlots > 0 && kept.get(member)!.length > share ? (extraSlots--, 1) : 0);
    const mine = kept.get(member)!;
    assignment.get(member)!.push(...mine.slice(0, quota));
    unowned.push(...mine.slice(quota));
  }
  unowned.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
  for (const member of byKept) {
    const quota = share + (extraSlots > 0 && assignment.get(member)!.length <= share ? (extraSlots--, 1) : 0);
    while (assignment.get(member)!.length < quota && unowned.length > 0) assignment.get(member)!.push(unowned.shift()!);
  }
  return assignment;
}
