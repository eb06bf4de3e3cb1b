/**
 * Exponential backoff shared by reconnects and produce retries: the first
 * retry waits `baseMs`, each further one twice as long, never more than
 * `maxMs`. No jitter: waits stay reproducible in tests, and the broker
 * spreads load by itself (one connection, many batches per request).
 */
export function backoffMs(attempt: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
}
