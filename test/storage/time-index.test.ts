import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTimeIndex, writeTimeIndex } from '../../src/storage/time-index.js';
import { testDir } from './fixtures.js';

describe('time index', () => {
  it('stores the largest timestamp and the last offset relative to the segment', async () => {
    const filePath = path.join(await testDir(), '00000000000000001000.timeindex');
    writeTimeIndex(filePath, 1000, { maxTimestamp: 1_700_000_123_456, lastOffset: 1999 });
    const bytes = fs.readFileSync(filePath);
    expect(bytes.length).toBe(12);
    expect(bytes.readUInt32BE(8)).toBe(999);
    expect(loadTimeIndex(filePath, 1000)).toEqual({ ok: true, seal: { maxTimestamp: 1_700_000_123_456, lastOffset: 1999 } });
  });

  it('reads the last of several entries', async () => {
    const filePath = path.join(await testDir(), 'x.timeindex');
    const bytes = Buffer.alloc(24);
    bytes.writeBigInt64BE(5n, 0);
    bytes.writeUInt32BE(1, 8);
    bytes.writeBigInt64BE(9n, 12);
    bytes.writeUInt32BE(4, 20);
    fs.writeFileSync(filePath, bytes);
    expect(loadTimeIndex(filePath, 10)).toEqual({ ok: true, seal: { maxTimestamp: 9, lastOffset: 14 } });
  });

  it('refuses a missing, empty or torn file', async () => {
    const filePath = path.join(await testDir(), 'x.timeindex');
    expect(loadTimeIndex(filePath, 0).ok).toBe(false);
    fs.writeFileSync(filePath, Buffer.alloc(0));
    expect(loadTimeIndex(filePath, 0).ok).toBe(false);
    fs.writeFileSync(filePath, Buffer.alloc(13));
    expect(loadTimeIndex(filePath, 0).ok).toBe(false);
  });
});
