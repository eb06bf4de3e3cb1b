/** `actormq txn list | status <id> | resolve <id> commit|rollback`. */
import { connectionFlags, parse, UsageError } from './args.js';
import { withClient } from './topic.js';

export const txnUsage = `actormq txn list
actormq txn status <id>
actormq txn resolve <id> commit|rollback     (parked transactions only)`;

export async function txn(argv: string[]): Promise<void> {
  const [action, ...rest] = argv;
  const { values, positionals } = parse(rest, { ...connectionFlags });
  switch (action) {
    case 'list':
      return withClient(values, async (client) => {
        const transactions = await client.listTransactions();
        process.stdout.write('id\tgroup\tstate\tage\tchecks\tmessages\n');
        for (const t of transactions) process.stdout.write(`${t.id}\t${t.group}\t${t.state}\t${formatAge(t.ageMs)}\t${t.checks}\t${t.messages}\n`);
      });
    case 'status': {
      const id = requireId(positionals);
      return withClient(values, async (client) => {
        process.stdout.write(`${JSON.stringify(await client.describeTransaction(id), null, 2)}\n`);
      });
    }
    case 'resolve': {
      const id = requireId(positionals);
      const outcome = positionals[1];
      if (outcome !== 'commit' && outcome !== 'rollback') throw new UsageError(`txn resolve ${id} needs commit or rollback\n${txnUsage}`);
      return withClient(values, async (client) => {
        process.stdout.write(`${id}: ${await client.resolveTransaction(id, outcome)}\n`);
      });
    }
    default:
      throw new UsageError(txnUsage);
  }
}

function requireId(positionals: string[]): string {
  const [id] = positionals;
  if (!id) throw new UsageError('a transaction id is required');
  return id;
}

function formatAge(ms: number): string {
  if (ms < 1_000) return `${ms}ms`;
  if (ms < 120_000) return `${(ms / 1_000).toFixed(1)}s`;
  return `${Math.round(ms / 60_000)}m`;
}
