/**
 * The order service's own database: a JSON file of orders, each remembering
 * the id of the transaction that announced it. That id is what lets any
 * instance of the service answer the broker's check-back after a crash.
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

export interface Order { orderId: string; userId: string; total: number; transactionId: string; createdAt: number }

export class OrderDatabase {
  constructor(private readonly path: string) {}

  all(): Order[] {
    return existsSync(this.path) ? (JSON.parse(readFileSync(this.path, 'utf8')) as Order[]) : [];
  }

  /** The local transaction: the order row and the transaction id, written together (atomically, by rename). */
  insert(order: Order): void {
    const orders = this.all();
    if (orders.some((o) => o.orderId === order.orderId)) throw new Error(`order ${order.orderId} exists`);
    writeFileSync(`${this.path}.tmp`, JSON.stringify([...orders, order], null, 2));
    renameSync(`${this.path}.tmp`, this.path);
  }

  byTransaction(transactionId: string): Order | undefined {
    return this.all().find((order) => order.transactionId === transactionId);
  }
}
