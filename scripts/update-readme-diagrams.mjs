#!/usr/bin/env node
/**
 * Rewrites the statechart diagrams in README.md (between the machines:begin
 * and machines:end markers) from the machine definitions, through the same
 * code as `actormq machines export --format mermaid`. Run after changing a
 * machine: `npm run build && node scripts/update-readme-diagrams.mjs`.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { withReadmeDiagrams } from '../dist/src/inspect/machine-export.js';
import { machineGraphs } from '../dist/src/inspect/machine-graph.js';

const path = new URL('../README.md', import.meta.url);
const readme = await readFile(path, 'utf8');
const updated = withReadmeDiagrams(readme, machineGraphs());
if (updated !== readme) await writeFile(path, updated);
process.stdout.write(updated === readme ? 'README.md diagrams are up to date\n' : 'README.md diagrams updated\n');
