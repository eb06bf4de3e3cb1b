/** The producer against a fake broker over a real WebSocket: batching, results, retries, ordering. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connect, type Client, type ProducerOptions } from '../../src/client/index.js';
import { ConnectionClosedError, MessageTooLargeError, TimeoutError, UnknownTopicError } from '../../src/protocol/errors.js';
import type { ProduceEntry } from '../../src/protocol/frames.js';
import { readBatchHeader } from '../../src/protocol/record-batch.js';
import { FakeBroker, noAnswer, type Frame } from './fake-broker.js';

let broker: FakeBroker;
let client: Client;

beforeEach(async () => {
  broker = await FakeBroker.start();
  client = await connect(broker.url, { clientId: 'producer-test', reconnectBackoffMs: 10 });
});

afterEach(async () => {
  await client.close();
  await broker.close();
});

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const value = (i: number): Uint8Array => new Uint8Array(100).fill(i % 256);

/** Sequence headers of every entry of every produce frame, frame by frame. */
function produceLog(): Array<Array<{ partition: number; producerId: number; baseSequence: number; recordCount: number }>> {
  return broker.received('produce').map((frame) => frame.entries.map((entry: ProduceEntry) => {
    const { producerId, baseSequence, recordCount } = readBatchHeader(entry.batch);
    return { partition: entry.partition, producerId, baseSequence, recordCount };
  }));
}

function producer(options: ProducerOptions = {}) {
  return client.producer({ retryBackoffMs: 10, retryBackoffMaxMs: 40, ...options });
}

