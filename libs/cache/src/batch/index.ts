export { RedisBatch } from './redis-batch.js';
export { BatchBuilder, type ScoredMember, type SetOptions } from './batch-builder.js';
export type { BatchCommand, BatchResult, BatchResults, BatchValues, RedisArg } from './batch-command.js';
export { TransactionAbortedError, TransactionCommandError } from './batch-errors.js';
