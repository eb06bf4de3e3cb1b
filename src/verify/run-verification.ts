/**
 * `actormq verify`: runs the verification commands against a live broker for
 * a while (no process kills: it is someone's deployment), waits for the
 * consumer groups to catch up, and reports every invariant held or broken.
 * It creates its own topics and groups (`verify-<runId>-…`) and touches
 * nothing else.
 */
import fc from 'fast-check';
import { verifyCommands } from './commands.js';
import { allCaughtUp, checkDeliveryInvariants, checkLogInvariants, type InvariantResult } from './invariants.js';
import { VerifyWorld } from './world.js';

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

export async function runVerification(options: VerifyOptions): Promise<VerifyReport> {
  const runId = `${options.seed.toString(36)}${Date.now().toString(36)}`;
  const world = await VerifyWorld.start({ url: options.url, token: options.token, runId, groups: [{ members: 2, maxDeliveries: 5 }, { members: 1, maxDeliveries: 5 }] });
  const started = Date.now();
  let commands = 0;
  try {
    for (let round = 0; Date.now() - started < options.durationMs; round++) {
      const [sequence] = fc.sample(fc.commands(verifyCommands, { maxCommands: commandsPerRound }), { seed: options.seed + round, numRuns: 1 });
      await fc.asyncModelRun(() => ({ model: world.model, real: world }), sequence!);
      commands += [...sequence!].length;
      options.onProgress?.({ elapsedMs: Date.now() - started, durationMs: options.durationMs, commands });
    }
    await world.settle();
    const deadline = Date.now() + (options.catchUpMs ?? 30_000);
    while (!allCaughtUp(world.model) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    const invariants = [...(await checkLogInvariants(world.client, world.model)), ...checkDeliveryInvariants(world.model, true)];
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
