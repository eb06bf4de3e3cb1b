/** actormq's end-to-end run for the comparison: a consumer group member in this process, a producer thread. */
import { join } from 'node:path';
import { connect, type Client } from '../../src/client/index.js';
import { EndToEndMeter, type EndToEndMeasurement } from '../lib/end-to-end.js';
import { runWorker, type LoadResult, type LoadTiming } from '../lib/worker.js';
import type { ProduceWorkerInput } from '../produce-worker.js';

/** The part of the consumer API this run uses (typed here so the harness builds on checkouts without it). */
interface ConsumerApi {
  consumer?(options: { group: string; topics: string[]; from: 'earliest' }): {
    run(handler: (message: { value: unknown }) => Promise<void>): Promise<void>;
    close(): Promise<void>;
  };
}

export async function actormqEndToEnd(url: string, topic: string, timing: LoadTiming): Promise<EndToEndMeasurement> {
  const client: Client = await connect(url, { clientId: `bench-e2e-${topic}` });
  const api = client as unknown as ConsumerApi;
  if (!api.consumer) {
    await client.close();
    throw new Error('this checkout has no client.consumer()');
  }
  const meter = new EndToEndMeter();
  const consumer = api.consumer({ group: `bench-${topic}`, topics: [topic], from: 'earliest' });
  await consumer.run(async (message) => meter.onMessage(message.value as Uint8Array));
  const result = await meter.measure(timing, () => runWorker<LoadResult>(join(import.meta.dirname, '../produce-worker.js'), {
    url, topic, valueBytes: 100, batchMessages: 2_000, windowBatches: 8, stampValues: true, ...timing,
  } satisfies ProduceWorkerInput));
  await consumer.close();
  await client.close();
  return result;
}
