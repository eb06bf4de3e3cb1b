export * from './errors.js';
export * from './limits.js';
export * from './frames.js';
export * from './codec.js';
export * from './validate-frame.js';
export * from './record-batch.js';
export * from './value-codec.js';
export { crc32 } from './crc32.js';
