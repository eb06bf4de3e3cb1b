import fs from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readProducerSnapshot, writeProducerSnapshot } from '../../src/broker/producer-snapshots.js';
import type { ProducerTableState } from '../../src/broker/producer-state.js';
import { tempDir } from '../../bench/lib/temp-dir.js';

const stateAt = (offset: number): ProducerTableState => ({ producers: [[1, 0, 5_000, [[0, 9, offset - 10]]]], commits: [[1_000_000 + offset, 0, 6_000, [[0, 0, offset - 1]]]] });
const files = (dir: string) => fs.readdirSync(dir).filter((name) => name.endsWith('.producers')).sort();

describe('producer state snapshots', () => {
  let dir: Awaited<ReturnType<typeof tempDir>> | undefined;
  afterEach(async () => dir?.remove());

  it('keeps the newest two, and reads the newest at or below the log end', async () => {
    dir = await tempDir();
    for (const offset of [100, 200, 300]) await writeProducerSnapshot(dir.path, { offset, state: stateAt(offset) });
    expect(files(dir.path)).toEqual(['00000000000000000200.producers', '00000000000000000300.producers']);
    expect(readProducerSnapshot(dir.path, 1_000)).toEqual({ offset: 300, state: stateAt(300) });
    expect(readProducerSnapshot(dir.path, 300)?.offset).toBe(300);
  });

  it('deletes a snapshot past the log end (its tail was lost: another history), and skips a damaged one for an older one', async () => {
    dir = await tempDir();
    for (const offset of [100, 200]) await writeProducerSnapshot(dir.path, { offset, state: stateAt(offset) });
    expect(readProducerSnapshot(dir.path, 150)).toEqual({ offset: 100, state: stateAt(100) });
    expect(files(dir.path)).toEqual(['00000000000000000100.producers']); // 200 is gone for good: the log may reach 200 again with other batches

    await writeProducerSnapshot(dir.path, { offset: 300, state: stateAt(300) });
    const newest = join(dir.path, '00000000000000000300.producers');
    const bytes = fs.readFileSync(newest);
    bytes[bytes.length - 1]! ^= 0xff;
    fs.writeFileSync(newest, bytes);
    expect(readProducerSnapshot(dir.path, 400)).toEqual({ offset: 100, state: stateAt(100) });
    expect(readProducerSnapshot(dir.path, 50)).toBeUndefined();
  });
});
