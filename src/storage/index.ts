/** Storage: the durable per-partition log. */
export { PartitionLog, checkLogOptions, defaultLogOptions } from './partition-log.js';
export { SegmentDescriptorCache } from './descriptor-cache.js';
export type { LogOptions, AppendResult, ReadResult, RecoveryReport, Truncation } from './partition-log.js';
export type { FlushMode } from './flush.js';
export { StorageInvariantError } from './assert.js';
