/**
 * The systems of the comparison behind one interface: actormq (broker child
 * process, full client), the physical reference, NATS JetStream and
 * RabbitMQ. Each runs the same workloads: durable produce (producers in
 * worker threads, each keeping a window of unacknowledged sends) and
 * end-to-end produce → consume → ack (one producer thread, a consumer in
 * this process).
 */
import { join } from 'node:path';
import { spawnBroker } from '../lib/broker-process.js';
import { startChild, waitForOutput } from '../lib/child-server.js';
import { runWorker, type LoadResult } from '../lib/worker.js';
import { connect as connectActormq } from '../../src/client/index.js';
import type { ProduceWorkerInput } from '../produce-worker.js';
import type { ReferenceWorkerInput } from '../reference/reference-worker.js';
import type { NatsWorkerInput } from './nats-worker.js';
import type { RabbitmqWorkerInput } from './rabbitmq-worker.js';
import { natsEndToEnd, natsPrepare, natsRemove } from './nats-consume.js';
import { rabbitmqEndToEnd, rabbitmqPrepare, rabbitmqRemove } from './rabbitmq-consume.js';
import { startNats, type PeerServer } from './nats-server.js';
import { startRabbitmq } from './rabbitmq-server.js';
import { actormqEndToEnd } from './actormq-consume.js';

export interface ProduceCase { name: string; valueBytes: number; producers: number }
export interface EndToEndResult { consumedPerSecond: number; p50Ms: number; p99Ms: number }
export interface Timing { durationMs: number; warmupMs: number }

export interface BenchSystem {
  name: string;
  version: string;
  /** How this system is driven, for the report. */
  pattern: string;
  produce(target: string, produceCase: ProduceCase, timing: Timing): Promise<number>;
  endToEnd?(target: string, timing: Timing): Promise<EndToEndResult>;
  /** Creates the stream / topic / queue `target` names. */
  prepare(target: string, partitions: number): Promise<void>;
  remove(target: string): Promise<void>;
  stop(): Promise<void>;
}

const benchDir = join(import.meta.dirname, '..');
const here = import.meta.dirname;

function sumRates(results: LoadResult[]): number {
  return results.reduce((sum, r) => sum + r.acknowledged / (r.elapsedMs / 1000), 0);
}

/**
 * sendBatch calls (actormq) and frames (reference) outstanding per producer,
 * 256 KiB of records each. 16 was ~10-15 % faster than 8 for actormq with
 * lingerMs 1 on this machine (bench/peers/README.md); the reference gets the
 * same bytes in flight.
 */
export const actormqWindowCalls = 16;

/** Messages per batch the actormq producer and the reference send per call: 256 KiB of records. */
export function batchMessagesFor(valueBytes: number): number {
  return Math.max(64, Math.floor((256 * 1024) / (valueBytes + 8)));
}

export async function startActormq(dataDir: string): Promise<BenchSystem> {
  const broker = await spawnBroker(join(dataDir, 'actormq'));
  const admin = await connectActormq(broker.url, { clientId: 'bench-peers-admin' });
  return {
    name: 'actormq',
    version: 'this checkout (flush: sync)',
    pattern: `client.producer() (lingerMs 1) sendBatch of 256 KiB of messages, ${actormqWindowCalls} calls outstanding per producer; consumer group member with batched acks`,
    prepare: async (topic, partitions) => void (await admin.createTopic(topic, { partitions })),
    remove: async () => undefined,
    produce: async (topic, c, timing) => sumRates(await Promise.all(Array.from({ length: c.producers }, () =>
      runWorker<LoadResult>(join(benchDir, 'produce-worker.js'), {
        url: broker.url, topic, valueBytes: c.valueBytes, batchMessages: batchMessagesFor(c.valueBytes), windowBatches: actormqWindowCalls, ...timing,
      } satisfies ProduceWorkerInput)))),
    endToEnd: (topic, timing) => actormqEndToEnd(broker.url, topic, timing),
    stop: async () => {
      await admin.close();
      await broker.stop();
    },
  };
}

export async function startReference(dataDir: string): Promise<BenchSystem> {
  const server = startChild(process.execPath, [join(benchDir, 'reference/reference-server.js'), dataDir]);
  const url = (await waitForOutput(server, /listening on (ws:\/\/\S+)/, 10_000))[1]!;
  return {
    name: 'physical reference',
    version: 'ws + writeSync + group fdatasync, nothing else',
    pattern: `pre-encoded produce frames of 256 KiB of records, ${actormqWindowCalls} outstanding per producer`,
    prepare: async () => undefined,
    remove: async () => undefined,
    produce: async (_target, c, timing) => sumRates(await Promise.all(Array.from({ length: c.producers }, () =>
      runWorker<LoadResult>(join(benchDir, 'reference/reference-worker.js'), {
        url, valueBytes: c.valueBytes, batchMessages: batchMessagesFor(c.valueBytes), windowBatches: actormqWindowCalls, ...timing,
      } satisfies ReferenceWorkerInput)))),
    stop: () => server.stop(),
  };
}

/** Publishes awaiting their ack, per producer: the fastest of 256, 1024, 4096 and 16384 for both peers on this machine (bench/peers/README.md). */
export const natsWindowMessages = 4096;
export const rabbitmqWindowMessages = 4096;

export async function startNatsSystem(dataDir: string): Promise<BenchSystem> {
  const peer: PeerServer = await startNats(dataDir);
  return {
    name: 'NATS JetStream',
    version: peer.version,
    pattern: `pipelined async publish (nc.publish with a reply inbox, ${natsWindowMessages} PubAcks outstanding per producer); pull consumer (consume(), explicit ack per message)`,
    prepare: (stream) => natsPrepare(peer.url, stream),
    remove: (stream) => natsRemove(peer.url, stream),
    produce: async (stream, c, timing) => sumRates(await Promise.all(Array.from({ length: c.producers }, () =>
      runWorker<LoadResult>(join(here, 'nats-worker.js'), {
        url: peer.url, subject: `${stream}.in`, valueBytes: c.valueBytes, windowMessages: natsWindowMessages, ...timing,
      } satisfies NatsWorkerInput)))),
    endToEnd: (stream, timing) => natsEndToEnd(peer.url, stream, timing, natsWindowMessages),
    stop: () => peer.stop(),
  };
}

export async function startRabbitmqSystem(dataDir: string): Promise<BenchSystem> {
  const peer = await startRabbitmq(dataDir);
  return {
    name: 'RabbitMQ quorum queue',
    version: peer.version,
    pattern: `confirm channel, persistent messages, ${rabbitmqWindowMessages} confirms outstanding per producer; consumer with prefetch 2000 and manual acks (multiple, every 100 messages)`,
    prepare: (queue) => rabbitmqPrepare(peer.url, queue),
    remove: (queue) => rabbitmqRemove(peer.url, queue),
    produce: async (queue, c, timing) => sumRates(await Promise.all(Array.from({ length: c.producers }, () =>
      runWorker<LoadResult>(join(here, 'rabbitmq-worker.js'), {
        url: peer.url, queue, valueBytes: c.valueBytes, windowMessages: rabbitmqWindowMessages, ...timing,
      } satisfies RabbitmqWorkerInput)))),
    endToEnd: (queue, timing) => rabbitmqEndToEnd(peer.url, queue, timing, rabbitmqWindowMessages),
    stop: () => peer.stop(),
  };
}
