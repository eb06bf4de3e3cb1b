/**
 * Sequence assignment and pipelining of the producer against a stub
 * connection: no sockets, every request is answered by the test.
 */
import { describe, expect, it } from 'vitest';
import type { Connection } from '../../src/client/connection.js';
import type { Metadata } from '../../src/client/metadata.js';
import { resolveProducerOptions, type ProducerOptions } from '../../src/client/options.js';
import { Producer } from '../../src/client/producer.js';
import { ConnectionClosedError } from '../../src/protocol/errors.js';
import type { ProduceEntry } from '../../src/protocol/frames.js';
import { readBatchHeader } from '../../src/protocol/record-batch.js';

interface StubRequest { frame: Record<string, any>; resolve(body: unknown): void; reject(error: unknown): void }

class StubConnection {
  readonly limits = { maxFrameBytes: 8 << 20, maxBatchBytes: 4 << 20, maxRecordsPerBatch: 100_000, maxInFlightRequests: 1024 };
  readonly isClosed = false;
  readonly requests: StubRequest[] = [];
  private readonly offsets = new Map<string, number>();

  request(frame: Record<string, any>): Promise<unknown> {
    return new Promise((resolve, reject) => this.requests.push({ frame, resolve, reject }));
  }

  /** Takes the unanswered requests of a type, oldest first. */
  take(type: string): StubRequest[] {
    const taken = this.requests.filter((request) => request.frame.type === type);
    for (const request of taken) this.requests.splice(this.requests.indexOf(request), 1);
    return taken;
  }

  /** Answers a produce request: every entry appended at the next offsets of its partition. */
  acknowledge(request: StubRequest): void {
    const results = request.frame.entries.map((entry: ProduceEntry) => {
      const key = `${entry.topic}/${entry.partition}`;
      const baseOffset = this.offsets.get(key) ?? 0;
      this.offsets.set(key, baseOffset + readBatchHeader(entry.batch).recordCount);
      return { topic: entry.topic, partition: entry.partition, baseOffset, duplicate: false };
    });
    request.resolve({ results });
  }
}

const tick = (ms = 5): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function setup(options: ProducerOptions = {}, partitions = 2) {
  const connection = new StubConnection();
  const metadata = { partitionCount: async () => partitions, forget: () => {} } as unknown as Metadata;
  const producer = new Producer(connection as unknown as Connection, metadata, resolveProducerOptions({ lingerMs: 0, ...options }, 30_000), () => {});
  return { connection, producer };
}

function headersOf(request: StubRequest) {
  return request.frame.entries.map((entry: ProduceEntry) => ({ partition: entry.partition, ...readBatchHeader(entry.batch) }));
}

const value = new Uint8Array(100);

