/**
 * Verification commands (fast-check model-based): sends that do not wait
 * for their acknowledgement, committed / rolled-back / abandoned
 * transactions, connections that vanish mid-request; plus the group and
 * check-back commands of group-commands.ts and check-back-commands.ts.
 * Each records its expectations in the model as its outcome becomes known.
 */
import fc from 'fast-check';
import WebSocket from 'ws';
import { encodeFrame } from '../protocol/codec.js';
import { protocolVersion } from '../protocol/limits.js';
import { encodeRecordBatch } from '../protocol/record-batch.js';
import { checkBackCommands } from './check-back-commands.js';
import { beginAndSend, key, sends } from './command-parts.js';
import { groupCommands } from './group-commands.js';
import type { VerifyModel } from './model.js';
import type { VerifyWorld } from './world.js';

export type VerifyCommand = fc.AsyncCommand<VerifyModel, VerifyWorld>;

class Produce implements VerifyCommand {
  constructor(readonly topicIndex: number, readonly keys: Array<string | undefined>) {}
  check = () => true;
  async run(model: VerifyModel, world: VerifyWorld): Promise<void> {
    const topic = world.topics[this.topicIndex % world.topics.length]!.name;
    const messages = this.keys.map((k) => ({ key: k, value: model.uniqueValue() }));
    const sent = messages.length === 1 ? world.producer.send(topic, messages[0]!).then((r) => [r]) : world.producer.sendBatch(topic, messages);
    world.inFlight.push(sent.then((results) => {
      results.forEach((r, i) => model.recordAck(topic, r.partition, { value: messages[i]!.value, key: this.keys[i], offset: r.offset }));
    }));
  }
  toString = () => `produce(${this.topicIndex}, [${this.keys.map((k) => k ?? '-').join(',')}])`;
}

type Ending = 'commit' | 'rollback' | 'abandon';

class Transact implements VerifyCommand {
  constructor(readonly ending: Ending, readonly sends: Array<{ topicIndex: number; key: string | undefined }>) {}
  check = () => true;
  async run(model: VerifyModel, world: VerifyWorld): Promise<void> {
    const values = this.sends.map(() => model.uniqueValue());
    for (const value of values) model.invisibleValues.add(value); // until a commit is asked for
    world.inFlight.push(beginAndSend(world, this.sends, values).then(async (tx) => {
      if (!tx) return;
      if (this.ending === 'abandon') return;
      if (this.ending === 'commit') {
        world.checkPlans.set(tx.id, { unknownAnswers: 0, outcome: 'commit' });
        for (const value of values) model.invisibleValues.delete(value);
        model.committedTransactions.push(values);
      }
      // A lost answer is settled by the check-back, which answers with the intent.
      await (this.ending === 'commit' ? tx.commit() : tx.rollback()).catch((error: { code?: string }) => {
        if (error.code !== 'TRANSACTION_OUTCOME_UNKNOWN') throw error;
      });
    }));
  }
  toString = () => `transaction(${this.ending}, ${this.sends.length} messages)`;
}

class Settle implements VerifyCommand {
  check = () => true;
  async run(_model: VerifyModel, world: VerifyWorld): Promise<void> {
    await world.settle();
  }
  toString = () => 'settle';
}

/** Another client sends a produce frame and vanishes: nothing acknowledged may change. */
class DropConnection implements VerifyCommand {
  check = () => true;
  async run(model: VerifyModel, world: VerifyWorld): Promise<void> {
    const socket = new WebSocket(world.url);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    socket.send(encodeFrame({ type: 'hello', id: 1, version: protocolVersion, clientId: 'vanishing' }));
    const value = `dropped-${model.uniqueValue()}`;
    socket.send(encodeFrame({ type: 'produce', id: 2, entries: [{ topic: world.topics[0]!.name, partition: 0, batch: encodeRecordBatch([{ value }], { now: Date.now() }) }] }));
    socket.terminate();
  }
  toString = () => 'dropConnection';
}


export const verifyCommands: Array<fc.Arbitrary<VerifyCommand>> = [
  fc.tuple(fc.nat(), key).map(([topic, k]) => new Produce(topic, [k])),
  fc.tuple(fc.nat(), fc.array(key, { minLength: 2, maxLength: 20 })).map(([topic, list]) => new Produce(topic, list)),
  fc.tuple(fc.nat(), fc.array(key, { minLength: 2, maxLength: 20 })).map(([topic, list]) => new Produce(topic, list)),
  sends.map((list) => new Transact('commit', list)),
  sends.map((list) => new Transact('rollback', list)),
  sends.map((list) => new Transact('abandon', list)),
  fc.constant(new DropConnection()),
  fc.constant(new Settle()),
  ...groupCommands,
  ...checkBackCommands,
];
