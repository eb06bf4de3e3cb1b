/**
 * The property run's world: a broker child process (so it can be SIGKILLed
 * and restarted on the same data dir and port) with the verification world
 * (producer, transaction producer, consumer groups) connected to it. The
 * clients reconnect, rejoin and re-register by themselves after a restart.
 */
import fc from 'fast-check';
import { spawnBroker, type BrokerProcess } from '../../bench/lib/broker-process.js';
import { tempDir } from '../../bench/lib/temp-dir.js';
import { checkLogInvariants, type InvariantResult } from '../../src/verify/invariants.js';
import type { VerifyCommand } from '../../src/verify/commands.js';
import type { VerifyModel } from '../../src/verify/model.js';
import { verifyGroups } from '../../src/verify/run-verification.js';
import { VerifyWorld } from '../../src/verify/world.js';

/** Check-backs come quickly (and park after 3 unknowns), so a commit whose answer a crash lost, or one left to the check-back, is settled within the run. */
const brokerArgs = ['--txn-check-after-ms', '300', '--txn-check-interval-ms', '300', '--txn-max-checks', '3'];
/** How long the members may take to rejoin a restarted broker. */
const rejoinMs = 15_000;

export class BrokerWorld {
  private constructor(
    private broker: BrokerProcess,
    readonly verify: VerifyWorld,
    private readonly dir: { path: string; remove: () => Promise<void> },
  ) {}

  static async start(runId: string): Promise<BrokerWorld> {
    const dir = await tempDir('actormq-property-');
    const broker = await spawnBroker(dir.path, 0, brokerArgs);
    const verify = await VerifyWorld.start({ url: broker.url, runId, groups: verifyGroups });
    return new BrokerWorld(broker, verify, dir);
  }

  /** SIGKILL, then a new broker process on the same data dir and port; resolves once every member has rejoined it (a new epoch). */
  async crashAndRestart(): Promise<void> {
    const port = this.broker.port;
    await this.broker.kill();
    this.verify.model.epoch++;
    this.broker = await spawnBroker(this.dir.path, port, brokerArgs);
    await this.verify.rejoined(Date.now() + rejoinMs);
  }

  async stop(): Promise<void> {
    await this.verify.stop();
    await this.broker.kill();
    await this.dir.remove();
  }
}

/** SIGKILL + restart while sends, transactions and deliveries are in flight; then everything acknowledged must still be there. */
class CrashAndRestart implements fc.AsyncCommand<VerifyModel, BrokerWorld> {
  check = () => true;
  async run(model: VerifyModel, world: BrokerWorld): Promise<void> {
    await world.crashAndRestart();
    await world.verify.settle();
    // A commit whose answer the crash lost is settled by the check-back a little later: checked at the end of the run.
    const broken = (await checkLogInvariants(world.verify.client, model)).filter((i: InvariantResult) => !i.held && i.name !== 'a committed transaction is stored whole');
    if (broken.length > 0) throw new Error(broken.map((i) => `${i.name}: ${i.counterexample}`).join('\n'));
  }
  toString = () => 'SIGKILL+restart';
}

export const crashCommand = fc.constant(new CrashAndRestart());

/** The verification commands, run against the property world's VerifyWorld. */
export function onBrokerWorld(command: VerifyCommand): fc.AsyncCommand<VerifyModel, BrokerWorld> {
  return {
    check: (model) => command.check(model),
    run: (model, world) => command.run(model, world.verify),
    toString: () => command.toString(),
  };
}
