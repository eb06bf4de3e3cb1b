#!/usr/bin/env node
/**
 * Builds the browser side with esbuild into dist/ui/, which the broker serves:
 *   app.js      the visualiser page (src/inspect/ui/main.ts), one ESM bundle
 *   app.css     its styles
 *   index.html  the page
 *   actormq.js  the browser build of the client (src/client/index.ts, ESM)
 * `ws` is left out of both bundles: the client imports it only where the
 * platform has no WebSocket, which never happens in a browser.
 * Type-checking is tsc's job (src/inspect/ui/tsconfig.json), run before this.
 */
import { build } from 'esbuild';
import { copyFile, mkdir, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const outdir = `${root}dist/ui`;

const browser = {
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: ['es2022', 'chrome110', 'firefox110', 'safari16'],
  minify: true,
  legalComments: 'none',
  external: ['ws'],
  logLevel: 'warning',
  absWorkingDir: root,
};

await mkdir(outdir, { recursive: true });
await Promise.all([
  build({ ...browser, entryPoints: { app: 'src/inspect/ui/main.ts' }, outdir }),
  build({ ...browser, entryPoints: { app: 'src/inspect/ui/style.css' }, outdir }),
  build({ ...browser, entryPoints: { actormq: 'src/client/index.ts' }, outdir }),
  copyFile(`${root}src/inspect/ui/index.html`, `${outdir}/index.html`),
]);

const sizes = await Promise.all(['app.js', 'app.css', 'actormq.js'].map(async (name) => `${name} ${((await stat(`${outdir}/${name}`)).size / 1024).toFixed(1)} KiB`));
if (!process.argv.includes('--quiet')) process.stdout.write(`dist/ui: ${sizes.join(', ')}\n`);
