/**
 * A partition after a failed fdatasync, on a real broker with real files
 * and a raw WebSocket client: the partition fails, and after its backoff
 * reopens the log from disk, writes everything after its last good sync
 * back in place and syncs it before it goes online. A producer's retry of
 * the batch whose sync failed is answered as a duplicate with its original
 * offset when the reopened log holds it (it is on disk by then: the rewrite
 * was synced), and stored anew when the failed sync lost it. Each case
 * restarts the broker and checks that nothing was lost or stored twice.
 * Faults are injected at `fs.fdatasync` (test/helpers/partition-log-faults.ts);
 * time moves only by the SimulatedClock.
 */
import fs from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SimulatedClock } from 'xstate';
import { startBroker, type Broker } from '../../src/broker/index.js';
import { batchSizeAt, decodeRecords, encodeRecordBatch } from '../../src/protocol/record-batch.js';
import { tempDir } from '../../bench/lib/temp-dir.js';
import { connect } from '../../src/client/index.js';
import { RawClient } from '../helpers/raw-client.js';
import { PartitionLogFaults } from '../helpers/partition-log-faults.js';
import { until } from '../helpers/group-fixture.js';

const topic = 'orders';

interface Node { broker: Broker; clock: SimulatedClock; client: RawClient }
interface Producer { producerId: number; producerEpoch: number }

async function startNode(dataDir: string): Promise<Node> {
  const clock = new SimulatedClock();
  const broker = await startBroker({ port: 0, dataDir, logLevel: 'silent', timers: clock });
  const client = await RawClient.greeted(broker.url);
  await client.request({ type: 'createTopic', topic, partitions: 1 });
  return { broker, clock, client };
}

/** One record per batch, so a batch's offset says which message it is. Stamped now: recovery dates a segment by its first batch, and an old one would roll. */
const batchOf = (value: string, producer: Producer, baseSequence: number) =>
  encodeRecordBatch([{ value }], { now: Date.now(), producer: { ...producer, baseSequence } });

