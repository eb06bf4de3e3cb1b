/**
 * One `send` or `sendBatch` call: the single promise it returns and the
 * results it is filled with as the batches holding its messages are
 * acknowledged. Messages carry no promise or callback of their own; a batch
 * writes each record's offset into `results` at the record's slot.
 */
import type { ActorMqError } from '../protocol/errors.js';
import type { Message, SendResult } from './types.js';

export class SendCall {
  readonly results: SendResult[];
  readonly promise: Promise<unknown>;
  /** Set once the promise is resolved or rejected; later outcomes are dropped. */
  settled = false;
  private remaining: number;
  private resolvePromise!: (value: unknown) => void;
  private rejectPromise!: (error: ActorMqError) => void;

  /** `single`: resolve with the one result (send) rather than the array (sendBatch). `registry` holds unsettled calls, for flush. */
  constructor(
    readonly topic: string,
    readonly messages: readonly Message[],
    private readonly single: boolean,
    private readonly registry: Set<SendCall>,
  ) {
    this.results = new Array<SendResult>(messages.length);
    this.remaining = messages.length;
    this.promise = new Promise((resolve, reject) => {
      this.resolvePromise = resolve;
      this.rejectPromise = reject;
    });
    registry.add(this);
  }

  /** `count` more results have been written. */
  delivered(count: number): void {
    this.remaining -= count;
    if (this.remaining > 0 || this.settled) return;
    this.settled = true;
    this.registry.delete(this);
    this.resolvePromise(this.single ? this.results[0] : this.results);
  }

  fail(error: ActorMqError): void {
    if (this.settled) return;
    this.settled = true;
    this.registry.delete(this);
    this.rejectPromise(error);
  }
}
