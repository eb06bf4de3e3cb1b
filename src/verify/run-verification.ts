/**
 * `actormq verify`: runs the verification commands against a live broker for
 * a while (no process kills: it is someone's deployment), waits for the
 * consumer groups to catch up, and reports every invariant held or broken.
 * It creates its own topics and groups (`verify-<runId>-…`) and touches
 * nothing else.
 */
import fc from 'fast-check';
import { checkTransactionOutcomes, settleCheckedTransactions } from './check-back-commands.js';
import { verifyCommands } from './commands.js';
import { result } from './invariant-result.js';
import { allCaughtUp, checkDeliveryInvariants, readDeadLetters, type DeadLetters } from './delivery-invariants.js';
import { checkLogInvariants, type InvariantResult } from './invariants.js';
import { VerifyWorld, type GroupSettings } from './world.js';

export interface VerifyOptions {
  url: string;
  token?: string;
  durationMs: number;
  seed: number;
  /** How long the groups may take to receive everything once sending stopped. */
  catchUpMs?: number;
  onProgress?: (progress: { elapsedMs: number; durationMs: number; commands: number }) => void;
}

export interface VerifyReport {
  seed: number;
  runId: string;
  commands: number;
  messagesAcknowledged: number;
  transactionsCommitted: number;
  invariants: InvariantResult[];
  held: boolean;
}

const commandsPerRound = 40;

/** A partition-ordered group and a key-ordered one with more members than the topics have partitions (4). */
export const verifyGroups: GroupSettings[] = [
  { ordering: 'partition', members: 2, minMembers: 1, maxMembers: 4, maxDeliveries: 3 },
  { ordering: 'key', members: 5, minMembers: 1, maxMembers: 6, maxDeliveries: 2 },
];

/**
 * The end of a run: transactions left to the check-back are read (waiting
 * up to `transactionWaitMs` for their outcome), the groups get `catchUpMs`
 * to handle everything expected, then every invariant is checked.
 */
export async function finalInvariants(world: VerifyWorld, transactionWaitMs: number, catchUpMs: number): Promise<InvariantResult[]> {
  await world.settle();
  const outcomes = await checkTransactionOutcomes(world.client, world.model, transactionWaitMs);
  const deadline = Date.now() + catchUpMs;
  while (!(await allCaughtUp(world.client, world.model)) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
  const deadLetters = new Map<string, DeadLetters>();
  for (const group of world.model.groups.keys()) deadLetters.set(group, await readDeadLetters(world.client, group));
  const membership: string[] = [...world.consumerErrors];
  for (const [group, members] of world.members) {
    const described = await world.client.describeGroup(group).catch(() => ({ members: [] as Array<{ id: string }> }));
    const known = new Set(described.members.map((m) => m.id));
    for (const member of members) if (!member.consumer.memberId || !known.has(member.consumer.memberId)) membership.push(`${group}: a consumer is ${member.consumer.memberId ?? 'not joined'}, the group has ${[...known].join(', ') || 'no members'}`);
  }
  const consumers = result('every consumer is a member of its group at the end (none gave up on an error)', membership);
  return [...(await checkLogInvariants(world.client, world.model)), outcomes, ...checkDeliveryInvariants(world.model, deadLetters), consumers];
}

export async function runVerification(options: VerifyOptions): Promise<VerifyReport> {
  const runId = `${options.seed.toString(36)}${Date.now().toString(36)}`;
  const world = await VerifyWorld.start({ url: options.url, token: options.token, runId, groups: verifyGroups });
  const started = Date.now();
  let commands = 0;
  try {
    for (let round = 0; Date.now() - started < options.durationMs; round++) {
      const [sequence] = fc.sample(fc.commands(verifyCommands, { maxCommands: commandsPerRound }), { seed: options.seed + round, numRuns: 1 });
      await fc.asyncModelRun(() => ({ model: world.model, real: world }), sequence!);
      commands += [...sequence!].length;
      await settleCheckedTransactions(world.client, world.model);
      options.onProgress?.({ elapsedMs: Date.now() - started, durationMs: options.durationMs, commands });
    }
    // A live broker's check-back may come minutes later: transactions left to it are only checked for what their answers allow.
    const invariants = await finalInvariants(world, 0, options.catchUpMs ?? 30_000);
    return {
      seed: options.seed, runId, commands,
      messagesAcknowledged: [...world.model.acked.values()].reduce((sum, list) => sum + list.length, 0),
      transactionsCommitted: world.model.committedTransactions.length,
      invariants, held: invariants.every((i) => i.held),
    };
  } finally {
    await world.stop();
  }
}
