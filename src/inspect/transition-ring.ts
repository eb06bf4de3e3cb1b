/**
 * An actor's recent transitions as the inspector records them: raw (the
 * snapshot's own state value, not yet made JSON-safe), the newest
 * `capacity` kept, overwritten in place once full.
 */
export interface RecordedTransition { state: unknown; event: string; timeMs: number }

export class TransitionRing {
  private readonly entries: RecordedTransition[] = [];
  /** Where the oldest entry is once the ring is full (and the next one goes). */
  private start = 0;

  constructor(private readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`transition ring capacity must be a positive integer, got ${capacity}`);
  }

  get length(): number {
    return this.entries.length;
  }

  push(transition: RecordedTransition): void {
    if (this.entries.length < this.capacity) {
      this.entries.push(transition);
      return;
    }
    this.entries[this.start] = transition;
    this.start = (this.start + 1) % this.capacity;
  }

  /** Oldest first. */
  toArray(): RecordedTransition[] {
    return this.start === 0 ? [...this.entries] : [...this.entries.slice(this.start), ...this.entries.slice(0, this.start)];
  }
}