describe('producer sequencing', () => {
  it('asks for a producer id once and numbers each partition from 0 by record count', async () => {
    const { connection, producer } = setup({ maxBatchBytes: 1_000 });
    const sent = producer.sendBatch('orders', Array.from({ length: 20 }, (_, i) => ({ key: `k${i % 2}`, value })));
    await tick();
    const [init] = connection.take('initProducer');
    init!.resolve({ producerId: 77, producerEpoch: 3 });
    await tick();
    // First batch of each partition goes alone; acknowledge rounds until everything is sent.
    const seen: Array<{ partition: number; producerId: number; producerEpoch: number; baseSequence: number; recordCount: number }> = [];
    for (let round = 0; round < 10 && connection.requests.length > 0; round++) {
      for (const request of connection.take('produce')) {
        seen.push(...headersOf(request));
        connection.acknowledge(request);
      }
      await tick();
    }
    const results = await sent;
    expect(results).toHaveLength(20);
    expect(connection.take('initProducer')).toHaveLength(0);
    let total = 0;
    for (const partition of new Set(seen.map((h) => h.partition))) {
      let expected = 0;
      for (const header of seen.filter((h) => h.partition === partition)) {
        expect(header).toMatchObject({ producerId: 77, producerEpoch: 3, baseSequence: expected });
        expected += header.recordCount;
      }
      total += expected;
    }
    expect(total).toBe(20);
  });

  it('keeps the first batch of a partition alone in flight, then pipelines up to maxInFlightPerPartition', async () => {
    const { connection, producer } = setup({ maxBatchBytes: 200, maxInFlightPerPartition: 3 }, 1);
    const sent = producer.sendBatch('orders', Array.from({ length: 10 }, () => ({ value })));
    await tick();
    connection.take('initProducer')[0]!.resolve({ producerId: 1, producerEpoch: 0 });
    await tick();
    let produce = connection.take('produce');
    expect(produce.flatMap(headersOf)).toHaveLength(1);
    connection.acknowledge(produce[0]!);
    await tick();
    produce = connection.take('produce');
    expect(produce.flatMap(headersOf).map((h: { baseSequence: number }) => h.baseSequence)).toEqual([1, 2, 3]);
    // The three went in one frame (one record per batch, so sequences count batches here); its answer frees three slots.
    expect(produce).toHaveLength(1);
    connection.acknowledge(produce[0]!);
    await tick();
    const next = connection.take('produce');
    expect(next.flatMap(headersOf).map((h: { baseSequence: number }) => h.baseSequence)).toEqual([4, 5, 6]);
    for (const request of next) connection.acknowledge(request);
    for (let round = 0; round < 10; round++) {
      await tick();
      for (const request of connection.take('produce')) connection.acknowledge(request);
    }
    expect((await sent).map((r) => r.offset)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('resends a failed batch with the same bytes after the backoff', async () => {
    const { connection, producer } = setup({ retryBackoffMs: 20 }, 1);
    const sent = producer.send('orders', { value });
    await tick();
    connection.take('initProducer')[0]!.resolve({ producerId: 5, producerEpoch: 0 });
    await tick();
    const [first] = connection.take('produce');
    const firstBytes = first!.frame.entries[0].batch as Uint8Array;
    first!.reject(new ConnectionClosedError('dropped'));
    await tick(5);
    expect(connection.take('produce')).toHaveLength(0); // still backing off
    await tick(30);
    const [second] = connection.take('produce');
    expect(second!.frame.entries[0].batch).toEqual(firstBytes);
    connection.acknowledge(second!);
    expect(await sent).toEqual({ topic: 'orders', partition: 0, offset: 0 });
  });

  it('fails a batch for good with the batches behind it, keeps those ahead, then starts over under a new id', async () => {
    const { connection, producer } = setup({ maxBatchBytes: 200 }, 1);
    const calls = [0, 1, 2, 3].map(() => producer.send('orders', { value }).then((r) => r.offset, (e: { code: string }) => e.code));
    await tick();
    connection.take('initProducer')[0]!.resolve({ producerId: 1, producerEpoch: 0 });
    await tick();
    connection.acknowledge(connection.take('produce')[0]!);
    await tick();
    const [pipelined] = connection.take('produce');
    const entries = pipelined!.frame.entries as ProduceEntry[];
    expect(entries.map((entry) => readBatchHeader(entry.batch).baseSequence)).toEqual([1, 2, 3]);
    pipelined!.resolve({
      results: [
        { topic: 'orders', partition: 0, baseOffset: 1, duplicate: false },
        { topic: 'orders', partition: 0, code: 'CORRUPT_BATCH', message: 'crc' },
        { topic: 'orders', partition: 0, code: 'OUT_OF_ORDER_SEQUENCE', message: 'gap' },
      ],
    });
    expect(await Promise.all(calls)).toEqual([0, 1, 'CORRUPT_BATCH', 'CORRUPT_BATCH']);
    const next = producer.send('orders', { value });
    await tick();
    connection.take('initProducer')[0]!.resolve({ producerId: 2, producerEpoch: 0 });
    await tick();
    const [fresh] = connection.take('produce');
    expect(headersOf(fresh!)[0]).toMatchObject({ producerId: 2, baseSequence: 0 });
    fresh!.resolve({ results: [{ topic: 'orders', partition: 0, baseOffset: 2, duplicate: false }] });
    expect(await next).toMatchObject({ offset: 2 });
  });

  it('sends batches without a producer id when not idempotent', async () => {
    const { connection, producer } = setup({ idempotent: false }, 1);
    const sent = producer.send('orders', { value });
    await tick();
    expect(connection.take('initProducer')).toHaveLength(0);
    const [request] = connection.take('produce');
    expect(headersOf(request!)[0]).toMatchObject({ producerId: -1, producerEpoch: -1, baseSequence: -1 });
    connection.acknowledge(request!);
    await sent;
  });
});
