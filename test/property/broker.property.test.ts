/**
 * Whole-broker property run: the verification commands (`actormq verify`'s
 * harness) against a broker child process, plus SIGKILL + restart. Sends,
 * transactions, check-backs, deliveries, failing and slow handlers and
 * members joining and leaving are in flight when crashes and disconnects hit.
 * CI runs the fixed seed below; `npm run test:soak` runs random seeds
 * (PROPERTY_SEED, PROPERTY_RUNS, PROPERTY_RANDOM override). A failure prints
 * seed, path and the shrunk command list to replay it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { verifyCommands } from '../../src/verify/commands.js';
import { finalInvariants } from '../../src/verify/run-verification.js';
import { BrokerWorld, crashCommand, onBrokerWorld } from './broker-world.js';

const fixedSeed = 20261125;
const seed = process.env.PROPERTY_SEED ? Number(process.env.PROPERTY_SEED) : process.env.PROPERTY_RANDOM ? Date.now() % 2 ** 31 : fixedSeed;
const numRuns = process.env.PROPERTY_RUNS ? Number(process.env.PROPERTY_RUNS) : 85;
/** Crashes cost a process start: about one command in forty. */
const ordinaryWeight = 5;
const catchUpMs = 20_000;
/** Check-backs every 300 ms, parked after 3: every transaction left to them has its outcome well within this. */
const transactionWaitMs = 10_000;
let commandsRun = 0;
let run = 0;

describe('broker against its model', () => {
  it('keeps every acknowledged message in order, hands every message to every group in order with exact delivery counts, keeps transactions all-or-nothing, through rebalances, failures, disconnects and crashes', async () => {
    const commands = [...Array.from({ length: ordinaryWeight }, () => verifyCommands.map((c) => c.map(onBrokerWorld))).flat(), crashCommand];
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 250, size: 'max' }), async (sequence) => {
        const world = await BrokerWorld.start(`p${run++}`);
        try {
          await fc.asyncModelRun(() => ({ model: world.verify.model, real: world }), sequence);
          const results = await finalInvariants(world.verify, transactionWaitMs, catchUpMs);
          const broken = results.filter((r) => !r.held);
          if (broken.length > 0) throw new Error(broken.map((r) => `${r.name}: ${r.counterexample}`).join('\n'));
          commandsRun += [...sequence].length;
        } finally {
          await world.stop();
        }
      }),
      { seed, numRuns, verbose: 1, endOnFailure: process.env.PROPERTY_SHRINK === '0' },
    );
    console.log(`property run: ${numRuns} runs, ${commandsRun} commands (seed ${seed})`);
    expect(commandsRun).toBeGreaterThan(0);
  }, 900_000);
});
