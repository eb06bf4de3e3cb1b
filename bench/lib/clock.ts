/** Epoch milliseconds with sub-millisecond precision, comparable across processes on one machine. */
export function preciseNowMs(): number {
  return performance.timeOrigin + performance.now();
}
