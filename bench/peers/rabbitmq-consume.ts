/** RabbitMQ quorum queues for the comparison, and its end-to-end run (prefetch, manual acks). */
import { join } from 'node:path';
import { connect } from 'amqplib';
import { EndToEndMeter, type EndToEndMeasurement } from '../lib/end-to-end.js';
import { runWorker, type LoadResult, type LoadTiming } from '../lib/worker.js';
import type { RabbitmqWorkerInput } from './rabbitmq-worker.js';

/** Unacknowledged deliveries the broker may push to the consumer. */
const prefetch = 2_000;
/** One ack with `multiple` covers this many deliveries. */
const ackEvery = 100;

export async function rabbitmqPrepare(url: string, queue: string): Promise<void> {
  const connection = await connect(url);
  const channel = await connection.createChannel();
  await channel.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  await connection.close();
}

export async function rabbitmqRemove(url: string, queue: string): Promise<void> {
  const connection = await connect(url);
  const channel = await connection.createChannel();
  await channel.deleteQueue(queue).catch(() => undefined);
  await connection.close();
}

export async function rabbitmqEndToEnd(url: string, queue: string, timing: LoadTiming, windowMessages: number): Promise<EndToEndMeasurement> {
  const connection = await connect(url);
  const channel = await connection.createChannel();
  await channel.prefetch(prefetch);
  const meter = new EndToEndMeter();
  let unacked = 0;
  const { consumerTag } = await channel.consume(queue, (message) => {
    if (!message) return;
    meter.onMessage(message.content);
    if (++unacked >= ackEvery) {
      channel.ack(message, true);
      unacked = 0;
    }
  }, { noAck: false });
  const result = await meter.measure(timing, () => runWorker<LoadResult>(join(import.meta.dirname, 'rabbitmq-worker.js'), {
    url, queue, valueBytes: 100, windowMessages, stampValues: true, ...timing,
  } satisfies RabbitmqWorkerInput));
  await channel.cancel(consumerTag);
  await connection.close();
  return result;
}
