/**
 * The cart service: reads the `orders` topic and clears the cart of every
 * user who placed an order. It only ever sees committed orders — half
 * messages and rolled-back ones are invisible to it.
 */
import type { Client } from '../../src/client/index.js';

export class CartService {
  readonly carts = new Map<string, string[]>();
  private readonly offsets: number[] = [];
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly client: Client, private readonly partitions: number) {
    for (let p = 0; p < partitions; p++) this.offsets.push(0);
  }

  start(pollMs = 100): void {
    this.timer = setInterval(() => void this.poll(), pollMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async poll(): Promise<void> {
    for (let partition = 0; partition < this.partitions; partition++) {
      const page = await this.client.fetch('orders', partition, this.offsets[partition]!).catch(() => undefined);
      for (const record of page?.records ?? []) {
        const order = record.value as { orderId: string; userId: string };
        const items = this.carts.get(order.userId) ?? [];
        this.carts.set(order.userId, []);
        process.stdout.write(`  [cart-service] order ${order.orderId} arrived: cleared the cart of ${order.userId} (${items.join(', ') || 'empty'})\n`);
        this.offsets[partition] = record.offset + 1;
      }
    }
  }
}
