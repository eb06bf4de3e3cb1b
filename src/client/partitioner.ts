/**
 * Which partition a message goes to.
 *
 * Keyed messages: `(murmur2(keyBytes) & 0x7fffffff) % partitionCount`, where
 * keyBytes are the key's UTF-8 bytes (string keys) or the key itself (byte
 * keys) and murmur2 is the 32-bit MurmurHash2 variant with seed 0x9747b28c
 * that Kafka's default partitioner uses. It is stable across processes,
 * versions and languages, so a Kafka client's partitioner, or any other
 * language's, sends a key to the same partition as this client.
 *
 * Keyless messages are sticky: they all go to one partition until its batch
 * is sealed (full, or sent after lingering), then to the next partition.
 * Batches stay large while load still spreads over every partition.
 */
const seed = 0x9747b28c | 0;
const multiplier = 0x5bd1e995;

/** Kafka's `Utils.murmur2`: a signed 32-bit hash of `bytes[0..length)`. */
export function murmur2(bytes: Uint8Array, length = bytes.length): number {
  let h = seed ^ length;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24);
    k = Math.imul(k, multiplier);
    k ^= k >>> 24;
    k = Math.imul(k, multiplier);
    h = Math.imul(h, multiplier) ^ k;
  }
  const tail = length & 3;
  if (tail > 0) {
    if (tail === 3) h ^= bytes[whole + 2]! << 16;
    if (tail >= 2) h ^= bytes[whole + 1]! << 8;
    h ^= bytes[whole]!;
    h = Math.imul(h, multiplier);
  }
  h ^= h >>> 13;
  h = Math.imul(h, multiplier);
  h ^= h >>> 15;
  return h | 0;
}

const utf8Encoder = new TextEncoder();
/** Reused for string keys so hashing a key allocates nothing; grown on demand. */
let keyScratch = new Uint8Array(256);

/**
 * The bytes a key is hashed and stored as. For a string key this is a view of
 * a shared scratch buffer, valid only until the next call.
 */
export function keyBytes(key: string | Uint8Array): Uint8Array {
  if (typeof key !== 'string') return key;
  // UTF-8 takes at most 3 bytes per UTF-16 code unit.
  if (keyScratch.length < key.length * 3) keyScratch = new Uint8Array(key.length * 3);
  const { written } = utf8Encoder.encodeInto(key, keyScratch);
  return keyScratch.subarray(0, written);
}

export function partitionForKey(bytes: Uint8Array, partitionCount: number): number {
  return (murmur2(bytes) & 0x7fffffff) % partitionCount;
}

export class StickyPartitioner {
  /** The partition keyless messages go to now. */
  current: number;

  /** `random` picks the first partition, so producers started together don't all begin on partition 0. */
  constructor(private readonly partitionCount: number, random: () => number = Math.random) {
    this.current = Math.floor(random() * partitionCount) % partitionCount;
  }

  /** A batch of `partition` was sealed: if keyless messages were going there, move on to the next partition. */
  batchSealed(partition: number): void {
    if (partition === this.current) this.current = (partition + 1) % this.partitionCount;
  }
}
