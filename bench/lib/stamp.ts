/**
 * Send-time stamps for end-to-end latency: a payload whose first 8 bytes hold
 * the epoch ms (Float64, sub-ms precision) of its send. A fresh payload is
 * made at most every `refreshMs`, so consecutive messages share one (clients
 * may keep a reference to a payload until it is written, so it is never
 * rewritten in place).
 */
import { preciseNowMs } from './clock.js';

export class StampedPayloads {
  private current: Uint8Array;
  private madeAt = -Infinity;

  constructor(private readonly valueBytes: number, private readonly refreshMs = 0.25) {
    this.current = new Uint8Array(Math.max(8, valueBytes));
  }

  next(): Uint8Array {
    const now = performance.now();
    if (now - this.madeAt >= this.refreshMs) {
      this.madeAt = now;
      this.current = stampedPayload(this.valueBytes);
    }
    return this.current;
  }
}

/** A fresh payload of `valueBytes` (at least 8) stamped now. */
export function stampedPayload(valueBytes: number): Uint8Array {
  const payload = new Uint8Array(Math.max(8, valueBytes)).fill(0x61);
  new DataView(payload.buffer).setFloat64(0, preciseNowMs());
  return payload;
}

/** The epoch ms stamped into `payload`. */
export function stampMs(payload: Uint8Array): number {
  return new DataView(payload.buffer, payload.byteOffset, 8).getFloat64(0);
}

/** Milliseconds since the stamp in `payload` was written. */
export function stampAgeMs(payload: Uint8Array): number {
  return preciseNowMs() - stampMs(payload);
}
