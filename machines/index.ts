/** Every machine definition: run by the broker, drawn by the visualiser, walked by the model tests. */
export { partitionMachine } from './partition.machine.js';
export type { PartitionInput, PartitionContext, PartitionEvent, PartitionRef } from './partition.machine.js';
export { connectionMachine } from './connection.machine.js';
export type { ConnectionInput, ConnectionContext, ConnectionEvent } from './connection.machine.js';
