/**
 * The physical reference's produce→ack latency at a fixed rate: the same
 * open-loop load as actormq's latency runs (one produce frame of one 100 B
 * record per call), against the bare server. What the machine allows for the
 * tail right now: actormq cannot be faster than this, in the same run.
 */
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { encodeFrame } from '../../src/protocol/codec.js';
import { encodeRecordBatch } from '../../src/protocol/record-batch.js';
import { startChild, waitForOutput } from '../lib/child-server.js';
import { sendAtFixedRate, type FixedRateOptions } from '../lib/fixed-rate.js';
import { Fifo } from '../../src/client/fifo.js';
import type { LatencySummary } from '../lib/latency.js';

export async function referenceLatency(dataDir: string, timing: FixedRateOptions): Promise<LatencySummary> {
  const server = startChild(process.execPath, [join(import.meta.dirname, 'reference-server.js'), dataDir]);
  try {
    const url = (await waitForOutput(server, /listening on (ws:\/\/\S+)/, 10_000))[1]!;
    const socket = new WebSocket(url, { perMessageDeflate: false });
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    const batch = encodeRecordBatch([{ value: new Uint8Array(100).fill(0x61) }], { now: Date.now() });
    const frame = encodeFrame({ type: 'produce', id: 1, entries: [{ topic: 'reference', partition: 0, batch }] });
    // The server acknowledges each frame in the order received.
    const waiting = new Fifo<() => void>();
    socket.on('message', () => waiting.shift()?.());
    const recorder = await sendAtFixedRate(timing, () => new Promise<void>((resolve) => {
      waiting.push(resolve);
      socket.send(frame);
    }));
    socket.close();
    return recorder.summary();
  } finally {
    await server.stop();
  }
}
