import { describe, expect, it } from 'vitest';
import { arrayHeaderGrowthBytes, encodedBytes, roomForLists, takeWithin, widestInteger } from '../../src/protocol/answer-room.js';

/** Lag entries of equal size: partitions 1000-…, offsets past 2^32 (uint 16 and uint 64 each). */
const entry = (i: number) => ({ topic: 'orders', partition: 1_000 + i, committedOffset: 2 ** 40 + i, endOffset: 2 ** 41 });
const entries = (count: number) => Array.from({ length: count }, (_, i) => entry(i));

describe('answer room', () => {
  it('takes items in order while their encoded bytes fit, exactly: a list encodes as its header plus its items', () => {
    const items = entries(100);
    const itemBytes = encodedBytes(items[0]);
    const { listed, bytes } = takeWithin(items, itemBytes * 11 - 1);
    expect(listed).toEqual(items.slice(0, 10));
    expect(bytes).toBe(itemBytes * 10);
    expect(encodedBytes(listed)).toBe(1 + bytes); // fixarray header
    expect(encodedBytes(items)).toBe(3 + itemBytes * 100); // array 16 header
    expect(takeWithin(items, itemBytes * 11).listed).toHaveLength(11);
    expect(takeWithin(items, Infinity, 7).listed).toHaveLength(7);
    expect(takeWithin(items, -1).listed).toEqual([]);
  });

  it('leaves room for the rest of the answer: a list filled to the room fits the frame, with no more slack than the reserve', () => {
    const maxFrameBytes = 4_096;
    const items = entries(1_000);
    const room = roomForLists(maxFrameBytes, { group: 'g', lag: [], lagTotal: widestInteger }, 1);
    const { listed } = takeWithin(items, room);
    const answerBytes = encodedBytes({ type: 'result', id: 1, body: { group: 'g', lag: listed, lagTotal: items.length } });
    expect(answerBytes).toBeLessThanOrEqual(maxFrameBytes);
    // Left over: less than one more entry, plus what a longest id and total and array header would have taken.
    const reserveBytes = 2 * 8 + arrayHeaderGrowthBytes;
    expect(maxFrameBytes - answerBytes).toBeLessThan(encodedBytes(entry(0)) + reserveBytes);
  });
});
