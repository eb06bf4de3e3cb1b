/**
 * A broker on a data dir with one client connected: tests that restart a
 * broker on the same data dir start one, stop it, and start another.
 */
import { startBroker, type Broker, type BrokerOptions } from '../../src/broker/index.js';
import { connect, type Client } from '../../src/client/index.js';

export interface BrokerNode { broker: Broker; client: Client }

export async function startNode(dataDir: string, options: BrokerOptions, clientId: string): Promise<BrokerNode> {
  const broker = await startBroker({ port: 0, dataDir, logLevel: 'silent', ...options });
  return { broker, client: await connect(broker.url, { clientId }) };
}

/** Closes the client, then the broker (gracefully). */
export async function stopNode(node: BrokerNode | undefined): Promise<void> {
  await node?.client.close();
  await node?.broker.close();
}
