import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { assignPartitions, partitionKey } from '../../../src/broker/groups/assignor.js';

const topicPartitions = (counts: Record<string, number>) =>
  Object.entries(counts).flatMap(([topic, n]) => Array.from({ length: n }, (_, partition) => ({ topic, partition })));

describe('assignPartitions', () => {
  it('gives each partition to exactly one member, balanced within one, in both strategies', () => {
    fc.assert(fc.property(
      fc.dictionary(fc.constantFrom('a', 'b', 'c'), fc.integer({ min: 1, max: 12 }), { minKeys: 1 }),
      fc.uniqueArray(fc.string({ minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 15 }),
      fc.constantFrom('sticky' as const, 'range' as const),
      (counts, members, strategy) => {
        const partitions = topicPartitions(counts);
        const assignment = assignPartitions(partitions, members, new Map(), strategy);
        const all = [...assignment.values()].flat().map(partitionKey);
        expect(all.sort()).toEqual(partitions.map(partitionKey).sort());
        if (strategy === 'sticky') {
          const sizes = [...assignment.values()].map((list) => list.length);
          expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
        }
      },
    ));
  });

  it('leaves members beyond the partition count idle', () => {
    const assignment = assignPartitions(topicPartitions({ orders: 4 }), ['m1', 'm2', 'm3', 'm4', 'm5', 'm6'], new Map(), 'sticky');
    expect([...assignment.values()].filter((list) => list.length > 0)).toHaveLength(4);
  });

  it('moves only what it must when a member joins or leaves (sticky)', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 24 }), fc.integer({ min: 1, max: 8 }), (count, memberCount) => {
      const partitions = topicPartitions({ t: count });
      const members = Array.from({ length: memberCount }, (_, i) => `m${i}`);
      const before = assignPartitions(partitions, members, new Map(), 'sticky');
      const owners = new Map([...before].flatMap(([member, list]) => list.map((tp) => [partitionKey(tp), member] as const)));
      const joined = assignPartitions(partitions, [...members, 'new'], owners, 'sticky');
      const moved = [...joined].flatMap(([member, list]) => list.filter((tp) => owners.get(partitionKey(tp)) !== member));
      // Only the newcomer's share moves, nothing shuffles between existing members.
      expect(moved.length).toBe(joined.get('new')!.length);
      if (memberCount === 1) return; // nobody left to take over
      const left = assignPartitions(partitions, members.slice(1), owners, 'sticky');
      const movedAfterLeave = [...left].flatMap(([member, list]) => list.filter((tp) => owners.get(partitionKey(tp)) !== member));
      expect(movedAfterLeave.length).toBe(before.get('m0')!.length);
    }));
  });

  it('assigns contiguous runs per topic with range', () => {
    const assignment = assignPartitions(topicPartitions({ t: 5 }), ['a', 'b'], new Map(), 'range');
    expect(assignment.get('a')!.map((tp) => tp.partition)).toEqual([0, 1, 2]);
    expect(assignment.get('b')!.map((tp) => tp.partition)).toEqual([3, 4]);
  });
});