describe('partition recovery after a failed fdatasync', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let node: Node;
  let producer: Producer;

  const partition = () => node.broker.topics.partition(topic, 0);
  const produce = async (batch: Uint8Array) => (await node.client.request({ type: 'produce', entries: [{ topic, partition: 0, batch }] })).body.results[0];
  /** Every stored record as [offset, value], read segment by segment. */
  const stored = async () => {
    const records: Array<[number, unknown]> = [];
    for (let offset = 0; ;) {
      const { body } = await node.client.request({ type: 'fetch', topic, partition: 0, offset, maxBytes: 1 << 20 });
      if (body.records.length === 0) return records;
      for (let pos = 0; pos < body.records.length; pos += batchSizeAt(body.records, pos)) {
        records.push(...decodeRecords(body.records, pos).map((record): [number, unknown] => [record.offset, record.value]));
      }
      offset = records[records.length - 1]![0] + 1;
    }
  };
  const segmentFile = () => fs.readdirSync(join(dir.path, 'logs', topic, '0')).filter((name) => name.endsWith('.log'))[0]!;
  const segmentBytes = () => fs.statSync(join(dir.path, 'logs', topic, '0', segmentFile())).size;
  /**
   * Moves the clock by exactly the partition's current backoff (no further:
   * a consumer's session would expire) and waits until the recovery attempt
   * it starts has ended.
   */
  const recoverAfterBackoff = async () => {
    expect(partition().state).toBe('failed');
    const { failures, restartBackoffMs, restartBackoffMaxMs } = partition().actor.getSnapshot().context;
    node.clock.increment(Math.min(restartBackoffMaxMs, restartBackoffMs * 2 ** (failures - 1)));
    expect(partition().state).toBe('recovering');
    await partition().settled();
  };
  const closeNode = async () => {
    node.client.close();
    await node.broker.close();
  };
  const restart = async () => {
    vi.restoreAllMocks();
    await closeNode();
    node = await startNode(dir.path);
  };

  beforeEach(async () => {
    dir = await tempDir();
    node = await startNode(dir.path);
    producer = (await node.client.request({ type: 'initProducer' })).body;
    expect(await produce(batchOf('first', producer, 0))).toMatchObject({ baseOffset: 0, duplicate: false });
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await closeNode();
    await dir.remove();
  });

  it('writes the tail after the last good sync again and syncs it before going online; the retry is a duplicate with the original offset', async () => {
    const faults = new PartitionLogFaults(dir.path, topic, 0);
    const durableBytes = segmentBytes();
    faults.failNextSync(); // the page cache keeps the batch: a fresh read shows it, the disk may not have it
    expect(await produce(batchOf('second', producer, 1))).toMatchObject({ code: 'STORAGE_ERROR' });
    const tailBytes = segmentBytes() - durableBytes;
    expect(await produce(batchOf('second', producer, 1))).toMatchObject({ code: 'NOT_READY' }); // failed until the backoff ends
    faults.journal.length = 0;

    await recoverAfterBackoff();
    expect(partition().state).toBe('online');
    // (a) exactly the batch whose sync failed is written again, then synced
    expect(faults.journal).toEqual([
      { kind: 'write', file: segmentFile(), position: durableBytes, length: tailBytes },
      { kind: 'sync', file: segmentFile(), ok: true },
    ]);
    // (b) it is on disk now: the retry is answered with its original offset and not stored again
    expect(await produce(batchOf('second', producer, 1))).toMatchObject({ baseOffset: 1, duplicate: true });
    expect(await produce(batchOf('third', producer, 2))).toMatchObject({ baseOffset: 2, duplicate: false });
    expect(await stored()).toEqual([[0, 'first'], [1, 'second'], [2, 'third']]);

    // (c) a restart finds the same, once each; producer state agrees
    await restart();
    expect(await stored()).toEqual([[0, 'first'], [1, 'second'], [2, 'third']]);
    expect(await produce(batchOf('second', producer, 1))).toMatchObject({ baseOffset: 1, duplicate: true });
    expect(await produce(batchOf('fourth', producer, 3))).toMatchObject({ baseOffset: 3, duplicate: false });
  });

  it('stores the retry anew when the failed sync lost the batch: the reopened log ends before it', async () => {
    const faults = new PartitionLogFaults(dir.path, topic, 0);
    const durableBytes = segmentBytes();
    faults.failNextSync({ dropUnsynced: true });
    expect(await produce(batchOf('second', producer, 1))).toMatchObject({ code: 'STORAGE_ERROR' });
    expect(segmentBytes()).toBe(durableBytes);
    faults.journal.length = 0;

    await recoverAfterBackoff();
    expect(partition().state).toBe('online');
    expect(faults.journal).toEqual([]); // nothing after the last good sync to write again
    expect(await produce(batchOf('second', producer, 1))).toMatchObject({ baseOffset: 1, duplicate: false });
    expect(faults.journal).toEqual([
      { kind: 'write', file: segmentFile(), position: durableBytes, length: segmentBytes() - durableBytes },
      { kind: 'sync', file: segmentFile(), ok: true },
    ]);
    expect(await stored()).toEqual([[0, 'first'], [1, 'second']]);

    await restart();
    expect(await stored()).toEqual([[0, 'first'], [1, 'second']]);
    expect(await produce(batchOf('second', producer, 1))).toMatchObject({ baseOffset: 1, duplicate: true });
  });

  it('delivers the kept batch to a consumer that waited through the outage, without another send', async () => {
    const reader = await connect(node.broker.url, { clientId: 'reader' });
    const seen: unknown[] = [];
    await reader.consumer({ group: 'readers', topics: [topic], from: 'earliest' }).run(async (message) => {
      seen.push(message.value);
    });
    await until(() => seen.length === 1, "the consumer's first message");
    const faults = new PartitionLogFaults(dir.path, topic, 0);
    faults.failNextSync();
    expect(await produce(batchOf('second', producer, 1))).toMatchObject({ code: 'STORAGE_ERROR' });
    expect(seen).toEqual(['first']); // never shown while its sync had failed
    await recoverAfterBackoff();
    await until(() => seen.length === 2, 'the kept batch delivered after recovery', 3_000);
    expect(seen).toEqual(['first', 'second']);
    await reader.close();
  });

  it('stays failed when the sync after the rewrite fails, and the next attempt rewrites from the same offset', async () => {
    const faults = new PartitionLogFaults(dir.path, topic, 0);
    const durableBytes = segmentBytes();
    faults.failNextSync();
    expect(await produce(batchOf('second', producer, 1))).toMatchObject({ code: 'STORAGE_ERROR' });
    const rewrite = { kind: 'write', file: segmentFile(), position: durableBytes, length: segmentBytes() - durableBytes };
    faults.failNextSync(); // the rewrite's sync
    faults.journal.length = 0;

    await recoverAfterBackoff();
    expect(partition().state).toBe('failed');
    expect(partition().actor.getSnapshot().context.failures).toBe(2);
    expect(faults.journal).toEqual([rewrite, { kind: 'sync', file: segmentFile(), ok: false }]);
    expect(await produce(batchOf('second', producer, 1))).toMatchObject({ code: 'NOT_READY' });
    faults.journal.length = 0;

    // The failed attempt's log read the tail as if durable; the next attempt must not trust that.
    await recoverAfterBackoff();
    expect(partition().state).toBe('online');
    expect(faults.journal).toEqual([rewrite, { kind: 'sync', file: segmentFile(), ok: true }]);
    expect(await produce(batchOf('second', producer, 1))).toMatchObject({ baseOffset: 1, duplicate: true });

    await restart();
    expect(await stored()).toEqual([[0, 'first'], [1, 'second']]);
  });
});
