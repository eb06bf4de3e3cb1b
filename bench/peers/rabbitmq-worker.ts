/**
 * RabbitMQ producer for the peer comparison, in a worker thread.
 *
 * Pattern: publisher confirms on a confirm channel, pipelined — up to
 * `windowMessages` publishes to the quorum queue await their confirm (the
 * broker confirms in groups with `multiple`); each confirm lets one more go,
 * and a full socket buffer waits for 'drain'. Messages are persistent
 * (deliveryMode 2), as a durable benchmark requires.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { connect } from 'amqplib';
import { AckCounter, type LoadTiming } from '../lib/worker.js';
import { StampedPayloads } from '../lib/stamp.js';

export interface RabbitmqWorkerInput extends LoadTiming { url: string; queue: string; valueBytes: number; windowMessages: number; stampValues?: boolean }

async function run(input: RabbitmqWorkerInput): Promise<void> {
  const connection = await connect(input.url);
  const channel = await connection.createConfirmChannel();
  const fixed = Buffer.alloc(input.valueBytes, 0x61);
  const stamped = new StampedPayloads(input.valueBytes);
  const payload = (): Buffer => {
    if (!input.stampValues) return fixed;
    const bytes = stamped.next();
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  };
  const counter = new AckCounter(input);
  let outstanding = 0;
  let blocked = false;
  await new Promise<void>((resolve, reject) => {
    const fill = (): void => {
      while (!blocked && outstanding < input.windowMessages && counter.running) {
        outstanding++;
        blocked = !channel.sendToQueue(input.queue, payload(), { persistent: true }, onConfirm);
      }
      if (outstanding === 0 && !counter.running) resolve();
    };
    const onConfirm = (error: unknown): void => {
      if (error) return reject(error instanceof Error ? error : new Error(`publish nacked: ${String(error)}`));
      outstanding--;
      counter.add(1);
      fill();
    };
    channel.on('drain', () => {
      blocked = false;
      fill();
    });
    channel.on('error', reject);
    fill();
  });
  await channel.close();
  await connection.close();
  parentPort!.postMessage(counter.result());
}

void run(workerData as RabbitmqWorkerInput);
