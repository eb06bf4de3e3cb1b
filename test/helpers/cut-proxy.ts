/**
 * A TCP proxy in front of a broker that a test can cut: every connection
 * through it is destroyed and new ones are refused, so a client loses its
 * broker mid-request (its answer is lost) while the broker keeps running.
 */
import { createServer, connect, type Socket, type Server } from 'node:net';

export class CutProxy {
  private readonly sockets = new Set<Socket>();
  private cutOff = false;

  private constructor(private readonly server: Server, readonly url: string) {}

  static async start(brokerUrl: string): Promise<CutProxy> {
    const target = new URL(brokerUrl);
    let proxy: CutProxy | undefined;
    const server = createServer((client) => {
      if (!proxy || proxy.cutOff) return void client.destroy();
      const upstream = connect(Number(target.port), target.hostname);
      for (const socket of [client, upstream]) {
        proxy.sockets.add(socket);
        socket.on('close', () => proxy!.sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address() as { port: number };
    proxy = new CutProxy(server, `ws://127.0.0.1:${address.port}`);
    return proxy;
  }

  /** Destroys every connection; new ones are let through (a network blip). */
  drop(): void {
    for (const socket of this.sockets) socket.destroy();
  }

  /** Destroys every connection and refuses new ones. */
  cut(): void {
    this.cutOff = true;
    for (const socket of this.sockets) socket.destroy();
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
