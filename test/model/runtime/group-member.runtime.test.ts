/**
 * The group member machine's generated paths, run against the real broker:
 * the member under test and helper members join over their own connections
 * and send heartbeats, leaves and releases frame by frame; its socket
 * vanishes; its session runs out when a SimulatedClock moves. After each step
 * the member actor's history, read through the inspector, must equal the path.
 */
import { describe, expect, vi } from 'vitest';
import { SimulatedClock, type AnyMachineSnapshot } from 'xstate';
import { groupMemberMachine } from '../../../machines/group-member.machine.js';
import { startBroker, type Broker } from '../../../src/broker/index.js';
import { tempDir } from '../../../bench/lib/temp-dir.js';
import { planTransitionCoverage, type MachinePath, type PayloadVariants } from '../graph-plan.js';
import { pathTests } from './path-tests.js';
import { expectHistory } from './history.js';
import { RawMember } from '../../helpers/raw-member.js';

const group = 'cart';
const topic = 'orders';
/** Three partitions under the range assignor: a member's run can grow, shrink by one, or vanish (see below). */
const partitionCount = 3;
const sessionTimeoutMs = 10_000;
/** Helpers outlive every clock move of these tests. */
const helperSessionTimeoutMs = 3_600_000;
const input = { group, memberId: 'model', clientId: 'model', sessionTimeoutMs };

/**
 * Why these variants differ from the pure machine test's (any partition
 * count, any event at any time): the runtime decides the counts and sends
 * some events only together. The environment is a three-partition topic
 * under the range assignor (members in join order get contiguous runs); the
 * sticky default never takes an owner's last partition, so under it the
 * machine's revoking --revoke.done--> idle would be unreachable.
 * - joining: the member joins an empty group and gets all three, or joins
 *   behind a helper that owns them and gets none until the helper releases;
 * - idle: the helper's release gives it one partition;
 * - assigned with fewer than three: the helper leaves and it gets all three;
 *   with three it is alone and nobody can leave;
 * - a revocation (a helper joins) takes exactly one partition, so the
 *   member's release reports one less: 3 → 2 as sole owner, 1 → 0 behind a
 *   helper;
 * - a leave is always followed at once by the broker's own revoke.done(0),
 *   so once `leaving` is set nothing else can come first.
 */
const notLeaving = (snapshot: AnyMachineSnapshot) => (snapshot.context.leaving ? [] : [{}]);
const variants: PayloadVariants = {
  'assignment.set': (snapshot) => {
    if (snapshot.value === 'joining') return [{ partitionCount }, { partitionCount: 0 }];
    if (snapshot.value === 'idle') return [{ partitionCount: 1 }];
    return snapshot.context.partitionCount < partitionCount ? [{ partitionCount }] : [];
  },
  'revoke.done': (snapshot) => [{ partitionCount: snapshot.context.leaving ? 0 : snapshot.context.partitionCount - 1 }],
  'member.heartbeat': notLeaving,
  'member.leave': notLeaving,
  'socket.closed': notLeaving,
  'xstate.after.sessionTimeout.member.revoking': notLeaving,
};
const paths = planTransitionCoverage(groupMemberMachine, input, variants);

/**
 * Withholds the coordinator's `member.join` notice to the group (it goes out
 * with setImmediate once the join is answered): the group never rebalances
 * for the member, which stays in `joining` while the path acts there, like a
 * member whose group is slow to answer. Every other setImmediate runs as usual.
 */
function holdJoinNotices(): void {
  const setImmediate = globalThis.setImmediate;
  vi.spyOn(globalThis, 'setImmediate').mockImplementation(((callback: (...args: unknown[]) => void, ...args: unknown[]) =>
    setImmediate(String(callback).includes('member.join') ? () => undefined : callback, ...args)) as never);
}

interface Walk { broker: Broker; clock: SimulatedClock; member: RawMember; helpers: RawMember[] }

const join = (broker: Broker, who: 'member' | 'helper') =>
  RawMember.join({ url: broker.url, group, topic, sessionTimeoutMs: who === 'member' ? sessionTimeoutMs : helperSessionTimeoutMs });
const generationNow = (broker: Broker) => broker.inspector.get(`group/${group}`)!.context.generation as number;

/** The member joins an empty group, or behind a helper that owns every partition; held in `joining` unless an assignment comes next. */
async function joinMember(broker: Broker, next: { type: string; partitionCount?: number } | undefined): Promise<{ member: RawMember; helpers: RawMember[] }> {
  const helpers: RawMember[] = [];
  if (next?.type === 'assignment.set' && next.partitionCount === 0) {
    const owner = await join(broker, 'helper');
    await owner.client.waitFor((frame) => frame.type === 'assignment');
    helpers.push(owner);
  }
  if (next?.type !== 'assignment.set') holdJoinNotices();
  return { member: await join(broker, 'member'), helpers };
}

async function takeStep(walk: Walk, event: { type: string }, before: AnyMachineSnapshot): Promise<void> {
  const { broker, member, helpers } = walk;
  if (event.type === 'member.heartbeat') await member.heartbeat();
  else if (event.type === 'member.leave') await member.leave();
  else if (event.type === 'socket.closed') member.terminate();
  else if (event.type.startsWith('xstate.after.')) walk.clock.increment(sessionTimeoutMs);
  else if (event.type === 'assignment.revoke') helpers.push(await join(broker, 'helper'));
  else if (event.type === 'assignment.set' && before.value === 'idle') {
    for (const helper of helpers) await helper.releaseLost(generationNow(broker));
  } else if (event.type === 'assignment.set' && before.value === 'assigned') {
    for (const helper of helpers) await helper.leave();
  } else if (event.type === 'revoke.done' && !before.context.leaving) {
    await member.releaseLost(generationNow(broker));
  }
  // Otherwise the broker sends it by itself: the assignment of a join, the revoke.done of a leave.
}

/** The model's partition counts are the runtime's: compared whenever the actor has not moved past the step. */
function expectContext(broker: Broker, actorId: string, path: MachinePath, count: number): void {
  const view = broker.inspector.get(actorId)!;
  const { partitionCount, leaving } = path.steps[count - 1]!.state.context;
  if (view.history.length === count) expect(view.context, `${actorId} after step ${count}`).toMatchObject({ partitionCount, leaving });
}

async function runPath(path: MachinePath): Promise<void> {
  const dir = await tempDir();
  const clock = new SimulatedClock();
  const broker = await startBroker({ port: 0, dataDir: dir.path, logLevel: 'silent', timers: clock, groupAssignment: 'range' });
  let walk: Walk | undefined;
  try {
    await broker.topics.create(topic, partitionCount);
    walk = { broker, clock, ...(await joinMember(broker, path.steps[1]?.event)) };
    await expectHistory(broker.inspector, walk.member.actorId, path, 1);
    for (let i = 1; i < path.steps.length; i++) {
      await takeStep(walk, path.steps[i]!.event, path.steps[i - 1]!.state);
      await expectHistory(broker.inspector, walk.member.actorId, path, i + 1);
      expectContext(broker, walk.member.actorId, path, i + 1);
    }
  } finally {
    vi.restoreAllMocks();
    for (const raw of [walk?.member, ...(walk?.helpers ?? [])]) raw?.client.close();
    await broker.close();
    await dir.remove();
  }
}

describe('group member machine against the real runtime', () => {
  const stepName = ({ event }: MachinePath['steps'][number]) => ('partitionCount' in event ? `${event.type}(${String(event.partitionCount)})` : event.type);
  pathTests(groupMemberMachine, paths, runPath, stepName);
});
