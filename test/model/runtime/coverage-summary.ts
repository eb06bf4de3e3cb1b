/**
 * Vitest global setup: clears the rows of an earlier run, and after every
 * test file has run prints one table — machine, states and transitions
 * covered by paths the real runtime walked — with every machine exported
 * from machines/ listed, so a machine without runtime paths shows as such.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as machines from '../../../machines/index.js';
import type { Coverage } from '../graph-plan.js';
import { coverageDir } from './coverage-table.js';

export default function setup(): () => void {
  rmSync(coverageDir, { recursive: true, force: true });
  return () => {
    if (!existsSync(coverageDir)) return; // no runtime path test ran (a filtered run)
    const rows = new Map<string, Coverage>();
    for (const file of readdirSync(coverageDir)) {
      const row = JSON.parse(readFileSync(join(coverageDir, file), 'utf8')) as Coverage;
      rows.set(row.machine, row);
    }
    const lines = Object.values(machines).map(({ id }) => {
      const row = rows.get(id);
      return row ? `| ${id} | ${row.statesCovered}/${row.statesTotal} | ${row.transitionsCovered}/${row.transitionsTotal} |` : `| ${id} | not run | not run |`;
    });
    console.log(['', 'Machine coverage by paths the real runtime walked', '', '| machine | states | transitions |', '| --- | --- | --- |', ...lines, ''].join('\n'));
  };
}
