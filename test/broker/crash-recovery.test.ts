import { afterEach, describe, expect, it } from 'vitest';
import { connect, type Client } from '../../src/client/index.js';
import { spawnBroker, type BrokerProcess } from '../../bench/lib/broker-process.js';
import { tempDir } from '../../bench/lib/temp-dir.js';

interface Acked { key: string; value: number; partition: number; offset: number }

describe('SIGKILL during a stream of acknowledged sends', () => {
  let broker: BrokerProcess | undefined;
  let client: Client | undefined;
  let dir: Awaited<ReturnType<typeof tempDir>> | undefined;

  afterEach(async () => {
    await client?.close().catch(() => undefined);
    await broker?.kill();
    await dir?.remove();
  });

  it('keeps every acknowledged message, in order, exactly once', async () => {
    dir = await tempDir();
    broker = await spawnBroker(dir.path);
    const port = broker.port;
    client = await connect(broker.url, { clientId: 'crash-test' });
    await client.createTopic('stream', { partitions: 3 });
    const producer = client.producer({ lingerMs: 1, deliveryTimeoutMs: 60_000 });
    const acked: Acked[] = [];
    const pending: Array<Promise<void>> = [];
    let next = 0;
    let sending = true;
    const sendLoop = (async () => {
      while (sending) {
        const values = Array.from({ length: 20 }, () => next++);
        const keyed = values.map((value) => ({ key: `k${value % 7}`, value }));
        pending.push(producer.sendBatch('stream', keyed).then((results) => {
          results.forEach((r, i) => acked.push({ key: keyed[i]!.key, value: keyed[i]!.value, partition: r.partition, offset: r.offset }));
        }));
        await new Promise((resolve) => setTimeout(resolve, 1));
      }
    })();
    await waitUntil(() => acked.length >= 2_000);
    await broker.kill();
    const ackedBeforeKill = acked.length;
    broker = await spawnBroker(dir.path, port);
    await waitUntil(() => acked.length >= ackedBeforeKill + 2_000);
    sending = false;
    await sendLoop;
    await Promise.all(pending);

    const reader = await connect(broker.url, { clientId: 'reader' });
    const stored = new Map<string, { value: number; key: string }>();
    for (let partition = 0; partition < 3; partition++) {
      let offset = 0;
      for (;;) {
        const page = await reader.fetch('stream', partition, offset, { maxBytes: 1 << 20 });
        for (const record of page.records) stored.set(`${partition}@${record.offset}`, { value: record.value as number, key: record.key as string });
        if (page.records.length === 0) break;
        offset = page.records[page.records.length - 1]!.offset + 1;
      }
    }
    await reader.close();

    expect(acked.length).toBe(next);
    for (const message of acked) expect(stored.get(`${message.partition}@${message.offset}`)).toEqual({ value: message.value, key: message.key });
    const values = [...stored.values()].map((s) => s.value);
    expect(new Set(values).size).toBe(values.length); // nothing stored twice
    const byKey = new Map<string, number[]>();
    for (const [where, { key, value }] of [...stored.entries()].sort(byPartitionOffset)) {
      void where;
      byKey.set(key, [...(byKey.get(key) ?? []), value]);
    }
    for (const sequence of byKey.values()) expect(sequence).toEqual([...sequence].sort((a, b) => a - b));
  }, 120_000);
});

function byPartitionOffset([a]: [string, unknown], [b]: [string, unknown]): number {
  const [pa, oa] = a.split('@').map(Number) as [number, number];
  const [pb, ob] = b.split('@').map(Number) as [number, number];
  return pa - pb || oa - ob;
}

async function waitUntil(condition: () => boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
