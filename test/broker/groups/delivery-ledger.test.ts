import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DeliveryLedger } from '../../../src/broker/groups/delivery-ledger.js';

describe('DeliveryLedger', () => {
  it('commits up to the lowest unacked offset', () => {
    const ledger = new DeliveryLedger(10);
    ledger.deliver(10, 19, 'a');
    ledger.deliver(20, 29, 'a');
    expect(ledger.committed()).toBe(10);
    expect(ledger.ack('a', 10, 14)).toBe(5);
    expect(ledger.committed()).toBe(15);
    ledger.ack('a', 20, 29);
    expect(ledger.committed()).toBe(15);
    ledger.ack('a', 15, 19);
    expect(ledger.committed()).toBe(30);
  });

  it('refuses acks from another member, for offsets never delivered, and twice', () => {
    const ledger = new DeliveryLedger(0);
    ledger.deliver(0, 4, 'a');
    expect(() => ledger.ack('b', 0, 0)).toThrow(expect.objectContaining({ code: 'NOT_DELIVERED' }));
    expect(() => ledger.ack('a', 3, 7)).toThrow(expect.objectContaining({ code: 'NOT_DELIVERED' }));
    ledger.ack('a', 0, 0);
    expect(() => ledger.ack('a', 0, 0)).toThrow(expect.objectContaining({ code: 'NOT_DELIVERED' }));
    expect(ledger.committed()).toBe(1); // the refused acks changed nothing
  });

  it('redelivers a failed offset with the next count and keeps the commit below it', () => {
    const ledger = new DeliveryLedger(0);
    ledger.deliver(0, 9, 'a');
    expect(ledger.fail('a', 3)).toBe(1);
    ledger.schedule(3, 2, 500);
    ledger.ack('a', 0, 2);
    ledger.ack('a', 4, 9);
    expect(ledger.committed()).toBe(3);
    expect(ledger.redeliver(3, 'b')).toBe(2);
    expect(ledger.memberOf(3)).toBe('b');
    ledger.ack('b', 3, 3);
    expect(ledger.committed()).toBe(10);
  });

  it('closes a redelivered offset acked inside a range of first deliveries', () => {
    const ledger = new DeliveryLedger(0);
    ledger.deliver(0, 4, 'a');
    ledger.fail('a', 2);
    ledger.schedule(2, 2, 0);
    ledger.redeliver(2, 'a');
    expect(ledger.ack('a', 0, 4)).toBe(5);
    expect(ledger.memberOf(2)).toBeUndefined();
    expect(ledger.takeBack('a')).toEqual([]); // acked: a leaving member must not hand it over again
    expect(ledger.committed()).toBe(5);
  });

  it('takes back everything out with a member, key mode owners included', () => {
    const ledger = new DeliveryLedger(0);
    ledger.deliver(0, 3, ['a', 'b', 'a', 'b']);
    ledger.ack('b', 1, 1);
    expect([0, 1, 2, 3].map((offset) => ledger.memberOf(offset))).toEqual(['a', undefined, 'a', 'b']);
    expect(ledger.takeBack('b')).toEqual([{ offset: 3, deliveryCount: 1, member: 'b' }]);
    expect([0, 1, 2, 3].map((offset) => ledger.memberOf(offset))).toEqual(['a', undefined, 'a', undefined]);
    expect(ledger.committed()).toBe(0);
  });

  it('never commits past an offset that is out or waiting (model check)', () => {
    type Op = { kind: 'deliver'; n: number; member: string } | { kind: 'ack' | 'fail'; pick: number; span: number } | { kind: 'redeliver'; member: string } | { kind: 'takeBack'; member: string };
    const member = fc.constantFrom('a', 'b');
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ kind: fc.constant('deliver' as const), n: fc.integer({ min: 1, max: 5 }), member }),
      fc.record({ kind: fc.constantFrom('ack' as const, 'fail' as const), pick: fc.nat(), span: fc.nat({ max: 6 }) }),
      fc.record({ kind: fc.constantFrom('redeliver' as const, 'takeBack' as const), member }),
    );
    fc.assert(fc.property(fc.array(op, { maxLength: 25 }), (ops) => {
      const ledger = new DeliveryLedger(0);
      const out = new Map<number, string>(); // model: offset → member
      const waiting = new Set<number>();
      const acked = new Set<number>();
      for (const step of ops) {
        if (step.kind === 'deliver') {
          const from = ledger.next;
          ledger.deliver(from, from + step.n - 1, step.member);
          for (let o = from; o < from + step.n; o++) out.set(o, step.member);
        } else if (step.kind === 'ack' || step.kind === 'fail') {
          const offsets = [...out.keys()];
          if (offsets.length === 0) continue;
          const offset = offsets[step.pick % offsets.length]!;
          const owner = out.get(offset)!;
          if (step.kind === 'ack') {
            // As a client acks: the run of consecutive offsets out with the owner (redeliveries among first deliveries).
            let to = offset;
            while (to - offset < step.span && out.get(to + 1) === owner) to++;
            expect(ledger.ack(owner, offset, to)).toBe(to - offset + 1);
            for (let o = offset; o <= to; o++) {
              out.delete(o);
              acked.add(o);
            }
          } else {
            out.delete(offset);
            const count = ledger.fail(owner, offset);
            ledger.schedule(offset, count + 1, 0);
            waiting.add(offset);
          }
        } else if (step.kind === 'redeliver') {
          const [offset] = waiting;
          if (offset === undefined) continue;
          waiting.delete(offset);
          ledger.redeliver(offset, step.member);
          out.set(offset, step.member);
        } else {
          for (const taken of ledger.takeBack(step.member)) {
            expect(out.get(taken.offset)).toBe(step.member);
            out.delete(taken.offset);
            ledger.schedule(taken.offset, taken.deliveryCount + 1, 0);
            waiting.add(taken.offset);
          }
          expect([...out.values()]).not.toContain(step.member);
        }
        const pending = [...out.keys(), ...waiting];
        const expected = pending.length ? Math.min(...pending) : ledger.next;
        expect(ledger.committed()).toBe(expected);
        for (const [offset, owner] of out) expect(ledger.memberOf(offset)).toBe(owner);
      }
    }), { numRuns: 3000 });
  });
});
