/**
 * A group's description cut to fit one answer frame. A group may have a
 * thousand members, each (in key ordering) assigned every partition of its
 * topics, and lag for each of those partitions: far more than maxFrameBytes.
 *
 * Members (with their assignments) and lag share the room the rest of the
 * answer leaves: each gets half, and what one does not need the other may
 * use. Each member's assignments get an equal share of the members' room,
 * so one member's many partitions do not hide the other members. Lists are
 * cut at the end, never filled in; the totals count everything.
 */
import { arrayHeaderGrowthBytes, encodedBytes, roomForLists, takeWithin, widestInteger } from '../../protocol/answer-room.js';
import type { DescribeGroupBody, GroupLag, GroupMemberDescription } from '../../protocol/frames.js';

export type WholeMemberDescription = Omit<GroupMemberDescription, 'assignmentsTotal'>;
export type WholeGroupDescription = Omit<DescribeGroupBody, 'members' | 'membersTotal' | 'lag' | 'lagTotal'> & {
  members: WholeMemberDescription[];
  lag: GroupLag[];
};

export function fitGroupDescription(whole: WholeGroupDescription, maxFrameBytes: number): DescribeGroupBody {
  const { members, lag, ...head } = whole;
  const room = roomForLists(maxFrameBytes, { ...head, members: [], membersTotal: widestInteger, lag: [], lagTotal: widestInteger }, 2);
  const lagFirst = takeWithin(lag, Math.floor(room / 2));
  const membersListed = takeWithin(membersWithin(members, room - lagFirst.bytes), room - lagFirst.bytes);
  const lagListed = lagFirst.listed.length < lag.length ? takeWithin(lag, room - membersListed.bytes) : lagFirst;
  return { ...head, members: membersListed.listed, membersTotal: members.length, lag: lagListed.listed, lagTotal: lag.length };
}

/** Every member with the first of its assignments that fit its share of `roomBytes`. */
function membersWithin(members: WholeMemberDescription[], roomBytes: number): GroupMemberDescription[] {
  const shareBytes = Math.floor(roomBytes / Math.max(1, members.length));
  return members.map((member) => {
    const emptyBytes = encodedBytes({ ...member, assignments: [], assignmentsTotal: widestInteger }) + arrayHeaderGrowthBytes;
    return { ...member, assignments: takeWithin(member.assignments, shareBytes - emptyBytes).listed, assignmentsTotal: member.assignments.length };
  });
}
