/**
 * What the verification commands act on: a client with a producer, a
 * transaction producer and consumer groups (members join and leave during
 * the run), all recording into the model. A `VerifyWorld` is set up against
 * any broker URL; the property tests add crashes by running the broker as a
 * child process.
 */
import { connect, type Client, type ConnectOptions, type Consumer, type Producer, type TransactionProducer } from '../client/index.js';
import type { ActorMqError } from '../protocol/errors.js';
import type { Ordering } from '../protocol/frames.js';
import { VerifyModel, type CheckPlan } from './model.js';

export interface VerifyTopic { name: string; partitions: number }

export interface GroupSettings { ordering: Ordering; members: number; minMembers: number; maxMembers: number; maxDeliveries: number }

export interface WorldSettings {
  url: string;
  token?: string;
  runId: string;
  /** Consumer groups to run during the verification. */
  groups: GroupSettings[];
}

/** Short, so planned failures and slow handlers are redelivered within the run. */
const consumerTimings = { ackTimeoutMs: 200, retryBackoffMs: 20, sessionTimeoutMs: 5_000 };
/** Back within ~50 ms of a restarted broker listening again (the property run restarts it about once in forty commands). */
const reconnectTimings = { reconnectBackoffMs: 10, reconnectBackoffMaxMs: 50 };
/** A slow handler returns once its message is handed over again, or after this long (its hand-over timed out long before). */
const slowHandlerMaxMs = 2_000;

interface Member { client: Client; consumer: Consumer }

export class VerifyWorld {
  inFlight: Array<Promise<void>> = [];
  readonly members = new Map<string, Member[]>();
  /** Consumers that gave up (a rejoin failed for good): each one is a broken run. */
  readonly consumerErrors: string[] = [];
  /** `${group}\n${value}` → wakes the slow handler of that message */
  private readonly slowHandlers = new Map<string, () => void>();

  private constructor(
    readonly url: string,
    readonly client: Client,
    readonly producer: Producer,
    readonly transactions: TransactionProducer,
    readonly model: VerifyModel,
    readonly topics: VerifyTopic[],
    /** Check-back answers still to give, by transaction id; a transaction without a plan is answered `rollback` (it was never meant to commit). */
    readonly checkPlans: Map<string, CheckPlan>,
    private readonly connectOptions: ConnectOptions,
  ) {}

  static async start(settings: WorldSettings): Promise<VerifyWorld> {
    const connectOptions: ConnectOptions = { clientId: `verify-${settings.runId}`, token: settings.token, ...reconnectTimings };
    const client = await connect(settings.url, connectOptions);
    const model = new VerifyModel(settings.runId);
    const topics = [{ name: `verify-${settings.runId}-a`, partitions: 3 }, { name: `verify-${settings.runId}-b`, partitions: 1 }];
    for (const topic of topics) {
      await client.createTopic(topic.name, { partitions: topic.partitions });
      model.topics.set(topic.name, topic.partitions);
    }
    const checkPlans = new Map<string, CheckPlan>();
    const transactions = client.transactionProducer({
      group: `verify-${settings.runId}`,
      checkLocalTransaction: (check) => answerCheck(checkPlans.get(check.id)),
    });
    await transactions.ready;
    const producer = client.producer({ lingerMs: 0, retryBackoffMs: 10, retryBackoffMaxMs: 500 });
    const world = new VerifyWorld(settings.url, client, producer, transactions, model, topics, checkPlans, connectOptions);
    for (const [index, group] of settings.groups.entries()) {
      const name = `verify-${settings.runId}-g${index}`;
      const { ordering, maxDeliveries, minMembers, maxMembers } = group;
      model.groups.set(name, { ordering, maxDeliveries, minMembers, maxMembers, members: 0, handOvers: new Map(), plans: new Map() });
      world.members.set(name, []);
      for (let member = 0; member < group.members; member++) await world.joinMember(name);
    }
    return world;
  }

  /** A new consumer joins `group`; resolves once it is a member (stamped with the current epoch). */
  async joinMember(group: string): Promise<void> {
    const record = this.model.groups.get(group)!;
    const members = this.members.get(group)!;
    const client = await connect(this.url, { ...this.connectOptions, clientId: `${group}-c${members.length}` });
    const consumer = client.consumer({ group, topics: this.topics.map((t) => t.name), ordering: record.ordering, from: 'earliest', maxDeliveries: record.maxDeliveries, ...consumerTimings,
      onError: (error) => this.consumerErrors.push(`${group}-c${members.length}: ${error.code ?? ''} ${error.message}`) });
    members.push({ client, consumer });
    record.members++;
    await consumer.run((message) => this.handle(group, consumer, message));
    this.model.memberEpochs.set(consumer.memberId!, this.model.epoch);
  }

  /** The member at `index` leaves gracefully: its running handlers finish, then its messages go to the others. */
  async leaveMember(group: string, index: number): Promise<void> {
    const members = this.members.get(group)!;
    const [member] = members.splice(index % members.length, 1);
    this.model.groups.get(group)!.members--;
    await member!.consumer.close();
    await member!.client.close();
  }

  /** After a broker restart: resolves once every member has joined the new broker, and stamps them with the new epoch. */
  async rejoined(deadlineMs: number): Promise<void> {
    for (const [group, members] of this.members) {
      for (;;) {
        // Unknown to the new broker until a member has rejoined.
        const described = await this.client.describeGroup(group).catch((error: ActorMqError) => {
          if (error.code === 'UNKNOWN_GROUP') return { members: [] };
          throw error;
        });
        const known = new Set(described.members.map((m) => m.id));
        const ids = members.map((m) => m.consumer.memberId);
        if (ids.every((id) => id !== undefined && known.has(id))) {
          for (const id of ids) this.model.memberEpochs.set(id!, this.model.epoch);
          break;
        }
        if (Date.now() > deadlineMs) throw new Error(`members of ${group} did not rejoin after the restart`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  }

  private async handle(group: string, consumer: Consumer, message: Parameters<VerifyModel['recordHandOver']>[2]): Promise<void> {
    const key = `${group}\n${String(message.value)}`;
    this.slowHandlers.get(key)?.();
    const behaviour = this.model.recordHandOver(group, consumer.memberId, message);
    if (behaviour === 'throw') throw new Error('planned failure');
    if (behaviour === 'slow') {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => wake(), slowHandlerMaxMs);
        const wake = (): void => {
          clearTimeout(timer);
          if (this.slowHandlers.get(key) === wake) this.slowHandlers.delete(key);
          resolve();
        };
        this.slowHandlers.set(key, wake);
      });
    }
  }

  async settle(): Promise<void> {
    const pending = this.inFlight;
    this.inFlight = [];
    await Promise.all(pending);
  }

  async stop(): Promise<void> {
    await Promise.allSettled(this.inFlight);
    for (const wake of [...this.slowHandlers.values()]) wake();
    const members = [...this.members.values()].flat();
    await Promise.allSettled(members.map((member) => member.consumer.close()));
    await Promise.allSettled([...members.map((member) => member.client), this.client].map((client) => client.close()));
  }
}

/** Counts the answers down: `unknown` while the plan has some left, then its outcome. */
function answerCheck(plan: CheckPlan | undefined): 'commit' | 'rollback' | 'unknown' {
  if (!plan) return 'rollback';
  if (plan.unknownAnswers > 0) {
    plan.unknownAnswers--;
    return 'unknown';
  }
  return plan.outcome;
}
