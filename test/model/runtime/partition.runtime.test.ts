/**
 * The partition machine's generated paths, run against the real broker: a
 * real topic, real files, faults injected at the file-system boundary (a
 * held or failing directory creation, a failing fdatasync, a failing close),
 * time moved by a SimulatedClock. After each step the live actor's history,
 * read through the inspector, must equal the path.
 */
import fs from 'node:fs';
import { describe, vi } from 'vitest';
import { SimulatedClock } from 'xstate';
import { partitionMachine } from '../../../machines/partition.machine.js';
import { startBroker, type Broker } from '../../../src/broker/index.js';
import { encodeRecordBatch, readBatchHeader } from '../../../src/protocol/record-batch.js';
import { tempDir } from '../../../bench/lib/temp-dir.js';
import { planTransitionCoverage, type MachinePath } from '../graph-plan.js';
import { pathTests } from './path-tests.js';
import { expectHistory } from './history.js';

const input = { topic: 'orders', partition: 0, restartBackoffMs: 100, restartBackoffMaxMs: 10_000 };
const variants = {
  'storage.failed': [{ error: 'EIO: injected' }],
  'xstate.error.actor.recoverLog': [{ error: new Error('EACCES: injected') }],
  'xstate.error.actor.closeLog': [{ error: new Error('EBADF: injected') }],
};
const actorId = 'partition/orders/0';
const paths = planTransitionCoverage(partitionMachine, input, variants, (s) => s.context.failures > 2);

interface HeldRecovery { finish: (outcome: 'done' | 'error') => void }

/** Directory creation is the first I/O of a recovery: fail it, or hold it until the path says how it ends. */
function arrangeRecovery(next: string | undefined): HeldRecovery {
  const mkdir = fs.promises.mkdir;
  if (next === 'xstate.error.actor.recoverLog') {
    vi.spyOn(fs.promises, 'mkdir').mockImplementationOnce(() => Promise.reject(new Error('EACCES: injected')));
  } else if (next === 'partition.close') {
    const held: HeldRecovery = { finish: () => {} };
    vi.spyOn(fs.promises, 'mkdir').mockImplementationOnce((...args) => new Promise((resolve, reject) => {
      // Once only: the cleanup finishes every held recovery again, and a real mkdir then would race the temp dir's removal.
      held.finish = (outcome) => {
        held.finish = () => {};
        if (outcome === 'done') resolve(mkdir(...(args as Parameters<typeof mkdir>)) as never);
        else reject(new Error('EACCES: injected'));
      };
    }));
    return held;
  }
  return { finish: () => {} };
}

/** fs.closeSync throws once, for the partition's own files, once it is closing (recovery closes files too). */
function failPartitionClose(broker: Broker): void {
  const closeSync = fs.closeSync;
  let failed = false;
  vi.spyOn(fs, 'closeSync').mockImplementation((fd) => {
    const closingNow = broker.topics.get('orders')?.partitions[0]?.state === 'closing';
    if (!failed && closingNow && fs.readlinkSync(`/proc/self/fd/${fd}`).includes('/logs/orders/0/')) {
      failed = true;
      throw new Error('EBADF: injected');
    }
    closeSync(fd);
  });
}

async function runPath(path: MachinePath): Promise<void> {
  const dir = await tempDir();
  const clock = new SimulatedClock();
  let broker: Broker | undefined;
  let closing: Promise<void> | undefined;
  let held: HeldRecovery = { finish: () => {} };
  try {
    broker = await startBroker({ port: 0, dataDir: dir.path, logLevel: 'silent', timers: clock });
    const steps = path.steps;
    for (let i = 0; i < steps.length; i++) {
      const type = steps[i]!.event.type;
      const next = steps[i + 1]?.event.type;
      if (type === 'xstate.init') {
        held = arrangeRecovery(next);
        void broker.topics.create('orders', 1).catch(() => undefined);
      } else if (type === 'xstate.done.actor.recoverLog' || type === 'xstate.error.actor.recoverLog') {
        held.finish(type === 'xstate.done.actor.recoverLog' ? 'done' : 'error'); // a held recovery ends now; others end on their own
      } else if (type === 'storage.failed') {
        vi.spyOn(fs, 'fdatasync').mockImplementationOnce(((_fd: number, callback: (error: Error) => void) => callback(new Error('EIO: injected'))) as never);
        const batch = encodeRecordBatch([{ value: 'x' }], { now: 1 });
        await broker.topics.partition('orders', 0).append(batch, readBatchHeader(batch)).catch(() => undefined);
      } else if (type.startsWith('xstate.after.')) {
        held = arrangeRecovery(steps[i + 2]?.event.type);
        clock.increment(60_000);
      } else if (type === 'partition.close') {
        if (steps.slice(i + 1).some((s) => s.event.type === 'xstate.error.actor.closeLog')) failPartitionClose(broker);
        closing = broker.close();
      }
      // closeLog completes on its own once closing started
      await expectHistory(broker.inspector, actorId, path, i + 1);
    }
  } finally {
    vi.restoreAllMocks();
    held.finish('done');
    await (closing ?? broker?.close())?.catch(() => undefined);
    await dir.remove();
  }
}

describe('partition machine against the real runtime', () => {
  pathTests(partitionMachine, paths, runPath);
});
