/**
 * Error messages repeat at most a prefix of the names a client sent, so an
 * answer is bounded by a small size per entry: a produce answer of
 * maxEntriesPerRequest errors fits in the smallest frame the limits allow.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type Broker } from '../../src/broker/index.js';
import { maxEchoedNameLength } from '../../src/protocol/errors.js';
import { produceAnswerMaxBytes } from '../../src/protocol/limits.js';
import { encodeRecordBatch } from '../../src/protocol/record-batch.js';
import { RawClient } from '../helpers/raw-client.js';
import { tempDir } from '../../bench/lib/temp-dir.js';

const maxEntriesPerRequest = 8;
const maxNameLength = 249;
// The smallest frame assertLimitsConsistent allows for these entries and names.
const limits = { maxEntriesPerRequest, maxNameLength, maxFrameBytes: produceAnswerMaxBytes({ maxEntriesPerRequest, maxNameLength }), maxBatchBytes: 8 * 1024, maxFetchBytes: 8 * 1024 };
/** A name of the longest kind, 3 bytes per character in UTF-8. */
const wideName = (i: number) => `${i}`.padEnd(maxNameLength, 'ࠀ');
const batch = encodeRecordBatch([{ value: 'v' }], { now: 1 });

describe('error answers on a broker with the smallest frames its limits allow', () => {
  let dir: Awaited<ReturnType<typeof tempDir>>;
  let broker: Broker;
  let client: RawClient;

  beforeAll(async () => {
    dir = await tempDir();
    broker = await startBroker({ port: 0, dataDir: dir.path, logLevel: 'silent', limits });
    client = await RawClient.greeted(broker.url, 'echo');
  });

  afterAll(async () => {
    client.close();
    await broker.close();
    await dir.remove();
  });

  it('produce: maxEntriesPerRequest entries for unknown topics of the longest names are answered in one frame', async () => {
    const entries = Array.from({ length: maxEntriesPerRequest }, (_, i) => ({ topic: wideName(i), partition: 0, batch }));
    const answer = await client.request({ type: 'produce', entries });
    expect(answer.type).toBe('result');
    expect(client.frameBytes.get(answer)).toBeLessThanOrEqual(limits.maxFrameBytes);
    expect(answer.body.results).toHaveLength(maxEntriesPerRequest);
    for (const [i, result] of answer.body.results.entries()) {
      expect(result).toMatchObject({ topic: wideName(i), partition: 0, code: 'UNKNOWN_TOPIC' });
      expect(result.message).toContain(`${wideName(i).slice(0, maxEchoedNameLength - 1)}…`);
      expect(result.message).not.toContain(wideName(i));
    }
  });

  it('produce: an entry naming a topic longer than maxNameLength makes the request invalid', async () => {
    const answer = await client.request({ type: 'produce', entries: [{ topic: 'x'.repeat(maxNameLength + 1), partition: 0, batch }] });
    expect(answer).toMatchObject({ type: 'error', code: 'INVALID_REQUEST', message: expect.stringMatching(/longer than maxNameLength/) });
  });

  it.each([
    ['fetch', (name: string) => ({ type: 'fetch', topic: name, partition: 0, offset: 0, maxBytes: 1 }), 'UNKNOWN_TOPIC'],
    ['describeGroup', (name: string) => ({ type: 'describeGroup', group: name }), 'UNKNOWN_GROUP'],
    ['txnStatus', (name: string) => ({ type: 'txnStatus', transactionId: name }), 'UNKNOWN_TRANSACTION'],
  ])('%s: an unknown name of 5,000 characters comes back cut to its first characters', async (_type, request, code) => {
    const name = 'n'.repeat(5_000);
    const answer = await client.request(request(name));
    expect(answer).toMatchObject({ type: 'error', code });
    expect(answer.message).toContain(`"${'n'.repeat(maxEchoedNameLength - 1)}…"`);
    expect(answer.message!.length).toBeLessThan(maxEchoedNameLength + 100);
  });
});
