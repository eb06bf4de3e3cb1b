import { request, createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type Broker } from '../../src/broker/index.js';
import { createUiHandler, uiUrl } from '../../src/inspect/http-ui.js';
import { machineGraphs } from '../../src/inspect/machine-graph.js';
import { tempDir } from '../../bench/lib/temp-dir.js';
import { RawClient } from '../helpers/raw-client.js';

interface Answer { status: number; headers: Record<string, string | string[] | undefined>; body: string }

/** A raw request: the path goes on the wire exactly as written (fetch would normalise `..`). */
function get(port: number, path: string, method = 'GET'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('visualiser over HTTP on the broker port', () => {
  let broker: Broker;
  let dir: Awaited<ReturnType<typeof tempDir>>;

  beforeAll(async () => {
    dir = await tempDir();
    broker = await startBroker({ port: 0, dataDir: dir.path, logLevel: 'silent', token: 'secret' });
  });
  afterAll(async () => {
    await broker.close();
    await dir.remove();
  });

  it('serves the page at / (the query string, e.g. ?token=, is the page\'s business)', async () => {
    expect(uiUrl(broker.url)).toBe(`http://127.0.0.1:${broker.port}/`);
    for (const path of ['/', '/?token=secret', '/index.html']) {
      const page = await get(broker.port, path);
      expect(page.status).toBe(200);
      expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(page.body).toContain('<script type="module" src="/app.js"></script>');
      expect(page.body).toContain('id="chart"');
    }
  });

  it('serves the bundle, its styles and the browser build of the client, self-contained', async () => {
    const app = await get(broker.port, '/app.js');
    expect(app.status).toBe(200);
    expect(app.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(app.headers['x-content-type-options']).toBe('nosniff');
    expect(app.headers['content-security-policy']).toContain("default-src 'self'");
    // Offline: nothing is fetched from elsewhere.
    expect(app.body).not.toMatch(/https?:\/\/(?!www\.w3\.org)/);
    const css = await get(broker.port, '/app.css');
    expect([css.status, css.headers['content-type']]).toEqual([200, 'text/css; charset=utf-8']);
    const client = await get(broker.port, '/actormq.js');
    expect(client.status).toBe(200);
    // An ES module exporting connect; `ws` stays an import that only runs where there is no WebSocket.
    expect(client.body).toMatch(/export\s*\{[^}]*\bconnect\b/);
    expect(client.body).not.toContain('WebSocketServer');
  });

  it('serves the machine graphs generated from the definitions', async () => {
    const answer = await get(broker.port, '/machines.json');
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe('application/json');
    expect(JSON.parse(answer.body)).toEqual({ machines: machineGraphs() });
  });

  it('answers anything else with 404 and never reaches another file', async () => {
    const attempts = ['/nope', '/../package.json', '/%2e%2e/package.json', '/app.js/../../package.json', '//etc/passwd', '/..%2f..%2fpackage.json', '/dist/ui/app.js', '/src/inspect/ui/main.ts', '/index.html/'];
    for (const path of attempts) {
      const answer = await get(broker.port, path);
      expect(answer.status, path).toBe(404);
      expect(answer.body).not.toContain('"name": "actormq"');
    }
  });

  it('allows only GET and HEAD', async () => {
    const post = await get(broker.port, '/', 'POST');
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
    const head = await get(broker.port, '/app.js', 'HEAD');
    expect(head.status).toBe(200);
    expect(Number(head.headers['content-length'])).toBeGreaterThan(1000);
    expect(head.body).toBe('');
  });

  it('still speaks WebSocket on the same port, with the token applied', async () => {
    const client = await RawClient.open(broker.url);
    const refused = await client.request({ type: 'hello', version: 1, clientId: 'no-token' });
    expect(refused).toMatchObject({ type: 'error', code: 'NOT_AUTHORIZED' });
    expect(await client.closed).toBe(1008);
    const watcher = await RawClient.open(broker.url);
    await watcher.request({ type: 'hello', version: 1, clientId: 'watcher', token: 'secret' });
    const listed = await watcher.request({ type: 'inspect' });
    expect(listed.body.actors.some((actor: { kind: string }) => actor.kind === 'connection')).toBe(true);
    watcher.close();
  });
});

describe('visualiser assets missing', () => {
  let server: Server;
  beforeAll(async () => {
    server = createServer(createUiHandler('/nonexistent-actormq-ui'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('says to build them (503), and machine graphs still work', async () => {
    const port = (server.address() as { port: number }).port;
    const page = await get(port, '/');
    expect(page.status).toBe(503);
    expect(page.body).toContain('npm run build');
    expect((await get(port, '/machines.json')).status).toBe(200);
  });
});
