/**
 * Room in one answer frame for lists that may not fit whole. Answers that
 * list what the broker holds (topics, partitions, groups, members, lag,
 * actors, transactions) take items in order while their encoded bytes fit
 * in what the rest of the answer leaves of maxFrameBytes, and count the
 * others, so every answer fits in one frame however many there are.
 *
 * Exact, not estimated: msgpack encodes an array as a header followed by
 * each item as it encodes alone (plain maps, no shared structures; see
 * codec.ts), so an answer's size is its envelope plus its items.
 */
import { encodeFrame } from './codec.js';

/** An empty array's header is 1 byte, the largest (array 32) 5; a byte string's grows less (bin 8 to bin 32: 2 to 5). */
export const arrayHeaderGrowthBytes = 4;
/** Stands for request ids and totals while the envelope is measured: the longest integer encoding (uint 64). */
export const widestInteger = Number.MAX_SAFE_INTEGER;

export function encodedBytes(value: unknown): number {
  return encodeFrame(value as object).length;
}

/**
 * Bytes left for the items of `lists` lists (arrays or byte strings) in a
 * result frame whose body, with those lists empty, is `emptyBody` (totals
 * and other growing integers in it set to widestInteger).
 */
export function roomForLists(maxFrameBytes: number, emptyBody: object, lists: number): number {
  return maxFrameBytes - encodedBytes({ type: 'result', id: widestInteger, body: emptyBody }) - lists * arrayHeaderGrowthBytes;
}

export interface Listed<T> {
  listed: T[];
  /** Encoded bytes of the listed items. */
  bytes: number;
}

/** The first items (at most `maxItems`) whose encoded bytes add up to no more than `roomBytes`. */
export function takeWithin<T>(items: Iterable<T>, roomBytes: number, maxItems = Infinity): Listed<T> {
  const listed: T[] = [];
  let bytes = 0;
  for (const item of items) {
    if (listed.length >= maxItems) break;
    const itemBytes = encodedBytes(item);
    if (bytes + itemBytes > roomBytes) break;
    listed.push(item);
    bytes += itemBytes;
  }
  return { listed, bytes };
}
