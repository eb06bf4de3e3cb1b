/**
 * What the verification commands act on: a client with a producer, a
 * transaction producer and consumer groups, all recording into the model.
 * A `VerifyWorld` is set up against any broker URL; the property tests add
 * crashes by running the broker as a child process.
 */
import { connect, type Client, type Consumer, type Producer, type TransactionProducer } from '../client/index.js';
import { VerifyModel } from './model.js';

export interface VerifyTopic { name: string; partitions: number }

export interface WorldSettings {
  url: string;
  token?: string;
  runId: string;
  /** Consumer groups to run during the verification and their member counts. */
  groups: Array<{ members: number; maxDeliveries: number }>;
}

/** Intent per transaction id: what the check-back answers, and so whether its messages must become visible. */
export type TransactionIntent = 'commit' | 'rollback';

export class VerifyWorld {
  inFlight: Array<Promise<void>> = [];
  private readonly consumers: Consumer[] = [];
  private readonly memberClients: Client[] = [];

  private constructor(
    readonly url: string,
    readonly client: Client,
    readonly producer: Producer,
    readonly transactions: TransactionProducer,
    readonly model: VerifyModel,
    readonly topics: VerifyTopic[],
    readonly intents: Map<string, TransactionIntent>,
  ) {}

  static async start(settings: WorldSettings): Promise<VerifyWorld> {
    const connectOptions = { clientId: `verify-${settings.runId}`, token: settings.token, reconnectBackoffMs: 10, reconnectBackoffMaxMs: 500 };
    const client = await connect(settings.url, connectOptions);
    const model = new VerifyModel(settings.runId);
    const topics = [{ name: `verify-${settings.runId}-a`, partitions: 3 }, { name: `verify-${settings.runId}-b`, partitions: 1 }];
    for (const topic of topics) {
      await client.createTopic(topic.name, { partitions: topic.partitions });
      model.topics.set(topic.name, topic.partitions);
    }
    const intents = new Map<string, TransactionIntent>();
    const transactions = client.transactionProducer({
      group: `verify-${settings.runId}`,
      // Only what the run meant to commit is committed; whatever else is asked about never was.
      checkLocalTransaction: (check) => intents.get(check.id) ?? 'rollback',
    });
    await transactions.ready;
    const producer = client.producer({ lingerMs: 0, retryBackoffMs: 10, retryBackoffMaxMs: 500 });
    const world = new VerifyWorld(settings.url, client, producer, transactions, model, topics, intents);
    for (const [index, group] of settings.groups.entries()) await world.startGroup(`verify-${settings.runId}-g${index}`, group.members, group.maxDeliveries, connectOptions);
    return world;
  }

  private async startGroup(name: string, members: number, maxDeliveries: number, connectOptions: { clientId: string; token?: string }): Promise<void> {
    this.model.groups.set(name, { maxDeliveries, deliveries: new Map(), lastOffset: new Map(), orderViolations: [] });
    for (let member = 0; member < members; member++) {
      const client = await connect(this.url, { ...connectOptions, clientId: `${name}-m${member}`, reconnectBackoffMs: 10, reconnectBackoffMaxMs: 500 });
      this.memberClients.push(client);
      const consumer = client.consumer({ group: name, topics: this.topics.map((t) => t.name), from: 'earliest', maxDeliveries, retryBackoffMs: 50, sessionTimeoutMs: 5_000 });
      this.consumers.push(consumer);
      // Order is per membership: after a rejoin (new member id) redelivery from the committed offset starts over.
      await consumer.run(async (message) => this.model.recordDelivery(name, `m${member}:${consumer.memberId}`, message));
    }
  }

  async settle(): Promise<void> {
    const pending = this.inFlight;
    this.inFlight = [];
    await Promise.all(pending);
  }

  async stop(): Promise<void> {
    await Promise.allSettled(this.inFlight);
    await Promise.allSettled(this.consumers.map((consumer) => consumer.close()));
    await Promise.allSettled([...this.memberClients, this.client].map((client) => client.close()));
  }
}