describe('send and sendBatch', () => {
  it('stores messages and resolves with their offsets, in call order', async () => {
    broker.createTopic('orders', 1);
    const p = producer();
    const one = await p.send('orders', { key: 'user-42', value: { id: 1 }, headers: { src: 'web' } });
    expect(one).toEqual({ topic: 'orders', partition: 0, offset: 0 });
    const many = await p.sendBatch('orders', Array.from({ length: 100 }, (_, i) => ({ value: value(i) })));
    expect(many.map((r) => r.offset)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    const { records, endOffset } = await client.fetch('orders', 0, 0);
    expect(endOffset).toBe(101);
    expect(records[0]).toMatchObject({ topic: 'orders', partition: 0, offset: 0, key: 'user-42', value: { id: 1 }, headers: { src: 'web' } });
    expect(records.slice(1).map((r) => (r.value as Uint8Array)[0])).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(await p.sendBatch('orders', [])).toEqual([]);
  });

  it('sends messages with one key to one partition, and puts every ready partition in one frame', async () => {
    broker.createTopic('orders', 4);
    const p = producer({ lingerMs: 20 });
    const messages = Array.from({ length: 40 }, (_, i) => ({ key: `user-${i % 8}`, value: i }));
    const results = await p.sendBatch('orders', messages);
    const partitionOfKey = new Map<string, number>();
    for (const [i, result] of results.entries()) {
      const key = messages[i]!.key;
      expect(partitionOfKey.get(key) ?? result.partition).toBe(result.partition);
      partitionOfKey.set(key, result.partition);
    }
    const partitionsUsed = new Set(results.map((r) => r.partition)).size;
    expect(partitionsUsed).toBeGreaterThan(1);
    expect(produceLog()[0]).toHaveLength(partitionsUsed);
  });

  it('rejects a send to an unknown topic with UnknownTopicError, without producing', async () => {
    const p = producer();
    await expect(p.send('missing', { value: 1 })).rejects.toBeInstanceOf(UnknownTopicError);
    await expect(p.sendBatch('missing', [{ value: 1 }, { value: 2 }])).rejects.toMatchObject({ code: 'UNKNOWN_TOPIC' });
    expect(broker.received('produce')).toHaveLength(0);
    broker.createTopic('missing', 1);
    await expect(p.send('missing', { value: 1 })).resolves.toMatchObject({ offset: 0 });
  });

  it('does not retry UNKNOWN_TOPIC from produce', async () => {
    broker.createTopic('orders', 1);
    const p = producer();
    await p.send('orders', { value: 0 });
    broker.topics.delete('orders');
    await expect(p.send('orders', { value: 1 })).rejects.toBeInstanceOf(UnknownTopicError);
    expect(broker.received('produce')).toHaveLength(2);
  });

  it("rejects an oversized message with MessageTooLargeError; the broker's maxBatchBytes caps the producer's", async () => {
    await broker.close();
    broker = await FakeBroker.start();
    broker.limits = { ...broker.limits, maxBatchBytes: 1_000 };
    await client.close();
    client = await connect(broker.url, { clientId: 'producer-test' });
    broker.createTopic('orders', 1);
    const p = producer();
    await expect(p.send('orders', { value: new Uint8Array(1_000) })).rejects.toBeInstanceOf(MessageTooLargeError);
    await p.sendBatch('orders', Array.from({ length: 30 }, (_, i) => ({ value: value(i) })));
    for (const batch of broker.storedBatches('orders', 0)) expect(batch.bytes.length).toBeLessThanOrEqual(1_000);
    expect(broker.storedBatches('orders', 0).length).toBeGreaterThan(1);
  });

  it('checks options and arguments', () => {
    expect(() => client.producer({ lingerMs: -1 })).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST' }));
    expect(() => client.producer({ maxInFlightPerPartition: 6 })).toThrow(/maxInFlightPerPartition/);
    expect(() => client.producer({ deliveryTimeoutMs: 10 })).toThrow(/deliveryTimeoutMs/);
    expect(() => client.producer({ linger: 5 } as never)).toThrow(/no option "linger"/);
    return expect(producer().send('bad name!', { value: 1 })).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
  });
});

describe('retries', () => {
  it('resends a batch whose connection dropped with the same sequence; the broker deduplicates it', async () => {
    broker.createTopic('orders', 1);
    broker.handlers.produce = (frame: Frame, socket) => {
      frame.entries.forEach((entry: ProduceEntry) => broker.produceEntry(entry)); // stored, but the answer is lost
      socket.terminate();
      broker.handlers.produce = (again: Frame) => ({ results: again.entries.map((entry: ProduceEntry) => broker.produceEntry(entry)) });
      return noAnswer;
    };
    const p = producer();
    const result = await p.send('orders', { value: value(1) });
    expect(result.offset).toBe(0);
    const [first, second] = produceLog();
    expect(second).toEqual(first);
    expect(broker.received('hello')).toHaveLength(2);
    expect(broker.storedBatches('orders', 0)).toHaveLength(1);
  });

  it('resends the failed batch and the ones behind it in sequence order after OUT_OF_ORDER_SEQUENCE', async () => {
    broker.createTopic('orders', 1);
    let failed = false;
    broker.handlers.produce = (frame: Frame) => ({
      results: frame.entries.map((entry: ProduceEntry) => {
        // The second batch of the partition fails once; the broker then sees a gap for the ones behind it.
        if (!failed && readBatchHeader(entry.batch).baseSequence > 0) {
          failed = true;
          return { topic: entry.topic, partition: entry.partition, code: 'NOT_READY', message: 'partition restarting' };
        }
        return broker.produceEntry(entry);
      }),
    });
    const p = producer({ maxBatchBytes: 300 });
    const results = await p.sendBatch('orders', Array.from({ length: 12 }, (_, i) => ({ value: value(i) })));
    expect(results.map((r) => r.offset)).toEqual(Array.from({ length: 12 }, (_, i) => i));
    const log = produceLog();
    expect(log[0]!.map((h) => h.baseSequence)).toEqual([0]); // the first batch alone
    const pipelined = log[1]!.map((h) => h.baseSequence);
    expect(pipelined.length).toBeGreaterThan(1);
    // Batches sealed later may go out before the failure is answered; from the first resend on, everything goes in sequence order.
    const sent = log.flat().map((h) => h.baseSequence);
    const resent = sent.slice(sent.findIndex((sequence, i) => sent.indexOf(sequence) < i));
    expect(resent[0]).toBe(pipelined[0]); // the failed batch first
    expect(resent).toEqual([...new Set(resent)].sort((a, b) => a - b)); // then the ones behind it, each once, in order
    expect(resent).toEqual(expect.arrayContaining(pipelined));
    const stored = broker.storedBatches('orders', 0);
    expect(stored.map((b) => b.header.baseSequence)).toEqual([...new Set(log.flat().map((h) => h.baseSequence))].sort((a, b) => a - b));
    const { records } = await client.fetch('orders', 0, 0);
    expect(records.map((r) => (r.value as Uint8Array)[0])).toEqual(Array.from({ length: 12 }, (_, i) => i));
  });

  it('fails with TimeoutError after deliveryTimeoutMs, then starts a new sequence under a new producer id', async () => {
    await client.close();
    client = await connect(broker.url, { clientId: 'producer-test', requestTimeoutMs: 50 });
    broker.createTopic('orders', 1);
    broker.handlers.produce = (frame: Frame) => ({
      results: frame.entries.map((entry: ProduceEntry) => ({ topic: entry.topic, partition: entry.partition, code: 'NOT_READY', message: 'still recovering' })),
    });
    const p = producer({ deliveryTimeoutMs: 150 });
    const error = await p.send('orders', { value: value(1) }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as Error).message).toMatch(/NOT_READY: still recovering/);
    expect(broker.received('produce').length).toBeGreaterThan(2);
    broker.handlers.produce = (frame: Frame) => ({ results: frame.entries.map((entry: ProduceEntry) => broker.produceEntry(entry)) });
    await expect(p.send('orders', { value: value(2) })).resolves.toMatchObject({ offset: 0 });
    const ids = produceLog().flat().map((h) => h.producerId);
    expect(new Set(ids).size).toBe(2);
    expect(broker.received('initProducer')).toHaveLength(2);
  });

  it('does not retry a non-retriable batch error', async () => {
    broker.createTopic('orders', 1);
    broker.handlers.produce = (frame: Frame) => ({
      results: frame.entries.map((entry: ProduceEntry) => ({ topic: entry.topic, partition: entry.partition, code: 'CORRUPT_BATCH', message: 'crc' })),
    });
    await expect(producer().send('orders', { value: 1 })).rejects.toMatchObject({ code: 'CORRUPT_BATCH' });
    expect(broker.received('produce')).toHaveLength(1);
  });
});

