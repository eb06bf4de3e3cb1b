#!/usr/bin/env -S node --initial-old-space-size=64
/** The `actormq` command. */
import { consume, consumeUsage } from './consume.js';
import { group, groupUsage } from './group.js';
import { machines, machinesUsage } from './machines.js';
import { produce, produceUsage } from './produce.js';
import { serve, serveUsage } from './serve.js';
import { topic, topicUsage } from './topic.js';
import { txn, txnUsage } from './txn.js';
import { verify, verifyUsage } from './verify.js';
import { UsageError } from './args.js';

const usage = `usage:
${serveUsage}
${topicUsage}
${txnUsage}
${produceUsage}
${consumeUsage}
${groupUsage}
${machinesUsage}
${verifyUsage}`;

const commands: Record<string, (argv: string[]) => Promise<void>> = { serve, topic, txn, produce, consume, group, machines, verify };

async function main(argv: string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${usage}\n`);
    return;
  }
  const command = commands[name];
  if (!command) throw new UsageError(`unknown command ${name}\n${usage}`);
  await command(rest);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof UsageError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  const code = (error as { code?: string }).code;
  process.stderr.write(`error${code ? ` ${code}` : ''}: ${(error as Error).message}\n`);
  process.exit(1);
});
