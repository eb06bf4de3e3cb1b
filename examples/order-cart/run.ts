/**
 * `npm run example:order-cart`: the seed scenario end to end. Starts a
 * broker (short check-back times), the cart service (a consumer group), and
 * order-service processes, then plays three orders:
 *   o-1  normal: half message → order created → commit → the cart is cleared;
 *   o-2  the local transaction fails → rollback → the cart is untouched;
 *   o-3  the order service dies after creating the order but before its
 *        commit: the half message stays invisible; the broker checks back
 *        with a (re)started instance of the service, which finds the order in
 *        its database and answers commit → the cart is cleared.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startBroker } from '../../src/broker/index.js';
import { connect } from '../../src/client/index.js';
import { CartService } from './cart-service.js';

const orderService = join(import.meta.dirname, 'order-service.js');

function runOrderService(env: NodeJS.ProcessEnv, args: string[]): { done: Promise<number | null>; stop(): void } {
  const child = spawn(process.execPath, [orderService, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit'] });
  return { done: new Promise((resolve) => child.once('exit', (code, signal) => resolve(signal ? null : code))), stop: () => child.kill('SIGTERM') };
}

async function until(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'actormq-order-cart-'));
  const broker = await startBroker({
    port: 0, dataDir: join(dir, 'broker'), logLevel: 'warn',
    transactions: { checkAfterMs: 1_000, checkIntervalMs: 1_000, maxChecks: 10, checkTimeoutMs: 1_000 },
  });
  const env = { BROKER_URL: broker.url, ORDER_DB: join(dir, 'orders.json') };
  const client = await connect(broker.url, { clientId: 'cart-service' });
  try {
    await client.createTopic('orders', { partitions: 2 });
    const cart = new CartService(client);
    cart.carts.set('user-1', ['book']).set('user-2', ['lamp']).set('user-3', ['mug', 'tea']);
    await cart.start();
    say(`broker ${broker.url}; carts: user-1 [book], user-2 [lamp], user-3 [mug, tea]`);

    say('o-1: an order placed normally');
    await runOrderService(env, ['place', 'o-1', 'user-1', '12']).done;
    await until('user-1 cart cleared', () => cart.carts.get('user-1')!.length === 0);

    say('o-2: the local transaction fails');
    await runOrderService(env, ['place', 'o-2', 'user-2', '30', '--fail-local']).done;
    await new Promise((resolve) => setTimeout(resolve, 500));
    say(`user-2 still has [${cart.carts.get('user-2')!.join(', ')}]: a rolled-back order is never seen`);

    say('o-3: the order service dies between its half message and its commit');
    await runOrderService(env, ['place', 'o-3', 'user-3', '8', '--die-before-commit']).done;
    const [pending] = await client.listTransactions();
    say(`the broker holds transaction ${pending?.id} in state ${pending?.state}; the cart service sees nothing of it: user-3 still has [${cart.carts.get('user-3')!.join(', ')}]`);
    say('a new instance of the order service starts; the broker checks back with it');
    const instance = runOrderService(env, ['serve']);
    await until('user-3 cart cleared', () => cart.carts.get('user-3')!.length === 0);
    const history = (await client.describeTransaction(pending!.id)).history.map((h) => `${h.state} (${h.cause})`);
    say(`transaction ${pending!.id}: ${history.join(' → ')}`);
    instance.stop();
    await instance.done;
    await cart.stop();
    say('done: every created order reached the cart service exactly once; the failed one never did');
  } finally {
    await client.close();
    await broker.close();
    await rm(dir, { recursive: true, force: true });
  }
}

function say(line: string): void {
  process.stdout.write(`▶ ${line}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
