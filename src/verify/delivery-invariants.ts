/**
 * Invariants on what consumer groups were handed (VerifyModel hand-overs):
 * every message reaches every group and is handled or dead-lettered; each
 * hand-over's deliveryCount is exact; lanes (partitions, or keys in key
 * mode) are first handed to each member in send order; the dead-letter topic
 * holds exactly the messages that failed maxDeliveries times.
 *
 * Within one broker lifetime the exact bound holds: a message is handed
 * over with deliveryCount 1, 2, … one more each time, never above
 * maxDeliveries, and never again after a hand-over that succeeded. A
 * restart forgets the counts (the group resumes from its committed offset),
 * so each epoch starts over at 1; hand-overs whose epoch is unknown are not
 * compared.
 */
import type { Client } from '../client/index.js';
import { ActorMqError } from '../protocol/errors.js';
import type { GroupRecord, HandOver, VerifyModel } from './model.js';
import { result, type InvariantResult } from './invariant-result.js';

/** value → `dlq.deliveries` of each copy in the group's dead-letter topic */
export type DeadLetters = Map<string, number[]>;

const failed = (handOver: HandOver): boolean => handOver.behaviour !== 'succeed';

/** Handled successfully once, or failed its maxDeliveries-th hand-over (so it goes to the dead-letter topic). */
function done(record: GroupRecord, handOvers: HandOver[] | undefined): boolean {
  return (handOvers ?? []).some((h) => !failed(h) || h.deliveryCount >= record.maxDeliveries);
}

/** Its last failed hand-over was the maxDeliveries-th and nothing succeeded after it: it belongs in the dead-letter topic. */
function exhausted(record: GroupRecord, handOvers: HandOver[]): boolean {
  const lastExhausted = handOvers.findLastIndex((h) => failed(h) && h.deliveryCount === record.maxDeliveries);
  return lastExhausted >= 0 && !handOvers.slice(lastExhausted + 1).some((h) => !failed(h));
}

/**
 * Every group handled or exhausted every expected message, and each
 * exhausted one has reached its dead-letter topic (the broker moves it
 * there only once the last failure is reported: after the handler threw, or
 * after ackTimeoutMs).
 */
export async function allCaughtUp(client: Client, model: VerifyModel): Promise<boolean> {
  const expected = model.expectedValues();
  for (const [group, record] of model.groups) {
    if (!expected.every((value) => done(record, record.handOvers.get(value)))) return false;
    const waiting = [...record.handOvers].filter(([, handOvers]) => exhausted(record, handOvers)).map(([value]) => value);
    if (waiting.length === 0) continue;
    const letters = await readDeadLetters(client, group).catch((error: unknown) => {
      if (error instanceof ActorMqError && error.retriable) return null; // its partition is still recovering after a restart
      throw error;
    });
    if (!letters || !waiting.every((value) => letters.has(value))) return false;
  }
  return true;
}

export async function readDeadLetters(client: Client, group: string): Promise<DeadLetters> {
  const letters: DeadLetters = new Map();
  for (let offset = 0; ;) {
    const page = await client.fetch(`${group}.dlq`, 0, offset, { maxBytes: 1 << 20 }).catch((error: unknown) => {
      if (error instanceof ActorMqError && error.code === 'UNKNOWN_TOPIC') return { records: [] }; // nothing dead-lettered yet
      throw error;
    });
    for (const record of page.records) {
      const value = String(record.value);
      letters.set(value, [...(letters.get(value) ?? []), Number(record.headers['dlq.deliveries'])]);
    }
    if (page.records.length === 0) return letters;
    offset = page.records[page.records.length - 1]!.offset + 1;
  }
}

