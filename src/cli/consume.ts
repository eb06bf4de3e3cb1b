/**
 * `actormq consume`: joins a consumer group and prints each message as one
 * line, `topic/partition@offset key value`, the value as JSON, until Ctrl-C
 * or SIGTERM; then the member leaves gracefully (acks sent, partitions handed
 * on). The key prints as `-` when there is none.
 */
import { connect, type ConsumerMessage, type Ordering, type StartFrom } from '../client/index.js';
import { connectionFlags, connectionSettings, parse, stringFlag, UsageError } from './args.js';

export const consumeUsage = `actormq consume --group G --topic T [--topic T2 ...] [--from latest|earliest] [--ordering partition|key|none]
                (prints topic/partition@offset key value-as-JSON per message until Ctrl-C)`;

export async function consume(argv: string[]): Promise<void> {
  const { values } = parse(argv, {
    ...connectionFlags,
    group: { type: 'string' },
    topic: { type: 'string', multiple: true },
    from: { type: 'string' },
    ordering: { type: 'string' },
  });
  const group = stringFlag(values, 'group');
  const topics = (values.topic as unknown as string[] | undefined) ?? [];
  if (!group || topics.length === 0) throw new UsageError(consumeUsage);
  const from = choice(values, 'from', ['earliest', 'latest']) as StartFrom | undefined;
  const ordering = choice(values, 'ordering', ['partition', 'key', 'none']) as Ordering | undefined;
  const { url, clientId, token } = connectionSettings(values);
  const client = await connect(url, { clientId, token });
  const stopped = new Promise<void>((resolve, reject) => {
    const consumer = client.consumer({ group, topics, from, ordering, onError: reject });
    const stop = (): void => void consumer.close().then(resolve, reject);
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    consumer.run(async (message) => {
      process.stdout.write(`${formatMessage(message)}\n`);
    }).catch(reject);
  });
  try {
    await stopped;
  } finally {
    await client.close();
  }
}

function choice(values: Record<string, string | boolean | undefined>, name: string, allowed: string[]): string | undefined {
  const value = stringFlag(values, name);
  if (value !== undefined && !allowed.includes(value)) throw new UsageError(`--${name} must be ${allowed.join(' or ')}, got ${value}`);
  return value;
}

export function formatMessage(message: ConsumerMessage): string {
  const key = message.key === null ? '-' : typeof message.key === 'string' ? message.key : `0x${Buffer.from(message.key).toString('hex')}`;
  return `${message.topic}/${message.partition}@${message.offset} ${key} ${toJson(message.value)}`;
}

/** JSON for any decoded value: bytes as their UTF-8 text (base64 when not text), bigints as strings, maps as objects. */
function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => {
    if (item instanceof Uint8Array) {
      const bytes = Buffer.from(item.buffer, item.byteOffset, item.byteLength);
      const text = bytes.toString('utf8');
      return Buffer.from(text, 'utf8').equals(bytes) ? text : { base64: bytes.toString('base64') };
    }
    if (typeof item === 'bigint') return item.toString();
    if (item instanceof Map) return Object.fromEntries(item);
    if (item instanceof Set) return [...item];
    return item;
  }) ?? 'null';
}
