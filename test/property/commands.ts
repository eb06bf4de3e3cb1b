/**
 * Commands of the broker property run. Each checks the model's expectation
 * against the real broker as it runs; `checkLog` runs at the end (and after
 * crashes) to check nothing acknowledged was lost.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import WebSocket from 'ws';
import { encodeFrame } from '../../src/protocol/codec.js';
import { encodeRecordBatch } from '../../src/protocol/record-batch.js';
import { protocolVersion } from '../../src/protocol/limits.js';
import type { BrokerWorld } from './broker-world.js';
import { checkLog, type BrokerModel } from './model.js';

type Command = fc.AsyncCommand<BrokerModel, BrokerWorld>;

const topicNames = ['orders', 'events', 'audit'];
const keys = ['k0', 'k1', 'k2', 'k3', 'k4', 'k5'];

class CreateTopic implements Command {
  constructor(readonly topic: string, readonly partitions: number) {}
  check = (model: Readonly<BrokerModel>) => !model.topics.has(this.topic);
  async run(model: BrokerModel, world: BrokerWorld): Promise<void> {
    await world.client.createTopic(this.topic, { partitions: this.partitions });
    model.topics.set(this.topic, this.partitions);
  }
  toString = () => `createTopic(${this.topic}, ${this.partitions})`;
}

/**
 * Sends without waiting for the acknowledgement, so crashes and disconnects
 * hit sends in flight (that is where duplicates and losses would come from);
 * acknowledgements are recorded as they arrive.
 */
class Produce implements Command {
  constructor(readonly topicIndex: number, readonly keys: Array<string | undefined>) {}
  check = (model: Readonly<BrokerModel>) => model.topics.size > 0;
  async run(model: BrokerModel, world: BrokerWorld): Promise<void> {
    const topic = [...model.topics.keys()][this.topicIndex % model.topics.size]!;
    const messages = this.keys.map((key) => ({ key, value: model.uniqueValue() }));
    const sent = this.keys.length === 1 ? world.producer.send(topic, messages[0]!).then((r) => [r]) : world.producer.sendBatch(topic, messages);
    world.inFlight.push(sent.then((results) => {
      results.forEach((result, i) => model.recordAck(topic, result.partition, { value: messages[i]!.value, key: this.keys[i], offset: result.offset }));
    }));
  }
  toString = () => `produce(#${this.topicIndex}, [${this.keys.map((k) => k ?? '-').join(',')}])`;
}

/** Waits for every send in flight: each must be acknowledged. */
class Settle implements Command {
  check = () => true;
  async run(model: BrokerModel, world: BrokerWorld): Promise<void> {
    await world.settle();
    await checkLog(world.client, model);
  }
  toString = () => 'settle';
}

/** A second client sends a produce frame and vanishes at once: whatever happens to it, nothing else may change. */
class DropConnection implements Command {
  check = (model: Readonly<BrokerModel>) => model.topics.size > 0;
  async run(model: BrokerModel, world: BrokerWorld): Promise<void> {
    const topic = [...model.topics.keys()][0]!;
    const socket = new WebSocket(world.url);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    socket.send(encodeFrame({ type: 'hello', id: 1, version: protocolVersion, clientId: 'vanishing' }));
    socket.send(encodeFrame({ type: 'produce', id: 2, entries: [{ topic, partition: 0, batch: encodeRecordBatch([{ value: `dropped-${model.uniqueValue()}` }], { now: 1 }) }] }));
    socket.terminate();
  }
  toString = () => 'dropConnection()';
}

class CrashAndRestart implements Command {
  check = () => true;
  async run(model: BrokerModel, world: BrokerWorld): Promise<void> {
    await world.crashAndRestart();
    await world.settle(); // sends in flight at the crash are retried against the new process
    await checkLog(world.client, model);
  }
  toString = () => 'SIGKILL+restart';
}

export const brokerCommands = [
  fc.tuple(fc.constantFrom(...topicNames), fc.integer({ min: 1, max: 4 })).map(([topic, partitions]) => new CreateTopic(topic, partitions)),
  fc.tuple(fc.nat(), fc.option(fc.constantFrom(...keys), { nil: undefined })).map(([topic, key]) => new Produce(topic, [key])),
  fc.tuple(fc.nat(), fc.array(fc.option(fc.constantFrom(...keys), { nil: undefined }), { minLength: 2, maxLength: 20 })).map(([topic, list]) => new Produce(topic, list)),
  fc.constant(new DropConnection()),
  fc.constant(new Settle()),
];

/** Crashes are costly (a process start): offered rarely, by weight. */
export const crashCommand = fc.constant(new CrashAndRestart());
