import { describe, expect, it } from 'vitest';
import { resolveBrokerOptions } from '../../src/broker/options.js';

describe('broker options', () => {
  it('assigns group partitions sticky by default, range on request, and refuses other assignors', () => {
    expect(resolveBrokerOptions().groupAssignment).toBe('sticky');
    expect(resolveBrokerOptions({ groupAssignment: 'range' }).groupAssignment).toBe('range');
    expect(() => resolveBrokerOptions({ groupAssignment: 'roundrobin' as never })).toThrow(/groupAssignment must be 'sticky' or 'range'/);
  });
});
