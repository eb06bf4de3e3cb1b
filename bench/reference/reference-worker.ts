/**
 * Load for the physical reference, in a worker thread: sends the same bytes
 * an actormq producer sends (a produce frame holding one record batch of
 * `batchMessages` values), encoded once and resent, keeping `windowBatches`
 * unacknowledged; counts messages acknowledged.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { WebSocket } from 'ws';
import { encodeFrame } from '../../src/protocol/codec.js';
import { encodeRecordBatch } from '../../src/protocol/record-batch.js';
import { AckCounter, type LoadTiming } from '../lib/worker.js';

export interface ReferenceWorkerInput extends LoadTiming { url: string; valueBytes: number; batchMessages: number; windowBatches: number }

async function run(input: ReferenceWorkerInput): Promise<void> {
  const value = new Uint8Array(input.valueBytes).fill(0x61);
  const batch = encodeRecordBatch(Array.from({ length: input.batchMessages }, () => ({ value })), { now: Date.now() });
  const frame = encodeFrame({ type: 'produce', id: 1, entries: [{ topic: 'reference', partition: 0, batch }] });
  const socket = new WebSocket(input.url, { perMessageDeflate: false });
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  const counter = new AckCounter(input);
  let outstanding = 0;
  await new Promise<void>((resolve) => {
    socket.on('message', () => {
      outstanding--;
      if (counter.add(input.batchMessages)) {
        outstanding++;
        socket.send(frame);
      } else if (outstanding === 0) resolve();
    });
    for (; outstanding < input.windowBatches; outstanding++) socket.send(frame);
  });
  socket.close();
  parentPort!.postMessage(counter.result());
}

void run(workerData as ReferenceWorkerInput);
