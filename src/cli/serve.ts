/** `actormq serve`: runs a broker until SIGINT or SIGTERM, then shuts down gracefully. */
import { startBroker } from '../broker/index.js';
import { resolveBrokerOptions } from '../broker/options.js';
import { uiUrl } from '../inspect/http-ui.js';
import type { BrokerOptions, FlushPolicy } from '../broker/index.js';
import type { LogLevel } from '../logger.js';
import { integerFlag, parse, stringFlag, UsageError } from './args.js';
import { transactionFaultsFromEnvironment } from './faults.js';

export const serveUsage = `actormq serve [--host 127.0.0.1] [--port 7070] [--data-dir ./data]
              [--flush sync|interval] [--flush-interval-ms 1000] [--auto-create-topics]
              [--token SECRET] [--log-level debug|info|warn|error|silent]
              [--txn-check-after-ms 6000] [--txn-check-interval-ms 60000] [--txn-max-checks 15]
              [--txn-timeout-ms 60000] [--txn-check-timeout-ms 3000] [--group-assignment sticky|range]`;

const logLevels = new Set(['debug', 'info', 'warn', 'error', 'silent']);

export async function serve(argv: string[]): Promise<void> {
  const { values } = parse(argv, {
    host: { type: 'string' },
    port: { type: 'string' },
    'data-dir': { type: 'string' },
    flush: { type: 'string' },
    'flush-interval-ms': { type: 'string' },
    'auto-create-topics': { type: 'boolean' },
    token: { type: 'string' },
    'log-level': { type: 'string' },
    'txn-check-after-ms': { type: 'string' },
    'txn-check-interval-ms': { type: 'string' },
    'txn-max-checks': { type: 'string' },
    'txn-timeout-ms': { type: 'string' },
    'txn-check-timeout-ms': { type: 'string' },
    'group-assignment': { type: 'string' },
  });
  const flush = stringFlag(values, 'flush');
  if (flush !== undefined && flush !== 'sync' && flush !== 'interval') throw new UsageError(`--flush must be sync or interval, got ${flush}`);
  const logLevel = stringFlag(values, 'log-level');
  if (logLevel !== undefined && !logLevels.has(logLevel)) throw new UsageError(`--log-level must be one of ${[...logLevels].join(', ')}`);
  const groupAssignment = stringFlag(values, 'group-assignment');
  if (groupAssignment !== undefined && groupAssignment !== 'sticky' && groupAssignment !== 'range') throw new UsageError(`--group-assignment must be sticky or range, got ${groupAssignment}`);
  const options: BrokerOptions = {
    host: stringFlag(values, 'host'),
    port: integerFlag(values, 'port') ?? 7070,
    dataDir: stringFlag(values, 'data-dir') ?? './data',
    flush: flush as FlushPolicy | undefined,
    flushIntervalMs: integerFlag(values, 'flush-interval-ms'),
    autoCreateTopics: values['auto-create-topics'] === true,
    token: stringFlag(values, 'token') ?? process.env.ACTORMQ_TOKEN,
    logLevel: logLevel as LogLevel | undefined,
    groupAssignment,
    transactions: withoutUndefined({
      checkAfterMs: integerFlag(values, 'txn-check-after-ms'),
      checkIntervalMs: integerFlag(values, 'txn-check-interval-ms'),
      maxChecks: integerFlag(values, 'txn-max-checks'),
      timeoutMs: integerFlag(values, 'txn-timeout-ms'),
      checkTimeoutMs: integerFlag(values, 'txn-check-timeout-ms'),
    }),
  };
  checkOptions(options);
  const broker = await startBroker({ ...options, transactionFaults: transactionFaultsFromEnvironment() });
  process.stdout.write(`actormq broker listening on ${broker.url} (data dir ${broker.dataDir}, flush ${broker.options.flush})\n`);
  process.stdout.write(`visualiser: ${uiUrl(broker.url)}${options.token === undefined ? '' : '?token=<token>'}\n`);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`${signal}: shutting down gracefully\n`);
    broker.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`shutdown failed: ${(error as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

/** A flag value the broker refuses is a usage error (exit 2), found before the data dir is opened. */
function checkOptions(options: BrokerOptions): void {
  try {
    resolveBrokerOptions(options);
  } catch (error) {
    if (error instanceof RangeError) throw new UsageError(error.message);
    throw error;
  }
}

function withoutUndefined<T extends Record<string, number | undefined>>(record: T): Partial<Record<keyof T, number>> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined)) as Partial<Record<keyof T, number>>;
}
