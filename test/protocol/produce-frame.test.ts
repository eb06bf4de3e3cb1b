import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeFrame } from '../../src/protocol/codec.js';
import { encodeProduceFrame } from '../../src/protocol/produce-frame.js';
import { validateFrame } from '../../src/protocol/validate-frame.js';
import { encodeRecordBatch } from '../../src/protocol/record-batch.js';

/** As the broker gets it from ws: a Buffer (bin fields then decode to Buffers too). */
function received(bytes: Uint8Array): unknown {
  return decodeFrame(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
}

function batch(values: number, valueBytes: number): Uint8Array {
  const value = new Uint8Array(valueBytes).fill(7);
  return encodeRecordBatch(Array.from({ length: values }, () => ({ value })), { now: 1_700_000_000_000 });
}

describe('encodeProduceFrame', () => {
  it('decodes to the same frame encodeFrame writes', () => {
    const cases = [
      { id: 1, entries: [{ topic: 'orders', partition: 0, batch: batch(1, 10) }] },
      { id: 127, entries: [{ topic: 'a'.repeat(31), partition: 127, batch: batch(3, 100) }, { topic: 'b'.repeat(32), partition: 128, batch: batch(2, 0) }] },
      { id: 0x7fff_fffe, entries: [{ topic: 'x'.repeat(249), partition: 70_000, batch: batch(2_000, 500) }] },
      { id: 40_000, entries: [{ topic: 'é'.repeat(200), partition: 3, batch: new Uint8Array(0) }] },
    ];
    for (const { id, entries } of cases) {
      const frame = { type: 'produce', id, entries };
      const decoded = received(encodeProduceFrame(id, entries));
      expect(decoded).toEqual(received(encodeFrame(frame)));
      expect(validateFrame(decoded).ok).toBe(true);
    }
  });

  it('reuses one buffer: a frame is valid until the next call', () => {
    const first = encodeProduceFrame(1, [{ topic: 't', partition: 0, batch: batch(1, 10) }]);
    const second = encodeProduceFrame(2, [{ topic: 't', partition: 0, batch: batch(1, 10) }]);
    expect(second.buffer).toBe(first.buffer);
    expect((received(first) as { id: number }).id).toBe(2);
  });

  it('refuses an id or partition outside uint32', () => {
    expect(() => encodeProduceFrame(-1, [])).toThrow(RangeError);
    expect(() => encodeProduceFrame(1, [{ topic: 't', partition: 2 ** 32, batch: new Uint8Array(0) }])).toThrow(RangeError);
  });
});
