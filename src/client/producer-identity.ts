/**
 * Producer ids for idempotent sends, obtained with `initProducer`. Every
 * partition starts its sequence under the current id; a partition whose
 * sequence broke (a batch failed for good) needs an id it has not used, and
 * asking for one replaces the current id for partitions that start later.
 * Partitions keep the id their sequence started with until it breaks.
 */
import type { ActorMqError } from '../protocol/errors.js';
import { backoffMs } from './backoff.js';
import type { Connection } from './connection.js';

export interface ProducerIdentity {
  readonly producerId: number;
  readonly producerEpoch: number;
}

/** Batches of a non-idempotent producer carry no id: the broker neither checks nor deduplicates them. */
export const anonymousIdentity: ProducerIdentity = { producerId: -1, producerEpoch: -1 };

export class IdentitySource {
  private current: ProducerIdentity | null = null;
  private requesting = false;
  private failures = 0;
  /** Earliest time of the next initProducer after a failed one. */
  retryAtMs = 0;
  /** Why the last initProducer failed; cleared by a success. */
  lastError: ActorMqError | null = null;

  /** `onChange` runs after each answer to initProducer, success or failure. */
  constructor(
    private readonly connection: Connection,
    private readonly backoff: { baseMs: number; maxMs: number },
    private readonly onChange: () => void,
  ) {}

  get pending(): boolean {
    return this.requesting;
  }

  /** An identity other than `retired`, or null while one is being obtained (onChange tells when to ask again). */
  take(retired: ProducerIdentity | null, nowMs: number): ProducerIdentity | null {
    if (this.current !== null && this.current !== retired) return this.current;
    if (!this.requesting && nowMs >= this.retryAtMs) this.request();
    return null;
  }

  private request(): void {
    this.requesting = true;
    this.connection.request({ type: 'initProducer' }).then(
      (body) => {
        this.current = { producerId: body.producerId, producerEpoch: body.producerEpoch };
        this.failures = 0;
        this.lastError = null;
      },
      (error: ActorMqError) => {
        this.lastError = error;
        this.failures++;
        this.retryAtMs = Date.now() + backoffMs(this.failures, this.backoff.baseMs, this.backoff.maxMs);
      },
    ).finally(() => {
      this.requesting = false;
      this.onChange();
    });
  }
}
