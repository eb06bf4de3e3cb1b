/**
 * A real broker in this process for consumer-group tests, on a temporary
 * data directory, restartable on the same port and directory; clients it
 * hands out reconnect fast and are closed with it.
 */
import { startBroker, type Broker } from '../../src/broker/index.js';
import { connect, type Client, type ConnectOptions } from '../../src/client/index.js';
import { tempDir } from '../../bench/lib/temp-dir.js';

export class GroupFixture {
  private readonly clients: Client[] = [];

  private constructor(public broker: Broker, private readonly dir: { path: string; remove(): Promise<void> }) {}

  static async start(): Promise<GroupFixture> {
    const dir = await tempDir('actormq-groups-');
    return new GroupFixture(await startBroker({ port: 0, dataDir: dir.path, logLevel: 'silent' }), dir);
  }

  get url(): string {
    return this.broker.url;
  }

  /** A client that reconnects within ~100 ms; closed by `close()`. */
  async client(clientId: string, options: Partial<ConnectOptions> = {}, url = this.url): Promise<Client> {
    const client = await connect(url, { clientId, reconnectBackoffMs: 10, reconnectBackoffMaxMs: 100, ...options });
    this.clients.push(client);
    return client;
  }

  /** Graceful broker shutdown, then a new broker on the same port and data directory. */
  async restart(): Promise<void> {
    const port = this.broker.port;
    await this.broker.close();
    this.broker = await startBroker({ port, dataDir: this.dir.path, logLevel: 'silent' });
  }

  async close(): Promise<void> {
    await Promise.all(this.clients.splice(0).map((client) => client.close()));
    await this.broker.close();
    await this.dir.remove();
  }
}

/** Polls `condition` every 5 ms; throws with `what` after `timeoutMs`. */
export async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Sends `count` messages with value = index (and key from `keyOf`), in one sendBatch; resolves when all are durable. */
export async function produceNumbered(client: Client, topic: string, count: number, keyOf: (i: number) => string | undefined = () => undefined, first = 0): Promise<void> {
  const producer = client.producer();
  await producer.sendBatch(topic, Array.from({ length: count }, (_, i) => ({ key: keyOf(first + i), value: first + i })));
  await producer.close();
}
