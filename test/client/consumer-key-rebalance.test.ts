/**
 * Key ordering across a rebalance: a key whose failed message waits for its
 * redelivery stays with its member while later messages of the key are out
 * with it, so that member must keep holding them until the redelivery
 * succeeds, whatever assignment pushes arrive meanwhile.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { Client } from '../../src/client/index.js';
import { GroupFixture, produceNumbered, until } from '../helpers/group-fixture.js';

let fixture: GroupFixture;
let client: Client;

beforeEach(async () => {
  fixture = await GroupFixture.start();
  client = await fixture.client('key-rebalance');
});

afterEach(async () => {
  await fixture.close();
});

it('a member joining while a key waits for its redelivery does not let the key\'s later messages overtake it', async () => {
  await client.createTopic('carts');
  await produceNumbered(client, 'carts', 6, () => 'cart-1');
  const calls: Array<[number, number]> = [];
  let failed = false;
  const first = client.consumer({ group: 'g', topics: ['carts'], from: 'earliest', ordering: 'key', retryBackoffMs: 300 });
  await first.run(async (m) => {
    calls.push([m.offset, m.deliveryCount]);
    if (m.offset === 0 && m.deliveryCount === 1) {
      failed = true;
      throw new Error('fails once');
    }
  });
  await until(() => failed, 'the first hand-over of offset 0');
  // Offsets 1-5 are out with the first member and held behind offset 0: the key stays with it.
  const second = (await fixture.client('key-rebalance-2')).consumer({ group: 'g', topics: ['carts'], from: 'earliest', ordering: 'key' });
  const secondCalls: number[] = [];
  await second.run(async (m) => {
    secondCalls.push(m.offset);
  });
  await until(() => calls.length === 7, 'every message and the redelivery');
  expect(calls).toEqual([[0, 1], [0, 2], [1, 1], [2, 1], [3, 1], [4, 1], [5, 1]]);
  expect(secondCalls).toEqual([]);
});
