/** NATS JetStream streams for the comparison, and its end-to-end run (pull consumer, explicit acks). */
import { join } from 'node:path';
import { AckPolicy, connect, DeliverPolicy, DiscardPolicy, RetentionPolicy, StorageType } from 'nats';
import { EndToEndMeter, type EndToEndMeasurement } from '../lib/end-to-end.js';
import { runWorker, type LoadResult, type LoadTiming } from '../lib/worker.js';
import type { NatsWorkerInput } from './nats-worker.js';

/** A file-storage stream `name` capturing `name.>`, one replica, no limits (the run deletes it). */
export async function natsPrepare(url: string, name: string): Promise<void> {
  const nc = await connect({ servers: url });
  const jsm = await nc.jetstreamManager();
  await jsm.streams.add({ name, subjects: [`${name}.>`], storage: StorageType.File, retention: RetentionPolicy.Limits, discard: DiscardPolicy.Old, num_replicas: 1 });
  await nc.close();
}

export async function natsRemove(url: string, name: string): Promise<void> {
  const nc = await connect({ servers: url });
  const jsm = await nc.jetstreamManager();
  await jsm.streams.delete(name).catch(() => undefined);
  await nc.close();
}

export async function natsEndToEnd(url: string, stream: string, timing: LoadTiming, windowMessages: number): Promise<EndToEndMeasurement> {
  const nc = await connect({ servers: url });
  const jsm = await nc.jetstreamManager();
  await jsm.consumers.add(stream, { durable_name: 'bench', ack_policy: AckPolicy.Explicit, deliver_policy: DeliverPolicy.All, max_ack_pending: 20_000 });
  const consumer = await nc.jetstream().consumers.get(stream, 'bench');
  const meter = new EndToEndMeter();
  const messages = await consumer.consume({
    max_messages: 5_000,
    callback: (m) => {
      meter.onMessage(m.data);
      m.ack();
    },
  });
  const result = await meter.measure(timing, () => runWorker<LoadResult>(join(import.meta.dirname, 'nats-worker.js'), {
    url, subject: `${stream}.in`, valueBytes: 100, windowMessages, stampValues: true, ...timing,
  } satisfies NatsWorkerInput));
  messages.stop();
  await nc.drain();
  return result;
}
