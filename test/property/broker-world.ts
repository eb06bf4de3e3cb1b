/**
 * The real system under a property run: a broker child process (so it can be
 * SIGKILLed and restarted on the same data dir and port) and one client.
 */
import { connect, type Client, type Producer } from '../../src/client/index.js';
import { spawnBroker, type BrokerProcess } from '../../bench/lib/broker-process.js';
import { tempDir } from '../../bench/lib/temp-dir.js';

export class BrokerWorld {
  /** Sends not yet acknowledged (and their bookkeeping). */
  inFlight: Array<Promise<void>> = [];

  private constructor(
    private broker: BrokerProcess,
    readonly client: Client,
    readonly producer: Producer,
    private readonly dir: { path: string; remove: () => Promise<void> },
  ) {}

  static async start(): Promise<BrokerWorld> {
    const dir = await tempDir('actormq-property-');
    const broker = await spawnBroker(dir.path);
    const client = await connect(broker.url, { clientId: 'property', reconnectBackoffMs: 10, reconnectBackoffMaxMs: 200 });
    return new BrokerWorld(broker, client, client.producer({ lingerMs: 0, retryBackoffMs: 10, retryBackoffMaxMs: 200 }), dir);
  }

  get url(): string {
    return this.broker.url;
  }

  /** SIGKILL, then a new broker process on the same data dir and port; the client reconnects by itself. */
  async crashAndRestart(): Promise<void> {
    const port = this.broker.port;
    await this.broker.kill();
    this.broker = await spawnBroker(this.dir.path, port);
  }

  async settle(): Promise<void> {
    const pending = this.inFlight;
    this.inFlight = [];
    await Promise.all(pending);
  }

  async stop(): Promise<void> {
    // A failed run stops with sends in flight: their outcome no longer matters.
    await Promise.allSettled(this.inFlight);
    await this.client.close().catch(() => undefined);
    await this.broker.kill();
    await this.dir.remove();
  }
}
