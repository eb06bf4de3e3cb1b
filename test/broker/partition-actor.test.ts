import fs from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { PartitionActor } from '../../src/broker/partition-actor.js';
import { silentLogger } from '../../src/logger.js';
import { encodeRecordBatch, readBatchHeader } from '../../src/protocol/record-batch.js';
import { SegmentDescriptorCache, defaultLogOptions } from '../../src/storage/index.js';
import { tempDir } from '../../bench/lib/temp-dir.js';
import { openFilesUnder } from '../helpers/open-files.js';

const logOptions = { ...defaultLogOptions, descriptorCache: new SegmentDescriptorCache(1_000), clock: () => 1_000, logger: silentLogger };

function batch(value: string): { bytes: Uint8Array; header: ReturnType<typeof readBatchHeader> } {
  const bytes = encodeRecordBatch([{ value }], { now: 1_000 });
  return { bytes, header: readBatchHeader(bytes) };
}

async function waitForState(actor: PartitionActor, state: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  while (actor.state !== state) {
    if (Date.now() > deadline) throw new Error(`partition stayed ${actor.state}, expected ${state}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('partition actor runtime', () => {
  let dir: Awaited<ReturnType<typeof tempDir>> | undefined;
  afterEach(async () => {
    vi.restoreAllMocks();
    await dir?.remove();
  });

  it('restarts from disk after a failed recovery and then serves appends', async () => {
    dir = await tempDir();
    const logDir = join(dir.path, 'orders-0');
    await writeFile(logDir, 'not a directory'); // recovery cannot open the log here
    const partition = new PartitionActor('orders', 0, logDir, logOptions, silentLogger);
    partition.start();
    await partition.settled();
    expect(partition.state).toBe('failed');
    const first = batch('a');
    expect(() => partition.append(first.bytes, first.header)).toThrow(expect.objectContaining({ code: 'NOT_READY' }));
    await rm(logDir);
    await waitForState(partition, 'online');
    expect(await partition.append(first.bytes, first.header)).toEqual({ baseOffset: 0, duplicate: false });
    expect(partition.endOffset).toBe(1);
    await partition.close();
    expect(partition.state).toBe('closed');
  });

  it('closes the files of a log whose sync failed when closed while failed', async () => {
    dir = await tempDir();
    const logDir = join(dir.path, 'orders-3');
    const partition = new PartitionActor('orders', 3, logDir, logOptions, silentLogger);
    partition.start();
    await partition.settled();
    expect(openFilesUnder(logDir)).not.toEqual([]);
    vi.spyOn(fs, 'fdatasync').mockImplementationOnce(((_fd: number, callback: (error: Error) => void) => callback(new Error('EIO: injected'))) as typeof fs.fdatasync);
    await expect(partition.append(batch('x').bytes, batch('x').header)).rejects.toMatchObject({ code: 'STORAGE_ERROR' });
    expect(partition.state).toBe('failed');
    await partition.close();
    expect(partition.state).toBe('closed');
    expect(openFilesUnder(logDir)).toEqual([]);
  });

  it('finishes an open in progress before closing', async () => {
    dir = await tempDir();
    const partition = new PartitionActor('orders', 1, join(dir.path, 'orders-1'), logOptions, silentLogger);
    partition.start();
    const closed = partition.close(); // while recovering
    await closed;
    expect(partition.state).toBe('closed');
  });

  it('shows only durable records to readers and refuses reads outside the log', async () => {
    dir = await tempDir();
    const partition = new PartitionActor('orders', 2, join(dir.path, 'orders-2'), logOptions, silentLogger);
    partition.start();
    await partition.settled();
    const pending = partition.append(batch('x').bytes, batch('x').header);
    expect(partition.endOffset).toBe(0); // written, not yet durable
    await pending;
    expect(partition.endOffset).toBe(1);
    expect((await partition.read(0, 1 << 16)).records.length).toBeGreaterThan(0);
    await expect(partition.read(2, 1 << 16)).rejects.toMatchObject({ code: 'OFFSET_OUT_OF_RANGE' });
    await partition.close();
  });
});
