/**
 * Invariant checks for the storage layer. A failed assertion means a bug in
 * this code, or a file that passed recovery but does not hold what its
 * metadata says; either way continuing could return wrong data, so it throws
 * loudly instead of being handled.
 */
export class StorageInvariantError extends Error {
  constructor(message: string) {
    super(`storage invariant violated: ${message}`);
    this.name = 'StorageInvariantError';
  }
}

export function assert(condition: boolean, message: string): asserts condition {
  if (!condition) throw new StorageInvariantError(message);
}
