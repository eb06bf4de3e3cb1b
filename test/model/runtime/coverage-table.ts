/**
 * The coverage table of the generated runtime tests: each machine's test
 * records its row in a file (test files run in separate workers); the global
 * teardown (coverage-summary.ts) prints one table of every machine.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Coverage } from '../graph-plan.js';

export const coverageDir = join(import.meta.dirname, '../../../test-artifacts/machine-coverage');

export function recordCoverage(coverage: Coverage): void {
  mkdirSync(coverageDir, { recursive: true });
  writeFileSync(join(coverageDir, `${coverage.machine}.json`), JSON.stringify(coverage));
}
