/**
 * Plain HTTP on the broker's port: the visualiser page, its bundle, the
 * browser build of the client and the machine graphs. The page's live data
 * comes over the WebSocket protocol on the same port (hello with the token,
 * then `inspect`), so the broker token guards it like any other request;
 * nothing served here is more than the code and the machine definitions.
 *
 * Only the names listed in `routes` are served — a request path is looked up
 * in that table, never joined to a directory — so no path reaches another
 * file. Assets are the output of `npm run build` (scripts/build-ui.mjs) in
 * `dist/ui/`.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { fileURLToPath } from 'node:url';
import { exportMachines } from './machine-export.js';
import { machineGraphs } from './machine-graph.js';

interface Route { file: string; contentType: string }

const routes: ReadonlyMap<string, Route> = new Map([
  ['/', { file: 'index.html', contentType: 'text/html; charset=utf-8' }],
  ['/index.html', { file: 'index.html', contentType: 'text/html; charset=utf-8' }],
  ['/app.js', { file: 'app.js', contentType: 'text/javascript; charset=utf-8' }],
  ['/app.css', { file: 'app.css', contentType: 'text/css; charset=utf-8' }],
  ['/actormq.js', { file: 'actormq.js', contentType: 'text/javascript; charset=utf-8' }],
]);

export const machinesPath = '/machines.json';

const securityHeaders = {
  'x-content-type-options': 'nosniff',
  // The page loads nothing from elsewhere (it works offline) and talks only to this broker.
  'content-security-policy': "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; frame-ancestors 'none'",
  'cache-control': 'no-cache',
};

/**
 * Where the built assets are: `dist/ui` next to the compiled `dist/src/`, or,
 * when running from the TypeScript sources (tests), the repository's `dist/ui`.
 */
export function defaultAssetsDir(): string {
  const candidates = ['../../ui/', '../../dist/ui/'].map((relative) => fileURLToPath(new URL(relative, import.meta.url)));
  return candidates.find((dir) => existsSync(`${dir}index.html`)) ?? candidates[0]!;
}

/** The page's address for a broker at `ws://host:port`. */
export function uiUrl(brokerUrl: string): string {
  return `${brokerUrl.replace(/^ws/, 'http')}/`;
}

export type HttpHandler = (request: IncomingMessage, response: ServerResponse) => void;

export function createUiHandler(assetsDir: string = defaultAssetsDir()): HttpHandler {
  let machinesJson: string | undefined;
  return (request, response) => {
    const path = (request.url ?? '/').split('?', 1)[0]!;
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return send(response, 405, 'text/plain', `${request.method} not allowed\n`, { allow: 'GET, HEAD' });
    }
    if (path === machinesPath) {
      machinesJson ??= exportMachines(machineGraphs(), 'json');
      return send(response, 200, 'application/json', machinesJson);
    }
    const route = routes.get(path);
    if (!route) return send(response, 404, 'text/plain', `not found: ${path}\nactormq serves its visualiser at / and speaks WebSocket on this port\n`);
    readFile(`${assetsDir}/${route.file}`).then(
      (body) => send(response, 200, route.contentType, body),
      () => send(response, 503, 'text/plain', `the visualiser is not built (${route.file} missing in ${assetsDir}): run npm run build\n`),
    );
  };
}

function send(response: ServerResponse, status: number, contentType: string, body: string | Buffer, headers: Record<string, string> = {}): void {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  response.writeHead(status, { ...securityHeaders, ...headers, 'content-type': contentType, 'content-length': bytes.length });
  response.end(response.req.method === 'HEAD' ? undefined : bytes);
}
