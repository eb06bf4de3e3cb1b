import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type Broker } from '../../src/broker/index.js';
import { connect, type Client } from '../../src/client/index.js';
import { checkTransactionOutcomes, settleCheckedTransactions } from '../../src/verify/check-back-commands.js';
import { VerifyModel } from '../../src/verify/model.js';
import { tempDir } from '../../bench/lib/temp-dir.js';

describe('verify: transactions left to the check-back', () => {
  let broker: Broker;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let client: Client;

  beforeAll(async () => {
    dir = await tempDir();
    broker = await startBroker({ port: 0, dataDir: dir.path, logLevel: 'silent', transactions: { checkAfterMs: 3_600_000 } });
    client = await connect(broker.url, { clientId: 'verify-settle' });
    await client.createTopic('orders', { partitions: 1 });
  });
  afterAll(async () => {
    await client.close();
    await broker.close();
    await dir.remove();
  });

  /** A transaction with one half message, then ended as `end` says (or left half). */
  async function transaction(end: 'commit' | 'rollback' | 'none'): Promise<string> {
    const producer = client.transactionProducer({ group: 'verify-settle', checkLocalTransaction: () => 'unknown' });
    const tx = await producer.begin();
    await tx.send('orders', { value: end });
    if (end === 'commit') await tx.commit();
    if (end === 'rollback') await tx.rollback();
    return tx.id;
  }

  it('between rounds keeps only the transactions not at their end, takes committed ones as expected, and notes a state the answers do not allow', async () => {
    const model = new VerifyModel('settle');
    const committed = await transaction('commit');
    const rolledBack = await transaction('rollback');
    const half = await transaction('none');
    const wronglyCommitted = await transaction('commit');
    model.checkedTransactions.push(
      { id: committed, values: ['c1', 'c2'], plan: { unknownAnswers: 1, outcome: 'commit' } },
      { id: rolledBack, values: ['r1'], plan: { unknownAnswers: 2, outcome: 'rollback' } },
      { id: half, values: ['h1'], plan: { unknownAnswers: 1, outcome: 'commit' } },
      { id: wronglyCommitted, values: ['w1'], plan: { unknownAnswers: 0, outcome: 'unknown' } },
    );
    await settleCheckedTransactions(client, model);
    expect(model.checkedTransactions.map((t) => t.id)).toEqual([half]);
    expect(model.committedTransactions).toEqual([['c1', 'c2']]);
    expect(model.transactionProblems).toEqual([`${wronglyCommitted} (0 × unknown, then unknown) is committed`]);

    const final = await checkTransactionOutcomes(client, model, 0); // a live broker: a half one may still be checked later
    expect(final.held).toBe(false);
    expect(final.counterexample).toBe(`${wronglyCommitted} (0 × unknown, then unknown) is committed`);
    expect(model.checkedTransactions).toEqual([]);
  });
});
