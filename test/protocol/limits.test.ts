/**
 * assertLimitsConsistent: the relationships between limits that keep every
 * frame the broker sends within maxFrameBytes.
 */
import { describe, expect, it } from 'vitest';
import { encodeHeadBefore } from '../../src/protocol/codec.js';
import { encodeFrame } from '../../src/protocol/codec.js';
import { maxResultMessageLength } from '../../src/protocol/errors.js';
import { assertLimitsConsistent, brokerDeliverBounds, defaultBrokerLimits, maxGroupNameLength, maxMemberIdLength, produceAnswerMaxBytes } from '../../src/protocol/limits.js';

const frameLimits = { ...defaultBrokerLimits, maxFrameBytes: 64 * 1024, maxFetchBytes: 32 * 1024, maxEntriesPerRequest: 16 };

describe('deliver frames', () => {
  it('refuses a maxBatchBytes that leaves no room beside a batch for the longest names and one range', () => {
    expect(() => assertLimitsConsistent({ ...frameLimits, maxBatchBytes: frameLimits.maxFrameBytes - 64 })).toThrow(/must exceed maxBatchBytes .* by at least \d+ bytes/);
    expect(() => assertLimitsConsistent({ ...frameLimits, maxBatchBytes: frameLimits.maxFrameBytes - 2_048 })).not.toThrow();
  });

  it('the largest deliver frame the bounds allow fits: a batch of maxBatchBytes, the longest names and ranges of every offset alone', () => {
    for (const maxBatchBytes of [1_024, 32 * 1024, 63 * 1024]) {
      const limits = { ...frameLimits, maxBatchBytes };
      assertLimitsConsistent(limits);
      const { readMaxBytes, maxRangedOffsets } = brokerDeliverBounds(limits);
      expect(maxRangedOffsets).toBeGreaterThanOrEqual(1);
      const ranges = Array.from({ length: 2 * maxRangedOffsets }, () => Number.MAX_SAFE_INTEGER);
      const frame = {
        type: 'deliver', group: 'g'.repeat(maxGroupNameLength), memberId: 'm'.repeat(maxMemberIdLength), topic: 't'.repeat(limits.maxNameLength),
        partition: Number.MAX_SAFE_INTEGER, ranges, deliveryCount: Number.MAX_SAFE_INTEGER, records: new Uint8Array(Math.max(readMaxBytes, maxBatchBytes)),
      };
      expect(encodeHeadBefore(frame).length + frame.records.length).toBeLessThanOrEqual(limits.maxFrameBytes);
    }
  });

  it('the defaults read a megabyte per delivery, as before frames were bounded', () => {
    expect(brokerDeliverBounds(defaultBrokerLimits).readMaxBytes).toBe(1024 * 1024);
  });
});

describe('produce answers', () => {
  it('requires maxFrameBytes to hold maxEntriesPerRequest error results', () => {
    expect(() => assertLimitsConsistent({ ...frameLimits, maxBatchBytes: 8 * 1024, maxEntriesPerRequest: 1_024 })).toThrow(/must hold a produce answer of maxEntriesPerRequest \(1024\) error results/);
    expect(() => assertLimitsConsistent({ ...frameLimits, maxBatchBytes: 8 * 1024, maxEntriesPerRequest: 16 })).not.toThrow();
    expect(() => assertLimitsConsistent(defaultBrokerLimits)).not.toThrow();
  });

  it('the bound holds the widest answer: every topic, code and message at its longest in UTF-8', () => {
    const limits = { maxEntriesPerRequest: 5, maxNameLength: 249 };
    const widest = (length: number) => '\u{10000}'.repeat(length / 2).padEnd(length, '\u0800'); // 4 bytes per two characters, 3 per one
    const result = { topic: widest(limits.maxNameLength), partition: 2 ** 53 - 1, code: 'TRANSACTION_OUTCOME_UNKNOWN', message: widest(maxResultMessageLength) };
    const answer = { type: 'result', id: 2 ** 53 - 1, body: { results: Array.from({ length: limits.maxEntriesPerRequest }, () => result) } };
    expect(encodeFrame(answer).length).toBeLessThanOrEqual(produceAnswerMaxBytes(limits));
  });
});
