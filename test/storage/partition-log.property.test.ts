/**
 * Property: whatever sequence of appends, reopens and crashes that cut the
 * log at a random byte, the log holds exactly the batches that lie wholly
 * before the cut, byte for byte, and appends continue right after them.
 * A failure prints fast-check's seed and path to replay it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readBatchHeader } from '../../src/protocol/record-batch.js';
import { PartitionLog, type LogOptions } from '../../src/storage/index.js';
import { concat, logOptions, makeBatch, readAll, segmentFiles, tempDir, testClock } from './fixtures.js';

type Step =
  | { kind: 'append'; records: number; valueBytes: number; seed: number }
  | { kind: 'durable' }
  | { kind: 'reopen' }
  | { kind: 'cut'; at: number }; // fraction of the log's bytes

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('append' as const), records: fc.integer({ min: 1, max: 6 }), valueBytes: fc.integer({ min: 0, max: 400 }), seed: fc.nat(255) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'durable' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'reopen' as const }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('cut' as const), at: fc.double({ min: 0, max: 1, noNaN: true }) }) },
);

interface StoredBatch { baseOffset: number; bytes: Uint8Array }

/** Truncates the segment file holding global byte `cutAt` of the log (segments in order) at that byte. */
function cutLog(dir: string, cutAt: number): void {
  let start = 0;
  for (const name of segmentFiles(dir)) {
    const filePath = path.join(dir, name);
    const sizeBytes = fs.statSync(filePath).size;
    if (cutAt < start + sizeBytes) {
      fs.truncateSync(filePath, cutAt - start);
      return;
    }
    start += sizeBytes;
  }
}

async function checkLog(log: PartitionLog, model: StoredBatch[]): Promise<void> {
  const last = model.at(-1);
  expect(log.startOffset).toBe(0);
  expect(log.endOffset).toBe(last ? last.baseOffset + readBatchHeader(last.bytes).recordCount : 0);
  expect(await readAll(log)).toEqual(concat(model.map((batch) => batch.bytes)));
  for (const batch of model) {
    const lastOffset = batch.baseOffset + readBatchHeader(batch.bytes).lastOffsetDelta;
    expect(Buffer.from((await log.read(lastOffset, 1)).records)).toEqual(Buffer.from(batch.bytes));
  }
}

async function run(steps: Step[], options: LogOptions): Promise<void> {
  const temporary = await tempDir('actormq-storage-property-');
  const dir = temporary.path;
  let log = await PartitionLog.open(dir, options);
  let model: StoredBatch[] = [];
  try {
    for (const current of steps) {
      if (current.kind === 'append') {
        const batch = makeBatch(current.records, { valueBytes: current.valueBytes, seed: current.seed });
        const { baseOffset } = log.append(batch);
        model.push({ baseOffset, bytes: batch.slice() });
      } else if (current.kind === 'durable') {
        await log.durable();
      } else {
        await log.close();
        let torn: StoredBatch | undefined;
        if (current.kind === 'cut') {
          const totalBytes = concat(model.map((batch) => batch.bytes)).length;
          const cutAt = Math.floor(current.at * totalBytes);
          cutLog(dir, cutAt);
          const kept = keepBefore(model, cutAt);
          torn = model[kept.length];
          if (torn && concat(kept.map((batch) => batch.bytes)).length === cutAt) torn = undefined; // cut between batches
          if (kept.length === model.length) torn = undefined;
          model = kept;
        }
        log = await PartitionLog.open(dir, options);
        await checkLog(log, model);
        if (current.kind === 'reopen') expect(log.recovery.truncations).toEqual([]);
        if (torn) expect(log.recovery.truncations[0]).toMatchObject({ firstLostOffset: torn.baseOffset });
      }
    }
    await checkLog(log, model);
  } finally {
    await log.close();
    await temporary.remove();
  }
}

/** The batches that end at or before byte `cutAt`. */
function keepBefore(model: StoredBatch[], cutAt: number): StoredBatch[] {
  let end = 0;
  return model.filter((batch) => (end += batch.bytes.length) <= cutAt);
}

describe('PartitionLog (property)', () => {
  it('keeps exactly the batches before a cut, through appends, reopens and crashes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(step, { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 300, max: 4000 }),
        fc.integer({ min: 1, max: 1500 }),
        async (steps, segmentBytes, indexIntervalBytes) => {
          await run(steps, logOptions(testClock(), { segmentBytes, indexIntervalBytes }));
        },
      ),
      { numRuns: 60 },
    );
  });
});
