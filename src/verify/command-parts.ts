/** Pieces the command files share: message keys, transaction sends, beginning a transaction. */
import fc from 'fast-check';
import type { Transaction } from '../client/index.js';
import type { VerifyWorld } from './world.js';

export const keys = ['k0', 'k1', 'k2', 'k3', 'k4', 'k5'];
export const key = fc.option(fc.constantFrom(...keys), { nil: undefined });

/** Begins a transaction and sends `values` into it; undefined when the connection was lost first (never visible then). */
export async function beginAndSend(world: VerifyWorld, sends: ReadonlyArray<{ topicIndex: number; key: string | undefined }>, values: string[]): Promise<Transaction | undefined> {
  try {
    const tx = await world.transactions.begin();
    for (const [i, send] of sends.entries()) await tx.send(world.topics[send.topicIndex % world.topics.length]!.name, { key: send.key, value: values[i] });
    return tx;
  } catch {
    return undefined; // lost with the connection before any commit: rolled back by timeout or check-back
  }
}

export const sends = fc.array(fc.record({ topicIndex: fc.nat(), key }), { minLength: 1, maxLength: 4 });
