/**
 * Consumer-group commands: members join and leave (each a rebalance), and
 * messages whose handler is planned to fail (throw) or to outlast
 * `ackTimeoutMs` on their first hand-overs in one group — so they are
 * redelivered after the backoff or the ack timeout, and dead-lettered once
 * the failures reach that group's maxDeliveries.
 */
import fc from 'fast-check';
import { keys } from './command-parts.js';
import type { HandlerBehaviour, VerifyModel } from './model.js';
import type { VerifyWorld } from './world.js';

type VerifyCommand = fc.AsyncCommand<VerifyModel, VerifyWorld>;

/** The group the run calls `index` (modulo the number of groups). */
function groupAt(model: VerifyModel, index: number): string {
  const names = [...model.groups.keys()];
  return names[index % names.length]!;
}

class JoinMember implements VerifyCommand {
  constructor(readonly groupIndex: number) {}
  check = (model: Readonly<VerifyModel>): boolean => {
    const record = model.groups.get(groupAt(model as VerifyModel, this.groupIndex));
    return record !== undefined && record.members < record.maxMembers;
  };
  async run(model: VerifyModel, world: VerifyWorld): Promise<void> {
    await world.joinMember(groupAt(model, this.groupIndex));
  }
  toString = () => `joinMember(${this.groupIndex})`;
}

class LeaveMember implements VerifyCommand {
  constructor(readonly groupIndex: number, readonly memberIndex: number) {}
  check = (model: Readonly<VerifyModel>): boolean => {
    const record = model.groups.get(groupAt(model as VerifyModel, this.groupIndex));
    return record !== undefined && record.members > record.minMembers;
  };
  async run(model: VerifyModel, world: VerifyWorld): Promise<void> {
    await world.leaveMember(groupAt(model, this.groupIndex), this.memberIndex);
  }
  toString = () => `leaveMember(${this.groupIndex}, ${this.memberIndex})`;
}

type Failure = Exclude<HandlerBehaviour, 'succeed'>;

/** Sends one keyed message whose handler in one group fails as planned on its first hand-overs. */
class FlakyProduce implements VerifyCommand {
  constructor(readonly topicIndex: number, readonly key: string, readonly groupIndex: number, readonly failures: Failure[]) {}
  check = () => true;
  async run(model: VerifyModel, world: VerifyWorld): Promise<void> {
    const topic = world.topics[this.topicIndex % world.topics.length]!.name;
    const value = model.uniqueValue();
    model.groups.get(groupAt(model, this.groupIndex))!.plans.set(value, this.failures);
    world.inFlight.push(world.producer.send(topic, { key: this.key, value }).then((r) => {
      model.recordAck(topic, r.partition, { value, key: this.key, offset: r.offset });
    }));
  }
  toString = () => `flakyProduce(${this.topicIndex}, ${this.key}, group ${this.groupIndex}, [${this.failures.join(',')}])`;
}

const failure = fc.constantFrom<Failure>('throw', 'slow');

export const groupCommands: Array<fc.Arbitrary<VerifyCommand>> = [
  fc.nat().map((group) => new JoinMember(group)),
  fc.tuple(fc.nat(), fc.nat()).map(([group, member]) => new LeaveMember(group, member)),
  fc.tuple(fc.nat(), fc.constantFrom(...keys), fc.nat(), fc.array(failure, { minLength: 1, maxLength: 3 }))
    .map(([topic, k, group, failures]) => new FlakyProduce(topic, k, group, failures)),
];
