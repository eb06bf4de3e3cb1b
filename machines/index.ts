/** Every machine definition: run by the broker, drawn by the visualiser, walked by the model tests. */
export { partitionMachine } from './partition.machine.js';
export type { PartitionInput, PartitionContext, PartitionEvent, PartitionRef } from './partition.machine.js';
export { connectionMachine } from './connection.machine.js';
export type { ConnectionInput, ConnectionContext, ConnectionEvent } from './connection.machine.js';
export { groupMachine } from './group.machine.js';
export type { GroupInput, GroupContext, GroupEvent } from './group.machine.js';
export { groupMemberMachine } from './group-member.machine.js';
export type { GroupMemberInput, GroupMemberContext, GroupMemberEvent } from './group-member.machine.js';
export { transactionMachine } from './transaction.machine.js';
export type { TransactionInput, TransactionContext, TransactionEvent, TransactionOutcome, CheckAnswer } from './transaction.machine.js';
