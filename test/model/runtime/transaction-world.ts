/**
 * What the transaction paths run against: a real broker on a data dir, time
 * moved by a SimulatedClock, and real clients — a worker whose transaction
 * producer begins transactions and is registered for the group, plus any
 * producers of the group that connect later. Every producer answers a
 * check-back only when the test says so (`CheckAnswers`), so a check stays
 * out for as long as the path needs it to.
 */
import { expect } from 'vitest';
import { SimulatedClock } from 'xstate';
import { startBroker, type Broker, type TransactionOptions } from '../../../src/broker/index.js';
import { connect, type Client } from '../../../src/client/index.js';
import type { TransactionProducer } from '../../../src/client/transaction-producer.js';
import type { CheckAnswer } from '../../../src/protocol/frames.js';

export const producerGroup = 'order-service';
export const topic = 'orders';

/** How long a test waits for a check frame to reach a producer (real time). */
const checkArrivalMs = 3_000;

/** The checkLocalTransaction of every producer: each check waits until the test answers it. */
export class CheckAnswers {
  private readonly asked: Array<(answer: CheckAnswer) => void> = [];

  readonly checkLocalTransaction = (): Promise<CheckAnswer> => new Promise((resolve) => this.asked.push(resolve));

  /** Checks asked so far; pass it to `askedSince` before the action that should ask one. */
  get count(): number {
    return this.asked.length;
  }

  /** The answer to the first check asked after `mark`; fails when no producer was asked in time. */
  async askedSince(mark: number): Promise<(answer: CheckAnswer) => void> {
    const deadline = Date.now() + checkArrivalMs;
    while (this.asked.length <= mark && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 2));
    expect(this.asked.length, 'a producer of the group was asked to check').toBeGreaterThan(mark);
    return this.asked[mark]!;
  }
}

export class TransactionWorld {
  private readonly others: Client[] = [];

  private constructor(
    readonly checks: CheckAnswers,
    readonly broker: Broker,
    readonly clock: SimulatedClock,
    private readonly settings: TransactionOptions,
    readonly worker: Client,
    readonly producer: TransactionProducer,
  ) {}

  /** A broker on `dataDir` (recovering whatever the half log holds) and a registered worker. */
  static async start(dataDir: string, settings: TransactionOptions): Promise<TransactionWorld> {
    const clock = new SimulatedClock();
    const broker = await startBroker({ port: 0, dataDir, logLevel: 'silent', timers: clock, transactions: settings });
    const worker = await connect(broker.url, { clientId: 'worker' });
    await worker.createTopic(topic, { partitions: 1 });
    const checks = new CheckAnswers();
    const producer = worker.transactionProducer({ group: producerGroup, checkLocalTransaction: checks.checkLocalTransaction });
    await producer.ready;
    return new TransactionWorld(checks, broker, clock, settings, worker, producer);
  }

  /** Registered producers of the group: each gets checkTimeoutMs to answer a check. */
  get producers(): number {
    return 1 + this.others.length;
  }

  /** Another client connects and registers a producer of the group. */
  async connectProducer(): Promise<void> {
    const client = await connect(this.broker.url, { clientId: `producer-${this.others.length + 2}` });
    this.others.push(client);
    await client.transactionProducer({ group: producerGroup, checkLocalTransaction: this.checks.checkLocalTransaction }).ready;
  }

  /** Every registered producer lets its turn at the outstanding check pass. */
  letCheckTimeOut(): void {
    for (let i = 0; i < this.producers; i++) this.clock.increment(this.settings.checkTimeoutMs);
  }

  /** Transitions the inspector holds for the actor. */
  historyLength(actorId: string): number {
    return this.broker.inspector.get(actorId)?.history.length ?? 0;
  }

  async waitForState(actorId: string, state: string, timeoutMs = 3_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.broker.inspector.get(actorId)?.state !== state && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 2));
    expect(this.broker.inspector.get(actorId)?.state, actorId).toBe(state);
  }

  async close(): Promise<void> {
    await Promise.all([this.worker, ...this.others].map((client) => client.close().catch(() => undefined)));
    await this.broker.close();
  }
}
