/**
 * SegmentDescriptorCache: bounds the file descriptors that sealed segments
 * hold open, over every log that shares it (the broker has one for all its
 * partitions, the half log and the consumer offsets).
 *
 * A segment that takes appends keeps its descriptor open and is not counted
 * here. Once sealed it is only read (rarely written: a rewrite after a failed
 * sync), so its descriptor is opened on use and closed again when it is the
 * least recently used of more than `maxOpen`. Without this, a log of tiny or
 * short-lived segments with no retention holds one descriptor per segment
 * until the process hits EMFILE, and then every log on the broker fails.
 *
 * A segment a read or sync holds is never closed under it: while all are
 * held the count may pass `maxOpen`, and it comes back down as they are
 * released. A hit costs one Set delete and add, no system call.
 */
import { assert } from './assert.js';

/** A segment whose descriptor the cache may close. */
export interface CachedDescriptor {
  /** Closes the descriptor unless a read or sync holds it; true when closed. */
  releaseDescriptor(): boolean;
}

export class SegmentDescriptorCache {
  /** Sealed segments with an open descriptor, least recently used first (a Set iterates in insertion order). */
  private readonly open = new Set<CachedDescriptor>();

  constructor(readonly maxOpen: number) {
    assert(Number.isSafeInteger(maxOpen) && maxOpen > 0, `maxOpen must be a positive integer, got ${maxOpen}`);
  }

  /** Sealed segments holding an open descriptor now. */
  get openCount(): number {
    return this.open.size;
  }

  /** `segment` has an open descriptor and was just used: it is the last to be closed. */
  touch(segment: CachedDescriptor): void {
    this.open.delete(segment);
    this.open.add(segment);
  }

  /** `segment` closed its descriptor itself (closed or deleted). */
  forget(segment: CachedDescriptor): void {
    this.open.delete(segment);
  }

  /** Closes the least recently used idle descriptors while more than maxOpen are open. */
  trim(): void {
    if (this.open.size <= this.maxOpen) return;
    for (const segment of this.open) {
      if (this.open.size <= this.maxOpen) return;
      if (segment.releaseDescriptor()) this.open.delete(segment);
    }
  }
}
