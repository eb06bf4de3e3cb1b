export { startBroker, type Broker } from './broker.js';
export type { BrokerOptions, FlushPolicy, TransactionOptions } from './options.js';
export type { BrokerLimits } from '../protocol/limits.js';
