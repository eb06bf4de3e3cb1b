import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { startBroker, type Broker } from '../../src/broker/index.js';
import { encodeFrame } from '../../src/protocol/codec.js';
import { protocolVersion } from '../../src/protocol/limits.js';
import { encodeRecordBatch } from '../../src/protocol/record-batch.js';
import { RawClient } from '../helpers/raw-client.js';
import { tempDir } from '../../bench/lib/temp-dir.js';

const requestTypes = ['hello', 'createTopic', 'listTopics', 'describeTopic', 'initProducer', 'produce', 'fetch'];

/** Any msgpack-able value, including the types frames use (bytes, big numbers, nesting). */
const fieldValue = fc.oneof(
  fc.anything({ maxDepth: 2 }),
  fc.uint8Array({ maxLength: 100 }),
  fc.integer(),
  fc.double(),
  fc.constantFrom('orders', '', '..', 'x'.repeat(300)),
);

const wellFormedButWrong = fc.record({
  type: fc.constantFrom(...requestTypes),
  id: fc.oneof(fc.nat(), fieldValue),
  version: fc.oneof(fc.constant(protocolVersion), fieldValue),
  clientId: fc.oneof(fc.constant('fuzz'), fieldValue),
  topic: fc.oneof(fc.constant('orders'), fieldValue),
  partition: fc.oneof(fc.nat(5), fieldValue),
  partitions: fc.oneof(fc.nat(5), fieldValue),
  offset: fc.oneof(fc.nat(5), fieldValue),
  maxBytes: fc.oneof(fc.nat(1 << 20), fieldValue),
  config: fc.oneof(fc.dictionary(fc.string(), fieldValue), fieldValue),
  entries: fc.oneof(fc.array(fc.record({ topic: fc.constant('orders'), partition: fc.nat(3), batch: fc.oneof(fc.uint8Array({ maxLength: 120 }), fieldValue) })), fieldValue),
}, { requiredKeys: ['type'] });

const hostileFrame = fc.oneof(
  fc.uint8Array({ maxLength: 300 }).map((bytes) => ({ raw: bytes })),
  fc.anything({ maxDepth: 3 }).map((value) => ({ raw: encodeFrame({ value }) })),
  wellFormedButWrong.map((frame) => ({ raw: encodeFrame(frame) })),
  fc.string({ maxLength: 50 }).map((text) => ({ text })),
);

describe('hostile input', () => {
  let broker: Broker;
  let dir: Awaited<ReturnType<typeof tempDir>>;

  beforeAll(async () => {
    dir = await tempDir();
    broker = await startBroker({ port: 0, dataDir: dir.path, logLevel: 'silent' });
    const setup = await RawClient.greeted(broker.url);
    await setup.request({ type: 'createTopic', topic: 'orders', partitions: 4 });
    await setup.request({ type: 'produce', entries: [{ topic: 'orders', partition: 0, batch: encodeRecordBatch([{ value: 'kept' }], { now: 1 }) }] });
    setup.close();
  });
  afterAll(async () => {
    await broker.close();
    await dir.remove();
  });

  it('answers random bytes and wrong frames with errors and keeps serving a normal client', async () => {
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.array(hostileFrame, { minLength: 1, maxLength: 6 }), async (greetFirst, frames) => {
        const attacker = greetFirst ? await RawClient.greeted(broker.url, 'fuzz') : await RawClient.open(broker.url);
        for (const frame of frames) {
          if (attacker.closeCode !== undefined) break;
          if ('text' in frame) attacker.sendBytes(frame.text);
          else attacker.sendBytes(frame.raw);
        }
        await new Promise((resolve) => setTimeout(resolve, 5));
        for (const seen of attacker.frames) {
          expect(['result', 'error']).toContain(seen.type);
          if (seen.type === 'error') expect(seen.code).toMatch(/^[A-Z_]+$/);
          expect(seen.code, 'an internal error means the broker mishandled input').not.toBe('INTERNAL_ERROR');
        }
        attacker.close();
        const normal = await RawClient.greeted(broker.url, 'normal');
        const read = await normal.request({ type: 'fetch', topic: 'orders', partition: 0, offset: 0, maxBytes: 1 << 16 });
        expect(read).toMatchObject({ type: 'result' });
        expect(read.body.endOffset).toBeGreaterThanOrEqual(1);
        normal.close();
      }),
      { numRuns: 150 },
    );
  }, 120_000);
});
