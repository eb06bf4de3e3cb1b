import { describe, expect, it } from 'vitest';
import { keyBytes, murmur2, partitionForKey, StickyPartitioner } from '../../src/client/partitioner.js';

const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('murmur2', () => {
  it("matches Kafka's Utils.murmur2 test vectors", () => {
    // From Kafka's UtilsTest.testMurmur2: the same hash, so keys land where Kafka clients put them.
    expect(murmur2(ascii('21'))).toBe(-973932308);
    expect(murmur2(ascii('foobar'))).toBe(-790332482);
    expect(murmur2(ascii('a-little-bit-long-string'))).toBe(-985981536);
    expect(murmur2(ascii('a-little-bit-longer-string'))).toBe(-1486304829);
    expect(murmur2(ascii('lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8'))).toBe(-58897971);
    expect(murmur2(new Uint8Array([0x61, 0x62, 0x63]))).toBe(479470107);
  });

  it('hashes the empty key', () => {
    expect(murmur2(new Uint8Array(0))).toBe(murmur2(new Uint8Array(0)));
    expect(Number.isInteger(murmur2(new Uint8Array(0)))).toBe(true);
  });
});

describe('partitionForKey', () => {
  it('maps fixed keys to fixed partitions', () => {
    // Pinned values: a change here moves every keyed message of every user.
    expect(partitionForKey(keyBytes('user-42'), 4)).toBe(0);
    expect(partitionForKey(keyBytes('user-42'), 10)).toBe((murmur2(ascii('user-42')) & 0x7fffffff) % 10);
    expect(partitionForKey(keyBytes('foobar'), 4)).toBe(2);
    expect(partitionForKey(keyBytes('foobar'), 7)).toBe((-790332482 & 0x7fffffff) % 7);
    expect(partitionForKey(keyBytes('21'), 12)).toBe((-973932308 & 0x7fffffff) % 12);
  });

  it('treats a string key as its UTF-8 bytes', () => {
    for (const key of ['order-1', 'grüße', '日本語のキー', 'emoji 🎉 key', '']) {
      expect(partitionForKey(keyBytes(key), 16)).toBe(partitionForKey(new TextEncoder().encode(key), 16));
    }
  });

  it('hashes long string keys beyond the initial scratch buffer', () => {
    const key = 'k'.repeat(5_000);
    expect(murmur2(keyBytes(key))).toBe(murmur2(ascii(key)));
  });
});

describe('StickyPartitioner', () => {
  it('starts where `random` says and moves on only when its own partition seals a batch', () => {
    const sticky = new StickyPartitioner(3, () => 0.5);
    expect(sticky.current).toBe(1);
    sticky.batchSealed(0);
    expect(sticky.current).toBe(1);
    sticky.batchSealed(1);
    expect(sticky.current).toBe(2);
    sticky.batchSealed(2);
    expect(sticky.current).toBe(0);
  });

  it('stays in range for random() values close to 1', () => {
    expect(new StickyPartitioner(5, () => 0.999999999).current).toBe(4);
  });
});
