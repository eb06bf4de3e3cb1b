import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { brokerNodeOptions } from '../../src/cli/broker-node-options.js';

const root = new URL('../../', import.meta.url);
const options = brokerNodeOptions.join(' ');

describe('the node options of the broker process', () => {
  it('are in the actormq command\'s first line, source and build', () => {
    for (const file of ['src/cli/main.ts', 'dist/src/cli/main.js']) {
      const firstLine = readFileSync(new URL(file, root), 'utf8').split('\n')[0];
      expect(firstLine, file).toBe(`#!/usr/bin/env -S node ${options}`);
    }
  });

  it('are in npm start', () => {
    const { scripts } = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { scripts: Record<string, string> };
    expect(scripts.start).toContain(`node ${options} dist/src/cli/main.js serve`);
  });
});
