#!/usr/bin/env node
/**
 * Makes the commands of package.json "bin" executable once tsc has written
 * them: npm sets a bin's mode only when it installs the package into another
 * project, so inside this checkout `npx actormq` would be refused (EACCES).
 */
import { chmodSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const { bin } = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));
for (const file of Object.values(bin)) chmodSync(`${root}${file}`, 0o755);
