/** `actormq group describe`'s table, from descriptions as the broker answers them: whole, and cut to fit a frame. */
import { describe, expect, it } from 'vitest';
import { formatGroup } from '../../src/cli/group.js';
import type { GroupDescription } from '../../src/client/index.js';

const whole: GroupDescription = {
  group: 'cart', state: 'stable', generation: 3, ordering: 'partition', topics: ['orders'],
  members: [{ id: 'cart-1', clientId: 'svc', state: 'assigned', assignments: [{ topic: 'orders', partition: 0 }, { topic: 'orders', partition: 1 }], assignmentsTotal: 2 }],
  membersTotal: 1,
  lag: [{ topic: 'orders', partition: 1, committedOffset: 2, endOffset: 5 }, { topic: 'orders', partition: 0, committedOffset: 4, endOffset: 4 }],
  lagTotal: 2,
};

describe('formatGroup', () => {
  it('prints a whole description without any "shown" note', () => {
    expect(formatGroup(whole)).toBe([
      'group cart: stable, generation 3, ordering partition, topics orders',
      '',
      'MEMBER  CLIENT  STATE     ASSIGNMENT',
      'cart-1  svc     assigned  orders/0,orders/1',
      '',
      'TOPIC   PARTITION  COMMITTED  END  LAG',
      'orders  0          4          4    0',
      'orders  1          2          5    3',
      '',
    ].join('\n'));
  });

  it('says "N of M shown" under the members and the lag, and beside a member\'s assignments, when the broker cut them', () => {
    const cut: GroupDescription = {
      ...whole,
      members: [{ ...whole.members[0]!, assignments: [{ topic: 'orders', partition: 0 }], assignmentsTotal: 40 }],
      membersTotal: 7,
      lag: [whole.lag[1]!],
      lagTotal: 40,
    };
    const printed = formatGroup(cut);
    expect(printed).toContain('cart-1  svc     assigned  orders/0 (1 of 40 partitions shown)\n1 of 7 members shown\n\n');
    expect(printed.endsWith('LAG\norders  0          4          4    0\n1 of 40 partitions shown\n')).toBe(true);
  });
});
