/**
 * What one transaction costs in its actor alone: the broker's own
 * `transactionMachine`, its I/O actions provided as no-ops, created under
 * the same kind of parent the broker uses (ActorParents) and run through the
 * committed path (start → half message → commit → outcome recorded) in a
 * tight loop, in this process. No sockets, no storage, no inspector: a
 * broker that runs one such actor per transaction cannot commit more than
 * 1e6 / floorUs transactions per second per core, whatever else it does.
 */
import { createActor } from 'xstate';
import { ActorParents } from '../../src/broker/actor-parents.js';
import { transactionMachine } from '../../machines/transaction.machine.js';
import { median } from './stats.js';

export interface ActorFloor { usPerTransaction: number; runsUs: number[] }

const noIo = transactionMachine.provide({ actions: { noteState: () => {}, recordOutcome: () => {}, requestCheck: () => {} } });
const input = { group: 'floor', checkAfterMs: 6_000, checkIntervalMs: 60_000, maxChecks: 15, timeoutMs: 60_000 };

const parents = new ActorParents({ setTimeout, clearTimeout });

function commitOne(i: number): void {
  const parent = parents.take();
  const actor = createActor(noIo, { id: `txn/floor-${i}`, input: { id: `floor-${i}`, ...input }, parent: parent.actor });
  actor.start();
  actor.send({ type: 'txn.send', messages: 1 });
  actor.send({ type: 'txn.commit' });
  actor.send({ type: 'outcome.recorded' });
  if (actor.getSnapshot().value !== 'committed') throw new Error(`floor transaction ended ${JSON.stringify(actor.getSnapshot().value)}`);
  parents.release(parent);
}

export function measureActorFloor(transactions = 50_000, runs = 5): ActorFloor {
  for (let i = 0; i < transactions; i++) commitOne(i); // warm-up: optimised code, grown heap
  const runsUs: number[] = [];
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    for (let i = 0; i < transactions; i++) commitOne(i);
    runsUs.push(((performance.now() - started) * 1000) / transactions);
  }
  return { usPerTransaction: median(runsUs), runsUs };
}
