import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeFrame, encodeHeadBefore } from '../../src/protocol/codec.js';

/** What a receiver gets from the two fragments of one message: their bytes joined. */
function joined(head: Uint8Array, records: Uint8Array): unknown {
  return decodeFrame(Buffer.concat([head, records]));
}

describe('encodeHeadBefore', () => {
  it('head + records decode to the frame encodeFrame writes (deliver frames of any shape)', () => {
    const name = fc.string({ unit: 'binary', maxLength: 300 });
    const deliver = fc.record({
      type: fc.constant('deliver'),
      group: name,
      memberId: name,
      topic: name,
      partition: fc.nat(),
      records: fc.uint8Array({ maxLength: 70_000 }),
      ranges: fc.array(fc.maxSafeNat(), { maxLength: 20 }),
      deliveryCount: fc.integer({ min: 1, max: 1_000 }),
    });
    fc.assert(fc.property(deliver, (frame) => {
      expect(joined(encodeHeadBefore(frame), frame.records)).toEqual(decodeFrame(encodeFrame(frame)));
    }), { numRuns: 200 });
  });

  it('holds frames with more fields than a fixmap', () => {
    const frame: Record<string, unknown> = { records: new Uint8Array([9]) };
    for (let i = 0; i < 300; i++) frame[`f${i}`] = i;
    expect(joined(encodeHeadBefore(frame as { records: Uint8Array }), new Uint8Array([9]))).toEqual(decodeFrame(encodeFrame(frame)));
  });
});
