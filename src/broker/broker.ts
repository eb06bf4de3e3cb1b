/**
 * startBroker: opens the data directory, recovers every partition, then
 * serves WebSocket clients. close() is graceful: stop accepting, let in-flight
 * requests finish (their writes reach fsync), close connections, close logs.
 */
import { createServer, type Server } from 'node:http';
import { mkdir } from 'node:fs/promises';
import { WebSocketServer, type WebSocket } from 'ws';
import { encodeFrame } from '../protocol/codec.js';
import { brokerDeliverBounds } from '../protocol/limits.js';
import { createLogger, type Logger } from '../logger.js';
import { ConnectionSession } from './connection-session.js';
import { defaultGroupLimits, GroupRegistry } from './groups/group-registry.js';
import { OffsetStore } from './groups/offset-store.js';
import { lockDataDir } from './data-dir-lock.js';
import { Inspector } from '../inspect/inspector.js';
import { createUiHandler } from '../inspect/http-ui.js';
import { MetadataStore } from './metadata-store.js';
import { SegmentDescriptorCache } from '../storage/index.js';
import { resolveBrokerOptions, type BrokerOptions, type ResolvedBrokerOptions } from './options.js';
import type { BrokerServices } from './request-handlers.js';
import { TopicRegistry } from './topic-registry.js';
import { TransactionManager, type TransactionFaults } from './transactions/transaction-manager.js';

/** How long close() waits for in-flight requests before closing connections anyway. */
const drainTimeoutMs = 10_000;
const drainPollMs = 5;

export interface Broker {
  /** `ws://<host>:<port>` with the port actually bound. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  readonly options: ResolvedBrokerOptions;
  readonly topics: TopicRegistry;
  /** Live view of every actor (the same data the `inspect` request streams). */
  readonly inspector: Inspector;
  /** Graceful shutdown; safe to call more than once. */
  close(): Promise<void>;
}

export async function startBroker(options: BrokerOptions & { transactionFaults?: TransactionFaults } = {}): Promise<Broker> {
  const resolved = resolveBrokerOptions(options);
  const logger = options.logger ?? createLogger(resolved.logLevel);
  await mkdir(resolved.dataDir, { recursive: true });
  const unlock = await lockDataDir(resolved.dataDir);
  try {
    const metadata = await MetadataStore.open(resolved.dataDir);
    const inspector = new Inspector(resolved.clock);
    const environment = { inspector, timers: resolved.timers };
    const descriptorCache = new SegmentDescriptorCache(resolved.limits.maxOpenSealedSegments); // one bound for every log of the broker
    const topics = new TopicRegistry(metadata, resolved, logger, descriptorCache, environment);
    await topics.start();
    const offsets = await OffsetStore.open(resolved.dataDir, resolved.clock, logger, descriptorCache, resolved.topicDefaults.segmentBytes);
    const groups = new GroupRegistry(topics, offsets, defaultGroupLimits, brokerDeliverBounds(resolved.limits), resolved.limits.maxFrameBytes, resolved.clock, logger, environment, resolved.groupAssignment);
    const transactions = await TransactionManager.start({ topics, metadata, options: resolved, environment, descriptorCache, logger, faults: options.transactionFaults });
    return await serve({ topics, groups, inspector, environment, metadata, options: resolved, transactions }, logger, unlock);
  } catch (error) {
    await unlock();
    throw error;
  }
}

async function serve(services: BrokerServices, logger: Logger, unlock: () => Promise<void>): Promise<Broker> {
  const { options } = services;
  const httpServer = createServer(createUiHandler()); // plain HTTP: the visualiser page
  const wss = new WebSocketServer({ server: httpServer, maxPayload: options.limits.maxFrameBytes, perMessageDeflate: false });
  const sessions = new Set<ConnectionSession>();
  let nextConnectionId = 1;
  wss.on('connection', (socket: WebSocket) => {
    if (sessions.size >= options.limits.maxConnections) {
      socket.send(encodeFrame({ type: 'error', code: 'TOO_MANY_CONNECTIONS', message: `broker holds maxConnections ${options.limits.maxConnections}` }));
      socket.close(1013, 'TOO_MANY_CONNECTIONS');
      return;
    }
    const session = new ConnectionSession(String(nextConnectionId++), socket, services, logger);
    sessions.add(session);
    socket.on('close', () => sessions.delete(session));
  });
  // ws re-emits the HTTP server's errors: a failed listen is answered below, anything later is logged.
  let listening = false;
  wss.on('error', (error) => {
    if (listening) logger.error('websocket server error', { error });
  });
  try {
    await listen(httpServer, options.port, options.host);
    listening = true;
  } catch (error) {
    wss.close();
    await closeServices(services, logger);
    const { code } = error as NodeJS.ErrnoException;
    const reason = code === 'EADDRINUSE' ? 'the port is in use (another broker?)' : (error as Error).message;
    throw Object.assign(new Error(`cannot listen on ${formatHost(options.host)}:${options.port}: ${reason}`, { cause: error }), { code });
  }
  const address = httpServer.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const url = `ws://${formatHost(options.host)}:${port}`;
  logger.info('broker started', { url, dataDir: options.dataDir, flush: options.flush, topics: services.topics.list().length });
  const retentionTimer = setInterval(() => services.topics.applyRetention(), options.retentionCheckIntervalMs);
  retentionTimer.unref();
  let closing: Promise<void> | undefined;
  const close = async (): Promise<void> => {
    clearInterval(retentionTimer);
    httpServer.close();
    await drain(sessions);
    for (const session of sessions) session.shutdown();
    wss.close();
    try {
      await closeServices(services, logger);
    } finally {
      await unlock(); // a close that failed must not keep this process from starting on the dir again
    }
    logger.info('broker stopped', { url });
  };
  return {
    url, host: options.host, port, dataDir: options.dataDir, options, topics: services.topics, inspector: services.inspector,
    close: () => (closing ??= close()),
  };
}

async function closeServices(services: BrokerServices, logger: Logger): Promise<void> {
  try {
    await services.groups.close(); // commits every group's offsets
  } catch (error) {
    logger.error('closing consumer groups failed; partitions close anyway', { error });
  }
  try {
    await services.transactions.close(); // pending transactions stay in the half log
  } catch (error) {
    logger.error('closing transactions failed; partitions close anyway', { error });
  }
  await services.topics.close();
}

async function drain(sessions: Set<ConnectionSession>): Promise<void> {
  const deadline = Date.now() + drainTimeoutMs;
  while ([...sessions].some((session) => !session.idle) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, drainPollMs));
  }
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
