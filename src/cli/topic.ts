/** `actormq topic create|list|describe`. */
import { connect, type Client } from '../client/index.js';
import { connectionFlags, connectionSettings, integerFlag, parse, UsageError } from './args.js';

export const topicUsage = `actormq topic create <name> [--partitions 1] [--retention-ms N] [--retention-bytes N] [--segment-bytes N] [--segment-ms N]
actormq topic list
actormq topic describe <name>
  (all take --url ws://127.0.0.1:7070 --token T; ACTORMQ_URL and ACTORMQ_TOKEN work too)`;

export async function withClient<T>(values: Record<string, string | boolean | undefined>, work: (client: Client) => Promise<T>): Promise<T> {
  const { url, clientId, token } = connectionSettings(values);
  const client = await connect(url, { clientId, token });
  try {
    return await work(client);
  } finally {
    await client.close();
  }
}

export async function topic(argv: string[]): Promise<void> {
  const [action, ...rest] = argv;
  const { values, positionals } = parse(rest, {
    ...connectionFlags,
    partitions: { type: 'string' },
    'retention-ms': { type: 'string' },
    'retention-bytes': { type: 'string' },
    'segment-bytes': { type: 'string' },
    'segment-ms': { type: 'string' },
  });
  switch (action) {
    case 'create': {
      const name = requireName(positionals);
      const config = {
        partitions: integerFlag(values, 'partitions') ?? 1,
        retentionMs: integerFlag(values, 'retention-ms'),
        retentionBytes: integerFlag(values, 'retention-bytes'),
        segmentBytes: integerFlag(values, 'segment-bytes'),
        segmentMs: integerFlag(values, 'segment-ms'),
      };
      await withClient(values, async (client) => {
        await client.createTopic(name, config);
        process.stdout.write(`topic ${name}: ${config.partitions} partition(s)\n`);
      });
      return;
    }
    case 'list':
      return withClient(values, async (client) => {
        const topics = await client.listTopics();
        for (const entry of topics) process.stdout.write(`${entry.name}\t${entry.partitions}\n`);
      });
    case 'describe': {
      const name = requireName(positionals);
      return withClient(values, async (client) => {
        const description = await client.describeTopic(name);
        process.stdout.write(`${JSON.stringify(description, null, 2)}\n`);
      });
    }
    default:
      throw new UsageError(topicUsage);
  }
}

function requireName(positionals: string[]): string {
  const [name] = positionals;
  if (!name) throw new UsageError('a topic name is required');
  return name;
}
