/**
 * The cart service: a member of consumer group `cart` on the `orders` topic;
 * it clears the cart of every user who placed an order. It only ever
 * receives committed orders — half messages and rolled-back ones never
 * reach a consumer.
 */
import type { Client, Consumer } from '../../src/client/index.js';

export class CartService {
  readonly carts = new Map<string, string[]>();
  private consumer: Consumer | undefined;

  constructor(private readonly client: Client) {}

  /** Resolves once the member has joined the group. */
  async start(): Promise<void> {
    this.consumer = this.client.consumer({ group: 'cart', topics: ['orders'], from: 'earliest' });
    await this.consumer.run(async (message) => {
      const order = message.value as { orderId: string; userId: string };
      const items = this.carts.get(order.userId) ?? [];
      this.carts.set(order.userId, []);
      process.stdout.write(`  [cart-service] order ${order.orderId} arrived: cleared the cart of ${order.userId} (${items.join(', ') || 'empty'})\n`);
    });
  }

  async stop(): Promise<void> {
    await this.consumer?.close();
  }
}
