/**
 * The visualiser in headless Chromium against a broker holding more than its
 * answers can list (small frames, a group over 256 partitions of a
 * long-named topic): the page says how many actors, members and partitions
 * it shows of how many there are.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { SimulatedClock } from 'xstate';
import { startBroker, type Broker } from '../../src/broker/index.js';
import { uiUrl } from '../../src/inspect/http-ui.js';
import { tempDir } from '../../bench/lib/temp-dir.js';
import { RawClient } from '../helpers/raw-client.js';
import { launchChromium } from './chromium.js';

const limits = { maxFrameBytes: 16 * 1024, maxBatchBytes: 8 * 1024, maxFetchBytes: 8 * 1024, maxEntriesPerRequest: 8 };
const topic = 't'.repeat(249);
const partitionCount = 256;

describe('visualiser on a broker whose answers are cut to fit a frame', () => {
  let broker: Broker;
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let browser: Browser;
  let page: Page;
  let member: RawClient;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    dir = await tempDir();
    // Time stands still: the member's session never runs out while the page looks.
    const clock = new SimulatedClock();
    broker = await startBroker({ port: 0, dataDir: dir.path, logLevel: 'silent', limits, timers: clock, clock: () => clock.now() });
    member = await RawClient.greeted(broker.url, 'wide-member');
    await member.request({ type: 'createTopic', topic, partitions: partitionCount });
    await member.request({
      type: 'joinGroup', group: 'wide', topics: [topic], ordering: 'partition', from: 'earliest', retryBackoffMs: [100], maxDeliveries: 3,
      sessionTimeoutMs: 30_000, maxInFlightMessages: 10, maxInFlightBytes: 65_536,
    });
    await member.waitFor((f) => f.type === 'assignment' && f.partitions.length === partitionCount);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1500, height: 950 } });
    page.setDefaultTimeout(10_000);
    page.on('pageerror', (error) => pageErrors.push(error.message));
  });
  afterAll(async () => {
    await browser?.close();
    member?.close();
    await broker?.close();
    await dir?.remove();
  });

  it('says how many actors it shows of how many the broker has', async () => {
    await page.goto(uiUrl(broker.url));
    await page.locator('#status.live').waitFor();
    const note = await page.locator('#actors-listed', { hasText: /^showing \d+ of \d+ actors/ }).textContent();
    const [, shown, total] = /^showing (\d+) of (\d+) actors/.exec(note!)!.map(Number);
    expect(total).toBeGreaterThan(partitionCount);
    expect(shown).toBeGreaterThan(0);
    expect(shown).toBeLessThan(total!);
  });

  it('says how many members\' partitions and lag entries of a group it shows', async () => {
    const group = page.locator('#groups .group', { has: page.locator('[data-actor-id="group/wide"]') });
    await group.locator('p.more', { hasText: new RegExp(`^\\d+ of ${partitionCount} partitions shown`) }).waitFor();
    await expect(group.locator('.member').locator('xpath=ancestor::tr').textContent()).resolves.toMatch(new RegExp(`\\(\\d+ of ${partitionCount} partitions shown\\)$`));
    expect(pageErrors).toEqual([]);
  });
});
