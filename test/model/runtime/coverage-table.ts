/**
 * The coverage table of the generated runtime tests: each machine's test
 * records its row; the rows print as a table when the file's tests end.
 */
import { afterAll } from 'vitest';
import type { Coverage } from '../graph-plan.js';

const rows: Coverage[] = [];

afterAll(() => {
  if (rows.length === 0) return;
  const lines = rows.map((r) => `| ${r.machine} | ${r.statesCovered}/${r.statesTotal} | ${r.transitionsCovered}/${r.transitionsTotal} |`);
  console.log(['', '| machine | states | transitions |', '| --- | --- | --- |', ...lines].join('\n'));
});

export function recordCoverage(coverage: Coverage): void {
  rows.push(coverage);
}
