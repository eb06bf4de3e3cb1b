/**
 * A member whose client stopped reading its socket: deliveries wait while
 * more than maxUnsentBytes are unsent on its connection, as its requests
 * do, instead of filling its whole credit window (up to 64 MiB per member,
 * any number of members per connection) into broker memory. When the
 * client vanishes, what it had out goes to the next member; nothing is lost.
 */
import { expect, it } from 'vitest';
import { startBroker } from '../../../src/broker/index.js';
import { connect } from '../../../src/client/index.js';
import { encodeRecordBatch } from '../../../src/protocol/record-batch.js';
import { RawClient } from '../../helpers/raw-client.js';
import { sleep, until } from '../../helpers/group-fixture.js';
import { tempDir } from '../../../bench/lib/temp-dir.js';

/** 64 MB of 1 KB values: about the largest window a member may ask for, far more than loopback's kernel buffers take in. */
const batches = 64;
const recordsPerBatch = 1_000;
const messages = batches * recordsPerBatch;
const value = 'x'.repeat(1_000);

it('a member that stopped reading is delivered no more than its connection may leave unsent; after it vanishes the next member gets every message', async () => {
  const dir = await tempDir();
  const broker = await startBroker({ port: 0, dataDir: dir.path, logLevel: 'silent', limits: { maxUnsentBytes: 1 << 20 } });
  const stalled = await RawClient.greeted(broker.url, 'stalled');
  const producer = await RawClient.greeted(broker.url, 'producer');
  const next = await connect(broker.url, { clientId: 'next' });
  try {
    await producer.request({ type: 'createTopic', topic: 'orders', partitions: 1 });
    const joined = await stalled.request({
      type: 'joinGroup', group: 'billing', topics: ['orders'], ordering: 'partition', from: 'earliest', retryBackoffMs: [0],
      maxDeliveries: 16, sessionTimeoutMs: 3_600_000, maxInFlightMessages: 100_000, maxInFlightBytes: 64 << 20,
    });
    expect(joined).toMatchObject({ type: 'result' });
    stalled.socket.pause();
    const batch = encodeRecordBatch(Array.from({ length: recordsPerBatch }, () => ({ value })), { now: 1_000 });
    for (let index = 0; index < batches; index++) {
      expect(await producer.request({ type: 'produce', entries: [{ topic: 'orders', partition: 0, batch }] })).toMatchObject({ type: 'result' });
    }
    await sleep(500); // the broker delivers what the stalled member's credit and connection allow
    stalled.socket.terminate();
    await stalled.closed;

    // What the stalled member had out is handed over again (delivery count 2); the rest goes out for the first time.
    const offsetsSeen = new Set<number>();
    let handedOverAgain = 0;
    await next.consumer({ group: 'billing', topics: ['orders'], from: 'earliest' }).run(async (message) => {
      offsetsSeen.add(message.offset);
      if (message.deliveryCount > 1) handedOverAgain++;
    });
    await until(() => offsetsSeen.size === messages, 'every message delivered to the next member', 20_000);
    // ~1 MiB unsent plus what the kernel buffers took: a few thousand messages, not the 64,000 the window allows.
    expect(handedOverAgain).toBeGreaterThan(0);
    expect(handedOverAgain).toBeLessThan(messages / 2);
  } finally {
    await next.close();
    producer.close();
    await broker.close();
    await dir.remove();
  }
}, 60_000);
