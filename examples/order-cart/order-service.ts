/**
 * The order service (a separate process, so it can die mid-transaction):
 *
 *   order-service place <orderId> <userId> <total> [--fail-local | --die-before-commit]
 *   order-service serve          (stays up, answering check-backs, until SIGTERM)
 *
 * `place` announces the order with a half message, creates it in the
 * order database (the local transaction), then commits — or rolls back when
 * the local transaction fails. With --die-before-commit it is killed right
 * after its local commit, before telling the broker: the broker then checks
 * back with another instance of the service, which finds the order and
 * answers commit.
 *
 * Environment: BROKER_URL, ORDER_DB (path of the JSON database).
 */
import { connect, type TransactionCheck } from '../../src/client/index.js';
import { OrderDatabase } from './order-db.js';

/** A local transaction cannot still be running after this long: no order by then means it failed. */
const localTransactionMaxMs = 5_000;

const db = new OrderDatabase(process.env.ORDER_DB ?? 'orders.json');

function checkLocalTransaction(check: TransactionCheck): 'commit' | 'rollback' | 'unknown' {
  if (db.byTransaction(check.id)) return 'commit';
  // No order (yet): the local transaction may still be running — say so, the broker asks again later.
  return check.ageMs > localTransactionMaxMs ? 'rollback' : 'unknown';
}

async function main(argv: string[]): Promise<void> {
  const url = process.env.BROKER_URL ?? 'ws://127.0.0.1:7070';
  const client = await connect(url, { clientId: `order-service-${process.pid}` });
  const producer = client.transactionProducer({ group: 'order-service', checkLocalTransaction });
  await producer.ready;
  const [command, orderId, userId, total, flag] = argv;
  if (command === 'serve') {
    log(`instance ${process.pid} up, answering check-backs for producer group order-service`);
    process.on('SIGTERM', () => void client.close().then(() => process.exit(0)));
    return;
  }
  if (command !== 'place' || !orderId || !userId) throw new Error('usage: order-service place <orderId> <userId> <total> [--fail-local|--die-before-commit] | serve');
  const event = { orderId, userId, total: Number(total ?? 0) };
  const result = await producer.sendInTransaction('orders', { key: userId, value: event }, (tx) => {
    log(`${orderId}: half message stored (transaction ${tx.id}); running the local transaction`);
    if (flag === '--fail-local') {
      log(`${orderId}: payment declined — the local transaction fails, nothing is written`);
      return 'rollback';
    }
    db.insert({ ...event, transactionId: tx.id, createdAt: Date.now() });
    log(`${orderId}: order created in the order database`);
    if (flag === '--die-before-commit') {
      log(`${orderId}: *** killed after the local commit, before telling the broker ***`);
      process.kill(process.pid, 'SIGKILL');
    }
    return 'commit';
  });
  log(`${orderId}: transaction ${result.transactionId} ${result.state}`);
  await client.close();
}

function log(line: string): void {
  process.stdout.write(`  [order-service ${process.pid}] ${line}\n`);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`order-service: ${(error as Error).message}\n`);
  process.exit(1);
});
