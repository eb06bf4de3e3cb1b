/** `actormq group list | describe <name>`. */
import type { GroupDescription } from '../client/index.js';
import { shownOf } from '../protocol/shown-of.js';
import { connectionFlags, parse, UsageError } from './args.js';
import { withClient } from './topic.js';

export const groupUsage = `actormq group list
actormq group describe <name> [--json]     (members, assignment, committed offsets and lag)`;

export async function group(argv: string[]): Promise<void> {
  const [action, ...rest] = argv;
  const { values, positionals } = parse(rest, { ...connectionFlags, json: { type: 'boolean' } });
  switch (action) {
    case 'list':
      return withClient(values, async (client) => {
        const groups = await client.listGroups();
        process.stdout.write(table([['GROUP', 'STATE', 'MEMBERS'], ...groups.map((g) => [g.group, g.state, String(g.members)])]));
      });
    case 'describe': {
      const [name] = positionals;
      if (!name) throw new UsageError(`a group name is required\n${groupUsage}`);
      return withClient(values, async (client) => {
        const description = await client.describeGroup(name);
        process.stdout.write(values.json ? `${JSON.stringify(description, null, 2)}\n` : formatGroup(description));
      });
    }
    default:
      throw new UsageError(groupUsage);
  }
}

/**
 * Header lines, then the members and their partitions, then per partition
 * the committed offset, the end offset and the lag; "N of M shown" under
 * (or beside) each list the broker cut to fit its answer frame.
 */
export function formatGroup(description: GroupDescription): string {
  const head = `group ${description.group}: ${description.state}, generation ${description.generation}, ordering ${description.ordering}, topics ${description.topics.join(', ') || '-'}\n\n`;
  const members = description.members.map((m) => {
    const assigned = m.assignments.map((a) => `${a.topic}/${a.partition}`).join(',') || '-';
    const cut = shownOf(m.assignments.length, m.assignmentsTotal, 'partitions');
    return [m.id, m.clientId, m.state, assigned + (cut && ` (${cut})`)];
  });
  const lag = [...description.lag]
    .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition)
    .map((l) => [l.topic, String(l.partition), String(l.committedOffset), String(l.endOffset), String(l.endOffset - l.committedOffset)]);
  return head
    + table([['MEMBER', 'CLIENT', 'STATE', 'ASSIGNMENT'], ...members]) + cutLine(description.members.length, description.membersTotal, 'members') + '\n'
    + table([['TOPIC', 'PARTITION', 'COMMITTED', 'END', 'LAG'], ...lag]) + cutLine(description.lag.length, description.lagTotal, 'partitions');
}

/** A line under a list the broker cut to fit its answer frame; nothing under a whole one. */
function cutLine(shown: number, total: number, things: string): string {
  const text = shownOf(shown, total, things);
  return text && `${text}\n`;
}

/** Left-aligned columns, two spaces apart. */
function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  return rows.map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column]!))).join('  ')).join('\n') + '\n';
}
