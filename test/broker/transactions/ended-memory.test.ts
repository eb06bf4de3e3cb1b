/**
 * What the broker remembers of ended transactions: the newest
 * maxEndedRemembered whole (history included), older ones by outcome only,
 * up to maxEndedOutcomesRemembered, so a client whose commit answer was lost
 * can learn the outcome long after (and a retried commit is answered).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type Broker } from '../../../src/broker/index.js';
import { connect, type Client } from '../../../src/client/index.js';
import { defaultTransactionLimits } from '../../../src/broker/transactions/transaction-limits.js';
import { tempDir } from '../../../bench/lib/temp-dir.js';
import { RawClient } from '../../helpers/raw-client.js';

describe('ended transactions remembered', () => {
  const saved = { ...defaultTransactionLimits };
  let broker: Broker;
  let client: Client;
  let dir: Awaited<ReturnType<typeof tempDir>>;

  beforeAll(async () => {
    Object.assign(defaultTransactionLimits, { maxEndedRemembered: 2, maxEndedOutcomesRemembered: 3 }); // read by the broker started here
    dir = await tempDir();
    broker = await startBroker({ port: 0, dataDir: dir.path, logLevel: 'silent' });
    client = await connect(broker.url, { clientId: 'ended-memory' });
    await client.createTopic('orders', { partitions: 1 });
  });
  afterAll(async () => {
    Object.assign(defaultTransactionLimits, saved);
    await client.close();
    await broker.close();
    await dir.remove();
  });

  it('answers the newest whole, older ones by outcome (a retried commit too), and forgets past both bounds', async () => {
    const producer = client.transactionProducer({ group: 'orders-service', checkLocalTransaction: () => 'unknown' });
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const tx = await producer.begin();
      await tx.send('orders', { value: i });
      if (i === 3) await tx.rollback();
      else await tx.commit();
      ids.push(tx.id);
    }
    await expect(client.transactionStatus(ids[0]!)).rejects.toMatchObject({ code: 'UNKNOWN_TRANSACTION' });
    for (const [i, state] of [[1, 'committed'], [2, 'committed'], [3, 'rolledBack']] as const) {
      expect(await client.transactionStatus(ids[i]!)).toBe(state);
    }
    expect(await client.describeTransaction(ids[2]!)).toMatchObject({ id: ids[2], group: 'orders-service', state: 'committed', history: [] });
    expect((await client.describeTransaction(ids[5]!)).history.map((h) => h.state)).toEqual(['open', 'half', 'committing', 'committed']);
    // A commit retried after its answer was lost is answered from the outcome alone; the other outcome is refused.
    const raw = await RawClient.greeted(broker.url);
    const end = (id: string, outcome: string) => raw.request({ type: 'txnEnd', group: 'orders-service', transactionId: id, outcome });
    expect(await end(ids[1]!, 'commit')).toMatchObject({ type: 'result', body: { state: 'committed' } });
    expect(await end(ids[3]!, 'commit')).toMatchObject({ type: 'error', code: 'TRANSACTION_ALREADY_ENDED' });
    raw.close();
  });
});
