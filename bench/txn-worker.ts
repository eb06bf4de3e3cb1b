/**
 * One transaction producer of the txn benchmark, in its own worker thread:
 * keeps `lanes` one-shot transactions (half message → commit, one 100 B
 * message each) in flight for `durationMs` and reports how many committed.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { connect } from '../src/client/index.js';

export interface TxnWorkerInput { url: string; topic: string; valueBytes: number; lanes: number; durationMs: number; warmupMs: number }
/** `committed`: inside the measured window; `total`: all of them, warm-up and tail included (for CPU per transaction). */
export interface TxnWorkerResult { committed: number; total: number; elapsedMs: number }

async function run(input: TxnWorkerInput): Promise<TxnWorkerResult> {
  const client = await connect(input.url, { clientId: 'bench-txn' });
  const tp = client.transactionProducer({ group: 'bench', checkLocalTransaction: () => 'commit' });
  await tp.ready;
  const value = new Uint8Array(input.valueBytes).fill(0x74);
  const commit = () => 'commit' as const;
  const warmupEnd = performance.now() + input.warmupMs;
  const stopAt = warmupEnd + input.durationMs;
  let committed = 0;
  let total = 0;
  const lane = async (): Promise<void> => {
    while (performance.now() < stopAt) {
      const result = await tp.sendInTransaction(input.topic, { value }, commit);
      if (result.state !== 'committed') throw new Error(`transaction ${result.transactionId} ended ${result.state}`);
      total++;
      const now = performance.now();
      if (now >= warmupEnd && now <= stopAt) committed++;
    }
  };
  await Promise.all(Array.from({ length: input.lanes }, lane));
  await client.close();
  return { committed, total, elapsedMs: input.durationMs };
}

run(workerData as TxnWorkerInput).then(
  (result) => parentPort!.postMessage(result),
  (error: unknown) => {
    throw error;
  },
);
