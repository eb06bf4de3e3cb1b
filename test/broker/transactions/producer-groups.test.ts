import { describe, expect, it } from 'vitest';
import { ProducerGroups } from '../../../src/broker/transactions/producer-groups.js';

const connection = (connectionId: string) => ({ connectionId, push: () => undefined });

describe('producer groups', () => {
  it('hands out registered connections round-robin, skipping the ones tried, until none is left', () => {
    const groups = new ProducerGroups(10, 10);
    for (const id of ['a', 'b', 'c']) groups.register('g', connection(id));
    expect(groups.register('g', connection('a'))).toBe(false);
    expect([0, 1, 2, 3].map(() => groups.next('g', new Set())!.connectionId)).toEqual(['a', 'b', 'c', 'a']);
    expect(groups.next('g', new Set(['b', 'c']))!.connectionId).toBe('a');
    expect(groups.next('g', new Set(['a', 'b', 'c']))).toBeUndefined();
    expect(groups.next('other', new Set())).toBeUndefined();
  });

  it('ends a closed connection\'s registrations and enforces its bounds', () => {
    const groups = new ProducerGroups(2, 1);
    groups.register('g1', connection('a'));
    groups.register('g2', connection('a'));
    expect(() => groups.register('g1', connection('b'))).toThrow(/maxProducersPerGroup/);
    expect(() => groups.register('g3', connection('b'))).toThrow(/maxProducerGroups/);
    expect(groups.connectionClosed('a')).toEqual(['g1', 'g2']);
    expect(groups.count('g1')).toBe(0);
    groups.register('g3', connection('b'));
    expect(groups.count('g3')).toBe(1);
  });
});