/** Consecutive hand-overs of one message in one epoch count up by one from 1, stay within maxDeliveries and stop after a success. */
function countProblems(model: VerifyModel, group: string, record: GroupRecord, value: string, handOvers: HandOver[]): string[] {
  const problems: string[] = [];
  const last = new Map<number, HandOver>();
  for (const handOver of handOvers) {
    if (handOver.deliveryCount > record.maxDeliveries) problems.push(`${group} handed ${value} over with deliveryCount ${handOver.deliveryCount} > ${record.maxDeliveries}`);
    const epoch = model.epochOf(handOver);
    if (epoch === undefined) continue;
    const previous = last.get(epoch);
    const expected = previous ? previous.deliveryCount + 1 : 1;
    if (previous && !failed(previous)) problems.push(`${group} handed ${value} over again (deliveryCount ${handOver.deliveryCount}) after it succeeded, in epoch ${epoch} (hand-overs: ${handOvers.map((h) => `${h.deliveryCount}:${h.behaviour}@${h.member ?? '?'}`).join(',')})`);
    else if (handOver.deliveryCount !== expected) problems.push(`${group} handed ${value} over with deliveryCount ${handOver.deliveryCount}, expected ${expected} (epoch ${epoch})`);
    last.set(epoch, handOver);
  }
  return problems;
}

/**
 * Each member, in one lane, is first handed messages (deliveryCount 1) in
 * increasing offset order. Compared per member, not across the group, and
 * redeliveries are not compared: when a partition moves while a failed
 * message waits out its backoff, the new owner gets later messages first.
 */
function firstHandOverOrderProblems(group: string, handOvers: HandOver[]): string[] {
  const problems: string[] = [];
  const last = new Map<string, HandOver>();
  for (const handOver of handOvers.filter((h) => h.deliveryCount === 1).sort((a, b) => a.sequence - b.sequence)) {
    if (handOver.lane === undefined || handOver.member === undefined) continue;
    const where = `${handOver.lane}@${handOver.member}`;
    const previous = last.get(where);
    if (previous && handOver.offset <= previous.offset) problems.push(`${group} ${handOver.member} ${handOver.lane}: offset ${handOver.offset} (deliveryCount ${handOver.deliveryCount}) after ${previous.offset} (deliveryCount ${previous.deliveryCount})`);
    last.set(where, handOver);
  }
  return problems;
}

function deadLetterProblems(group: string, record: GroupRecord, letters: DeadLetters): string[] {
  const problems: string[] = [];
  for (const [value, deliveries] of letters) {
    const exhausted = (record.handOvers.get(value) ?? []).some((h) => failed(h) && h.deliveryCount === record.maxDeliveries);
    if (!exhausted || deliveries.some((d) => d !== record.maxDeliveries)) problems.push(`${group}.dlq holds ${value} (dlq.deliveries ${deliveries.join(',')}) but it did not fail ${record.maxDeliveries} hand-overs`);
  }
  for (const [value, handOvers] of record.handOvers) {
    if (exhausted(record, handOvers) && !letters.has(value)) problems.push(`${group}: ${value} failed ${record.maxDeliveries} hand-overs but is not in ${group}.dlq (hand-overs: ${handOvers.map((h) => `${h.deliveryCount}:${h.behaviour}@${h.member ?? '?'}`).join(',')})`);
  }
  return problems;
}

export function checkDeliveryInvariants(model: VerifyModel, deadLetters: Map<string, DeadLetters>): InvariantResult[] {
  const missing: string[] = [];
  const counts: string[] = [];
  const firstOrder: string[] = [];
  const leaked: string[] = [];
  const letters: string[] = [];
  const expected = model.expectedValues();
  for (const [group, record] of model.groups) {
    for (const value of expected) if (!done(record, record.handOvers.get(value))) missing.push(`${group} never handled ${value} (hand-overs: ${record.handOvers.get(value)?.map((h) => `${h.deliveryCount}:${h.behaviour}`).join(',') ?? 'none'})`);
    for (const [value, handOvers] of record.handOvers) {
      counts.push(...countProblems(model, group, record, value, handOvers));
      if (model.invisibleValues.has(value)) leaked.push(`${group} received ${value}`);
    }
    firstOrder.push(...firstHandOverOrderProblems(group, [...record.handOvers.values()].flat()));
    letters.push(...deadLetterProblems(group, record, deadLetters.get(group) ?? new Map()));
  }
  return [
    result('each group handled every acknowledged and committed message, or dead-lettered it after maxDeliveries failures', missing),
    result('deliveryCount counts hand-overs exactly: 1, 2, … up to maxDeliveries, none after a success (restarts start over)', counts),
    result('each member was handed the messages of a partition (of a key, in key mode) in send order', firstOrder),
    result('the dead-letter topic holds exactly the messages that failed maxDeliveries hand-overs', letters),
    result('no group received anything of a rolled-back or unfinished transaction', leaked),
  ];
}
