/**
 * The visualiser in a real headless Chromium against a real broker: the
 * token prompt, a group member and a transaction followed live on the page
 * (statechart highlight, timeline stepped back), publishing and tailing with
 * the browser build of the client. Screenshots go to test-artifacts/.
 */
import { mkdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { startBroker, type Broker } from '../../src/broker/index.js';
import { connect, type Client } from '../../src/client/index.js';
import { uiUrl } from '../../src/inspect/http-ui.js';
import { tempDir } from '../../bench/lib/temp-dir.js';
import { RawClient } from '../helpers/raw-client.js';
import { launchChromium } from './chromium.js';

const token = 'e2e-secret';
const artifacts = new URL('../../test-artifacts/', import.meta.url).pathname;

describe('visualiser in headless Chromium', () => {
  let broker: Broker;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let browser: Browser;
  let page: Page;
  let admin: Client;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    await mkdir(artifacts, { recursive: true });
    dir = await tempDir();
    // Checks far away: a transaction stays `half` until the test commits it.
    broker = await startBroker({ port: 0, dataDir: dir.path, logLevel: 'silent', token, transactions: { checkAfterMs: 60_000 } });
    admin = await connect(broker.url, { clientId: 'e2e-admin', token });
    await admin.createTopic('orders', { partitions: 2 });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1500, height: 950 } });
    page.setDefaultTimeout(10_000);
    page.on('pageerror', (error) => pageErrors.push(error.message));
  });
  afterAll(async () => {
    await browser?.close();
    await admin?.close();
    await broker?.close();
    await dir?.remove();
  });

  const select = async (actorId: string): Promise<void> => {
    await page.locator(`#overview [data-actor-id="${actorId}"]`).first().click();
    await page.locator('#actor-title', { hasText: actorId }).waitFor();
  };
  const current = (stateId: string) => page.locator(`svg.statechart [data-state-id="${stateId}"].current`);

  it('asks for the token, then goes live with it', async () => {
    await page.goto(uiUrl(broker.url));
    await page.locator('#status.unauthorized').waitFor();
    await page.locator('#token-form input[name="token"]').fill(token);
    await page.locator('#token-form button').click();
    await page.locator('#status.live').waitFor();
    expect(new URL(page.url()).searchParams.get('token')).toBe(token);
    await page.locator('#topics [data-actor-id="partition/orders/1"]').waitFor();
  });

  it('follows a group member live, keeps its drawing still under 20 updates/s, and steps back through its timeline', async () => {
    const member = await RawClient.open(broker.url);
    await member.request({ type: 'hello', version: 1, clientId: 'e2e-member', token });
    const joined = await member.request({
      type: 'joinGroup', group: 'cart', topics: ['orders'], ordering: 'partition', from: 'earliest', retryBackoffMs: [100], maxDeliveries: 3,
      sessionTimeoutMs: 30_000, maxInFlightMessages: 10, maxInFlightBytes: 65_536,
    });
    const memberId = joined.body.memberId as string;
    const actorId = `group/cart/member/${memberId}`;
    await select(actorId);
    await current('member.assigned').waitFor();
    await expect.poll(() => page.locator('#timeline li').count()).toBe(2);

    // 20 heartbeats a second, each a transition (re-entering `assigned`): the page keeps up and nothing moves.
    const before = await current('member.assigned').boundingBox();
    for (let beat = 0; beat < 20; beat++) {
      member.send({ type: 'heartbeat', id: 1000 + beat, group: 'cart', memberId });
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await expect.poll(() => page.locator('#timeline li').count()).toBe(22);
    expect(await current('member.assigned').boundingBox()).toEqual(before);
    await expect(page.locator('#path-summary').textContent()).resolves.toBe('joining → assigned ×21');

    // Step back to where it began; the drawing follows the cursor.
    for (let step = 0; step < 21; step++) await page.locator('#step-back').click();
    await current('member.joining').waitFor();
    expect(await page.locator('#cursor-info').textContent()).toMatch(/^step 1 of 22/);
    expect(await page.locator('#timeline li.at-cursor').getAttribute('data-state')).toBe('joining');
    await page.locator('#step-forward').click();
    await current('member.assigned').waitFor();
    expect(await page.locator('svg.statechart .edge-label.taken').textContent()).toBe('assignment.set [hasPartitions]');

    // The socket drops: the member expires; the held step stays put until the user goes live.
    member.close();
    await page.locator('#actor-meta [data-live-state="expired"]').waitFor();
    expect(await current('member.assigned').count()).toBe(1);
    await page.screenshot({ path: `${artifacts}visualiser-member.png` });
    await page.locator('#step-live').click();
    await page.locator(`svg.statechart [data-state-id="member.expired"].current.ended`).waitFor();
    await page.locator('#overview #groups').getByText('no partitions').or(page.locator('#groups [data-actor-id="group/cart"]')).first().waitFor();
  });

  it('publishes a test message and tails the topic with the browser build of the client', async () => {
    await page.locator('#tail-topic').fill('orders');
    await page.locator('#tail-button').click();
    await page.locator('#publish-topic').fill('orders');
    await page.locator('#publish-key').fill('k-1');
    await page.locator('#publish-value').fill('{"total": 10}');
    await page.locator('#publish-button').click();
    await page.locator('#publish-result', { hasText: /^stored at orders\/\d offset \d+$/ }).waitFor();
    await page.locator('#tail-output li.record', { hasText: '{"total":10}' }).waitFor();
    expect(await page.locator('#tail-output li.record .record-key').first().textContent()).toBe('k-1');
    await page.locator('#tail-button').click();

    // The standalone browser build served by the broker, imported as an ES module by the page.
    // (A string, so the test runner's module transform leaves its dynamic import alone.)
    const listed = await page.evaluate(`(async () => {
      const { connect } = await import('/actormq.js');
      const client = await connect(${JSON.stringify(broker.url)}, { clientId: 'page-module', token: ${JSON.stringify(token)} });
      const topics = await client.listTopics();
      await client.close();
      return topics;
    })()`);
    expect(listed).toEqual([{ name: 'orders', partitions: 2 }]);
    // The page's admin polling shows the end offsets of the partitions.
    const ends = await admin.describeTopic('orders');
    const stored = ends.partitions.find((partition) => partition.endOffset > 0)!;
    await page.locator(`#topics [data-actor-id="partition/orders/${stored.partition}"] .offset`, { hasText: String(stored.endOffset) }).waitFor();
  });

  it('shows a transaction half, then committed, and steps back to half', async () => {
    const tp = admin.transactionProducer({ group: 'order-service', checkLocalTransaction: async () => 'commit' });
    await tp.ready;
    const tx = await tp.begin();
    await tx.send('orders', { key: 'o-1', value: { total: 10 } });
    await select(`txn/${tx.id}`);
    await page.locator('#actor-meta [data-live-state="half"]').waitFor();
    await current('transaction.half').waitFor();
    expect(await page.locator(`#transactions [data-actor-id="txn/${tx.id}"]`).textContent()).toContain('half');

    await tx.commit();
    await page.locator('#actor-meta [data-live-state="committed"]').waitFor();
    await page.locator('svg.statechart [data-state-id="transaction.committed"].current.ended').waitFor();
    await page.locator('#step-back').click();
    await current('transaction.committing').waitFor();
    await page.locator('#step-back').click();
    await current('transaction.half').waitFor();
    expect(await page.locator('#timeline li.at-cursor').getAttribute('data-state')).toBe('half');
    expect(await page.locator('#path-summary').textContent()).toMatch(/half → committing → committed$/);
    await page.screenshot({ path: `${artifacts}visualiser-transaction.png` });
  });

  it('raised no errors in the page', () => {
    expect(pageErrors).toEqual([]);
  });
});
