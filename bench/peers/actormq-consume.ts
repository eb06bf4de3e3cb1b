/** actormq's end-to-end run for the comparison: a consumer group member in this process, a producer thread. */
import { join } from 'node:path';
import { connect } from '../../src/client/index.js';
import { EndToEndMeter, type EndToEndMeasurement } from '../lib/end-to-end.js';
import { runWorker, type LoadResult, type LoadTiming } from '../lib/worker.js';
import type { ProduceWorkerInput } from '../produce-worker.js';

export async function actormqEndToEnd(url: string, topic: string, timing: LoadTiming): Promise<EndToEndMeasurement> {
  const client = await connect(url, { clientId: `bench-e2e-${topic}` });
  const meter = new EndToEndMeter();
  const consumer = client.consumer({ group: `bench-${topic}`, topics: [topic], from: 'earliest' });
  await consumer.run(async (message) => meter.onMessage(message.value as Uint8Array));
  const result = await meter.measure(timing, () => runWorker<LoadResult>(join(import.meta.dirname, '../produce-worker.js'), {
    url, topic, valueBytes: 100, batchMessages: 2_000, windowBatches: 8, stampValues: true, ...timing,
  } satisfies ProduceWorkerInput));
  await consumer.close();
  await client.close();
  return result;
}
