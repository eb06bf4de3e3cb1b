/**
 * Whole-broker property run: fast-check model-based commands against a real
 * broker child process, with abrupt disconnects and SIGKILL + restart.
 * CI runs the fixed seed below; `npm run test:soak` runs random seeds
 * (PROPERTY_SEED / PROPERTY_RUNS override). A failure prints the seed, the
 * path and the shrunk command list to replay it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BrokerWorld } from './broker-world.js';
import { brokerCommands, crashCommand } from './commands.js';
import { BrokerModel, checkLog } from './model.js';

const fixedSeed = 20261125;
const seed = process.env.PROPERTY_SEED ? Number(process.env.PROPERTY_SEED) : process.env.PROPERTY_RANDOM ? Date.now() % 2 ** 31 : fixedSeed;
const numRuns = process.env.PROPERTY_RUNS ? Number(process.env.PROPERTY_RUNS) : 110;
/** Crashes cost a process start: about one command in fifty. */
const ordinaryWeight = 12;
let commandsRun = 0;

describe('broker against its model', () => {
  it('keeps every acknowledged message, in order, once, through disconnects and crashes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.commands([...Array.from({ length: ordinaryWeight }, () => brokerCommands).flat(), crashCommand], { maxCommands: 200, size: 'max' }),
        async (commands) => {
          const world = await BrokerWorld.start();
          const model = new BrokerModel();
          try {
            await fc.asyncModelRun(() => ({ model, real: world }), commands);
            await world.settle();
            commandsRun += [...commands].length;
            await checkLog(world.client, model);
          } finally {
            await world.stop();
          }
        },
      ),
      { seed, numRuns, verbose: 1 },
    );
    console.log(`property run: ${numRuns} runs, ${commandsRun} commands (seed ${seed})`);
    expect(commandsRun).toBeGreaterThan(0);
  }, 600_000);
});
