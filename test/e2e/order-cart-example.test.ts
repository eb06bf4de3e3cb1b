import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const example = join(import.meta.dirname, '../../dist/examples/order-cart/run.js');

describe('examples/order-cart', () => {
  it('clears each cart exactly once, never for the failed order, also when the order service dies before its commit', async () => {
    const { stdout } = await run(process.execPath, [example], { timeout: 60_000 });
    const cleared = stdout.split('\n').filter((line) => line.includes('[cart-service]'));
    expect(cleared).toEqual([
      expect.stringContaining('order o-1 arrived: cleared the cart of user-1 (book)'),
      expect.stringContaining('order o-3 arrived: cleared the cart of user-3 (mug, tea)'),
    ]);
    expect(stdout).toContain('killed after the local commit, before telling the broker');
    expect(stdout).toMatch(/txn-\d+ in state half/);
    expect(stdout).toMatch(/checking \(check due\) → committing \(check\.answered\) → committed/);
  }, 60_000);
});
