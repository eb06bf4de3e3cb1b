/**
 * Every bound of the transaction runtime, in one place. The broker holds each
 * transaction's half messages in memory until its outcome (they are also in
 * the half log), so the count and byte bounds together bound that memory.
 */
export interface TransactionLimits {
  /** Transactions not yet ended (open, half, checking, parked…). Each costs an actor (~5 KiB) plus its messages. */
  maxOpenTransactions: number;
  /** Records one transaction may hold: a commit appends them in one batch per partition. */
  maxMessagesPerTransaction: number;
  /** Bytes of record batches one transaction may hold. */
  maxBytesPerTransaction: number;
  /** Transitions kept per transaction for status and the visualiser. */
  historyLength: number;
  /** Ended transactions remembered whole (id, outcome, history) so transactionStatus can answer after the fact. */
  maxEndedRemembered: number;
  /** Older ended transactions remembered by outcome only (~100 bytes each): at 1,000 commits a second, a client has minutes to ask. */
  maxEndedOutcomesRemembered: number;
  /** Registered producer connections per producer group. */
  maxProducersPerGroup: number;
  /** Producer groups with registered producers. */
  maxProducerGroups: number;
  /** Transactions one listTransactions answer shows (oldest first), fewer if they do not fit in maxFrameBytes; `total` tells how many there are. */
  maxListed: number;
  /** Checks outstanding at once, broker-wide: a restart with many pending transactions does not flood producers. */
  maxChecksInFlight: number;
  /** First delay before re-appending a commit whose target partition refused (not ready); doubles up to the max. */
  applyRetryMs: number;
  applyRetryMaxMs: number;
  /** First delay before retrying to reopen the half log after a failed write (half-log.ts); doubles up to the max. */
  halfLogReopenBackoffMs: number;
  halfLogReopenBackoffMaxMs: number;
}

export const defaultTransactionLimits: TransactionLimits = {
  maxOpenTransactions: 200_000, // 100,000 open transactions fit in 1 GiB with room to spare (bench/txn measures it)
  maxMessagesPerTransaction: 10_000,
  maxBytesPerTransaction: 16 * 1024 * 1024, // below maxBatchBytes × partitions in practice; a commit appends it all at once
  historyLength: 32,
  maxEndedRemembered: 10_000,
  maxEndedOutcomesRemembered: 200_000,
  maxProducersPerGroup: 1_000,
  maxProducerGroups: 10_000,
  maxListed: 10_000, // ~1-3 MiB of summaries: inside a default frame; bounds the work of building them
  maxChecksInFlight: 10_000,
  applyRetryMs: 100,
  applyRetryMaxMs: 5_000,
  halfLogReopenBackoffMs: 100, // a reopen costs a tail scan and one sync: cheap to try again soon
  halfLogReopenBackoffMaxMs: 10_000, // the partitions' restart backoff: a failing disk is asked every 10 s at most
};

export function assertTransactionLimits(limits: TransactionLimits): void {
  for (const [name, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value <= 0) throw new RangeError(`transaction limit ${name} must be a positive integer, got ${value}`);
  }
  if (limits.applyRetryMs > limits.applyRetryMaxMs) throw new RangeError('applyRetryMs must not exceed applyRetryMaxMs');
  if (limits.halfLogReopenBackoffMs > limits.halfLogReopenBackoffMaxMs) throw new RangeError('halfLogReopenBackoffMs must not exceed halfLogReopenBackoffMaxMs');
}
