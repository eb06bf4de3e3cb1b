import { afterEach, describe, expect, it, vi } from 'vitest';
import { PendingAcks } from '../../src/client/ack-batcher.js';
import { Dispatcher, PartitionWork, type DispatchSettings } from '../../src/client/dispatcher.js';
import type { ConsumerMessage, MessageHandler } from '../../src/client/types.js';

afterEach(() => {
  vi.useRealTimers();
});

const work = (partition = 0) => new PartitionWork('t', partition, new PendingAcks('t', partition));
const message = (offset: number, deliveryCount = 1, key: string | null = null, partition = 0): ConsumerMessage =>
  ({ topic: 't', partition, offset, key, value: offset, headers: {}, timestamp: 0, deliveryCount });

function dispatcher(handler: MessageHandler, settings: Partial<DispatchSettings> = {}) {
  const log: string[] = [];
  const instance = new Dispatcher(handler, { ordering: 'partition', ackTimeoutMs: 800, maxDeliveries: 3, ...settings }, {
    succeeded: (_w, offset) => log.push(`ack ${offset}`),
    failed: (_w, offset, error) => log.push(`nack ${offset} ${error}`),
    drained: (w) => log.push(`drained ${w.partition}`),
  });
  return { log, instance };
}

describe('Dispatcher', () => {
  it('partition ordering: one at a time; a failure holds the lane until that offset succeeds', async () => {
    const handled: string[] = [];
    const { log, instance } = dispatcher((m) => {
      handled.push(`${m.offset}#${m.deliveryCount}`);
      if (m.offset === 1 && m.deliveryCount === 1) throw new Error('boom');
    });
    const w = work();
    for (const offset of [0, 1, 2, 3]) instance.accept(w, message(offset));
    expect(handled).toEqual(['0#1', '1#1']);
    expect(log).toContain('nack 1 boom');
    instance.accept(w, message(1, 2)); // the redelivery jumps the queue
    expect(handled).toEqual(['0#1', '1#1', '1#2', '2#1', '3#1']);
    expect(log.filter((line) => line.startsWith('ack'))).toEqual(['ack 0', 'ack 1', 'ack 2', 'ack 3']);
    instance.stop();
  });

  it('moves on after the last allowed delivery fails (the broker dead-letters it)', () => {
    const handled: number[] = [];
    const { instance } = dispatcher((m) => {
      handled.push(m.offset);
      if (m.offset === 0) throw new Error('poison');
    });
    const w = work();
    instance.accept(w, message(0, 3));
    instance.accept(w, message(1));
    expect(handled).toEqual([0, 1]);
    instance.stop();
  });

  it('key ordering: keys run concurrently, one at a time per key; keyless messages at once', async () => {
    const running = new Set<number>();
    const finishers = new Map<number, () => void>();
    const { instance } = dispatcher((m) => new Promise<void>((resolve) => {
      running.add(m.offset);
      finishers.set(m.offset, () => {
        running.delete(m.offset);
        resolve();
      });
    }), { ordering: 'key' });
    const w = work();
    instance.accept(w, message(0, 1, 'a'));
    instance.accept(w, message(1, 1, 'b'));
    instance.accept(w, message(2, 1, 'a'));
    instance.accept(w, message(3, 1, null));
    instance.accept(w, message(4, 1, null));
    expect([...running]).toEqual([0, 1, 3, 4]);
    finishers.get(0)!();
    await Promise.resolve();
    await Promise.resolve();
    expect([...running].sort()).toEqual([1, 2, 3, 4]);
    for (const offset of [1, 2, 3, 4]) finishers.get(offset)!();
    await instance.idle();
    instance.stop();
  });

  it('fails a handler after ackTimeoutMs (at most an eighth later), ignores its late result, and frees the lane', async () => {
    vi.useFakeTimers();
    let finishFirst: () => void = () => undefined;
    const { log, instance } = dispatcher((m) => {
      if (m.offset === 0 && m.deliveryCount === 1) return new Promise<void>((resolve) => (finishFirst = resolve));
      return undefined;
    });
    const w = work();
    vi.advanceTimersByTime(50); // start between two ticks
    instance.accept(w, message(0));
    instance.accept(w, message(1));
    vi.advanceTimersByTime(799);
    expect(log).toEqual([]);
    vi.advanceTimersByTime(101);
    expect(log).toEqual(['nack 0 ack timeout', 'drained 0']);
    instance.accept(w, message(0, 2));
    expect(log.slice(2)).toEqual(['ack 0', 'drained 0', 'ack 1', 'drained 0']);
    finishFirst();
    await vi.advanceTimersByTimeAsync(1);
    expect(log).toHaveLength(6);
    instance.stop();
  });

  it('drops queued messages of a partition; running ones finish and report drained', async () => {
    let finish: () => void = () => undefined;
    const handled: number[] = [];
    const { log, instance } = dispatcher((m) => {
      handled.push(m.offset);
      return new Promise<void>((resolve) => (finish = resolve));
    });
    const w = work();
    instance.accept(w, message(0));
    instance.accept(w, message(1));
    instance.dropQueued(w);
    finish();
    await instance.idle();
    expect(handled).toEqual([0]);
    expect(log).toEqual(['ack 0', 'drained 0']);
    instance.stop();
  });
});
