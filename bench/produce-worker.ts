/**
 * One producer of the produce benchmark, in its own worker thread: keeps
 * `windowBatches` sendBatch calls outstanding for `durationMs` and reports how
 * many messages were acknowledged.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { connect } from '../src/client/index.js';
import { stampedPayload } from './lib/stamp.js';

export interface ProduceWorkerInput {
  url: string;
  topic: string;
  valueBytes: number;
  batchMessages: number;
  windowBatches: number;
  durationMs: number;
  warmupMs: number;
  /** Write the send time (epoch ms, sub-ms precision, Float64 at byte 0) into every value, for end-to-end latency. */
  stampValues?: boolean;
}


export interface ProduceWorkerResult { acknowledged: number; elapsedMs: number }

async function run(input: ProduceWorkerInput): Promise<ProduceWorkerResult> {
  const client = await connect(input.url, { clientId: 'bench-producer' });
  const producer = client.producer({ lingerMs: 1 });
  const fixedValue = new Uint8Array(input.valueBytes).fill(0x61);
  const fixedMessages = Array.from({ length: input.batchMessages }, () => ({ value: fixedValue }));
  // Stamped: one value per batch, shared by its messages (the batch's send time).
  const nextMessages = (): Array<{ value: Uint8Array }> => {
    if (!input.stampValues) return fixedMessages;
    const value = stampedPayload(input.valueBytes);
    return fixedMessages.map(() => ({ value }));
  };
  const warmupEnd = performance.now() + input.warmupMs;
  let measuredStart = 0;
  let acknowledged = 0;
  let stopAt = Infinity;
  const lane = async (): Promise<void> => {
    while (performance.now() < stopAt) {
      const messages = nextMessages();
      await producer.sendBatch(input.topic, messages);
      const now = performance.now();
      if (now >= warmupEnd) {
        if (measuredStart === 0) {
          measuredStart = now;
          stopAt = now + input.durationMs;
        } else if (now <= stopAt) {
          acknowledged += messages.length;
        }
      }
    }
  };
  await Promise.all(Array.from({ length: input.windowBatches }, lane));
  const elapsedMs = stopAt - measuredStart;
  await client.close();
  return { acknowledged, elapsedMs };
}

run(workerData as ProduceWorkerInput).then(
  (result) => parentPort!.postMessage(result),
  (error: unknown) => {
    throw error;
  },
);
