import { afterEach, describe, expect, it, vi } from 'vitest';
import { AckBatcher, mergeRanges, PendingAcks } from '../../src/client/ack-batcher.js';

afterEach(() => {
  vi.useRealTimers();
});

function batcher(maxPending = 100) {
  const frames: Array<[string, number, number[]]> = [];
  return { frames, acks: new AckBatcher((topic, partition, ranges) => frames.push([topic, partition, ranges]), maxPending) };
}

describe('AckBatcher', () => {
  it('coalesces consecutive offsets into one range per partition and flushes after 1 ms', () => {
    vi.useFakeTimers();
    const { frames, acks } = batcher();
    const p0 = new PendingAcks('t', 0);
    const p1 = new PendingAcks('t', 1);
    for (const offset of [5, 6, 7, 9, 10]) acks.add(p0, offset);
    acks.add(p1, 0);
    expect(frames).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(frames).toEqual([['t', 0, [5, 7, 9, 10]], ['t', 1, [0, 0]]]);
    vi.advanceTimersByTime(10);
    expect(frames).toHaveLength(2);
  });

  it('flushes at once when maxPendingAcks are pending', () => {
    const { frames, acks } = batcher(3);
    const p0 = new PendingAcks('t', 0);
    acks.add(p0, 0);
    acks.add(p0, 1);
    expect(frames).toEqual([]);
    acks.add(p0, 2);
    expect(frames).toEqual([['t', 0, [0, 2]]]);
  });

  it('sorts and merges acks that arrived out of order', () => {
    const { frames, acks } = batcher();
    const p0 = new PendingAcks('t', 0);
    for (const offset of [4, 1, 2, 0, 7, 3]) acks.add(p0, offset);
    acks.flush();
    expect(frames).toEqual([['t', 0, [0, 4, 7, 7]]]);
    expect(mergeRanges([9, 9, 1, 3, 4, 5])).toEqual([1, 5, 9, 9]);
  });

  it('flushes one partition on demand and forgets everything on clear', () => {
    const { frames, acks } = batcher(4);
    const p0 = new PendingAcks('t', 0);
    const p1 = new PendingAcks('t', 1);
    acks.add(p0, 0);
    acks.add(p1, 0);
    acks.flushPartition(p1);
    expect(frames).toEqual([['t', 1, [0, 0]]]);
    acks.add(p0, 1);
    acks.add(p0, 2);
    expect(frames).toHaveLength(1); // 3 pending, not 4: the flushed partition no longer counts
    acks.clear();
    acks.flush();
    expect(frames).toHaveLength(1);
  });
});
