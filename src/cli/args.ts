/** Flag parsing shared by the CLI commands (node:util parseArgs, strict). */
import { parseArgs, type ParseArgsConfig } from 'node:util';

export class UsageError extends Error {}

export type Options = NonNullable<ParseArgsConfig['options']>;

export function parse(argv: string[], options: Options): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    return { values: values as Record<string, string | boolean | undefined>, positionals };
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

export function integerFlag(values: Record<string, string | boolean | undefined>, name: string): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  // Digits only: Number() reads '' and ' ' as 0, and takes hex and exponents.
  const value = typeof raw === 'string' && /^[0-9]+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value)) throw new UsageError(`--${name} must be a non-negative integer, got ${JSON.stringify(raw)}`);
  return value;
}

export function stringFlag(values: Record<string, string | boolean | undefined>, name: string): string | undefined {
  const raw = values[name];
  return typeof raw === 'string' ? raw : undefined;
}

/** Flags every command that talks to a broker accepts. */
export const connectionFlags: Options = {
  url: { type: 'string' },
  token: { type: 'string' },
  'client-id': { type: 'string' },
};

export function connectionSettings(values: Record<string, string | boolean | undefined>): { url: string; clientId: string; token: string | undefined } {
  return {
    url: stringFlag(values, 'url') ?? process.env.ACTORMQ_URL ?? 'ws://127.0.0.1:7070',
    clientId: stringFlag(values, 'client-id') ?? 'actormq-cli',
    token: stringFlag(values, 'token') ?? process.env.ACTORMQ_TOKEN,
  };
}
