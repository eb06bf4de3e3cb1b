import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { readmeDiagrams, withReadmeDiagrams } from '../../src/inspect/machine-export.js';
import { machineGraphs } from '../../src/inspect/machine-graph.js';

describe('README diagrams', () => {
  it('are the diagrams of the current machine definitions (else: npm run build && node scripts/update-readme-diagrams.mjs)', async () => {
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(readmeDiagrams(machineGraphs()));
  });

  it('are replaced between the markers only', () => {
    const graphs = machineGraphs('connection');
    const readme = `# title\n\n${readmeDiagrams(machineGraphs('group'))}\n\nafter\n`;
    expect(withReadmeDiagrams(readme, graphs)).toBe(`# title\n\n${readmeDiagrams(graphs)}\n\nafter\n`);
    expect(() => withReadmeDiagrams('no markers', graphs)).toThrow(/markers/);
  });
});
