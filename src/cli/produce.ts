/**
 * `actormq produce <topic> [value]`: sends one message, or one message per
 * line of standard input. Values that parse as JSON are sent as that value,
 * others as the string.
 */
import { createInterface } from 'node:readline';
import { connectionFlags, parse, stringFlag, UsageError } from './args.js';
import { withClient } from './topic.js';

export const produceUsage = 'actormq produce <topic> [value] [--key K] [--header name=value ...]   (no value: one message per stdin line)';

function parseValue(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function parseHeaders(raw: string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const pair of raw) {
    const split = pair.indexOf('=');
    if (split < 1) throw new UsageError(`--header takes name=value, got ${pair}`);
    headers[pair.slice(0, split)] = pair.slice(split + 1);
  }
  return headers;
}

export async function produce(argv: string[]): Promise<void> {
  const { values, positionals } = parse(argv, { ...connectionFlags, key: { type: 'string' }, header: { type: 'string', multiple: true } });
  const [topicName, ...valueWords] = positionals;
  if (!topicName) throw new UsageError(produceUsage);
  const key = stringFlag(values, 'key');
  const headers = parseHeaders((values.header as unknown as string[] | undefined) ?? []);
  await withClient(values, async (client) => {
    const producer = client.producer();
    const sendOne = async (text: string): Promise<void> => {
      const result = await producer.send(topicName, { key, value: parseValue(text), headers });
      process.stdout.write(`${result.topic}/${result.partition}@${result.offset}\n`);
    };
    if (valueWords.length > 0) {
      await sendOne(valueWords.join(' '));
    } else {
      for await (const line of createInterface({ input: process.stdin })) if (line.length > 0) await sendOne(line);
    }
    await producer.close();
  });
}