describe('flush, close and backpressure', () => {
  it('flush sends without waiting for the linger', async () => {
    broker.createTopic('orders', 1);
    const p = producer({ lingerMs: 60_000 });
    const sent = p.send('orders', { value: 1 });
    await sleep(20);
    expect(broker.received('produce')).toHaveLength(0);
    await p.flush();
    await expect(sent).resolves.toMatchObject({ offset: 0 });
  });

  it('close flushes, then refuses sends with ConnectionClosedError', async () => {
    broker.createTopic('orders', 1);
    const p = producer({ lingerMs: 60_000 });
    const sent = p.sendBatch('orders', [{ value: 1 }, { value: 2 }]);
    await p.close();
    await expect(sent).resolves.toHaveLength(2);
    await expect(p.send('orders', { value: 3 })).rejects.toBeInstanceOf(ConnectionClosedError);
  });

  it('client.close flushes its producers', async () => {
    broker.createTopic('orders', 1);
    const sent = producer({ lingerMs: 60_000 }).send('orders', { value: 1 });
    await client.close();
    await expect(sent).resolves.toMatchObject({ offset: 0 });
  });

  it('holds calls beyond maxBufferedBytes until acknowledgements free room', async () => {
    broker.createTopic('orders', 1);
    const p = producer({ maxBatchBytes: 1_000, maxBufferedBytes: 1_000 });
    await p.send('orders', { value: value(0) }); // a partition's first batch goes alone: get it out of the way
    const held: Array<() => void> = [];
    broker.handlers.produce = (frame: Frame) => new Promise((resolve) => {
      held.push(() => resolve({ results: frame.entries.map((entry: ProduceEntry) => broker.produceEntry(entry)) }));
    });
    const batch = () => Array.from({ length: 5 }, (_, i) => ({ value: value(i) }));
    const calls = [p.sendBatch('orders', batch()), p.sendBatch('orders', batch()), p.sendBatch('orders', batch())];
    await sleep(30);
    // About 600 bytes per call: the first two are accepted, the third waits for room.
    const recordsSent = () => produceLog().flat().reduce((n, h) => n + h.recordCount, 0);
    expect(recordsSent()).toBe(11);
    while (recordsSent() < 16 || held.length > 0) {
      held.shift()?.();
      await sleep(10);
    }
    const results = await Promise.all(calls);
    expect(results.flat().map((r) => r.offset)).toEqual(Array.from({ length: 15 }, (_, i) => i + 1));
  });
});
