import type { ChainableCommander } from 'ioredis';
import type { RedisClient } from '../redis/connection.js';
import { DEFAULT_OPERATION_TIMEOUT_MS, failFast } from '../redis-ops/fail-fast.js';
import { RedisUnavailableError, isUnavailabilityError } from '../redis-ops/unavailable-error.js';
import { BatchBuilder } from './batch-builder.js';
import type { BatchCommand, BatchResult, BatchResults, BatchValues } from './batch-command.js';
import { TransactionAbortedError, TransactionCommandError } from './batch-errors.js';

type Build<C extends BatchCommand<unknown>[]> = (b: BatchBuilder) => [...C];

const builder = new BatchBuilder();

/**
 * Several commands in one round trip.
 *
 * - `pipeline`: not atomic; every command gets its own `{ ok, value | error }`.
 * - `transaction`: MULTI/EXEC, atomic (no other client's command runs in between).
 *
 * On a Cluster all keys of one batch must hash to the same slot: build them with
 * `KeyBuilder.hashTagged(...)` (e.g. a cart's qty and details hashes). ioredis rejects a
 * pipeline spanning slots before sending anything.
 */
export class RedisBatch {
  constructor(
    private readonly client: RedisClient,
    private readonly timeoutMs = DEFAULT_OPERATION_TIMEOUT_MS,
  ) {}

  async pipeline<C extends BatchCommand<unknown>[]>(build: Build<C>): Promise<BatchResults<C>> {
    const commands = build(builder);
    if (!commands.length) return [] as unknown as BatchResults<C>;
    const replies = await this.exec(this.client.pipeline(), commands);
    if (!replies) throw new RedisUnavailableError('Pipeline returned no replies');
    const results = toResults(commands, replies);
    // Every command failed for connection reasons: the batch as a whole did not happen.
    if (results.every((r) => !r.ok && isUnavailabilityError(r.error))) {
      const first = results[0] as { error: Error };
      throw new RedisUnavailableError(`Pipeline failed: ${first.error.message}`, { cause: first.error });
    }
    return results as BatchResults<C>;
  }

  /** Atomic MULTI/EXEC; resolves with the typed values, or throws TransactionAbortedError / TransactionCommandError. */
  async transaction<C extends BatchCommand<unknown>[]>(build: Build<C>): Promise<BatchValues<C>> {
    const commands = build(builder);
    if (!commands.length) return [] as unknown as BatchValues<C>;
    let replies: [Error | null, unknown][] | null;
    try {
      replies = await this.exec(this.client.multi(), commands);
    } catch (error) {
      if (error instanceof Error && error.message.startsWith('EXECABORT')) {
        throw new TransactionAbortedError(`Transaction aborted, nothing applied: ${describeAbort(error)}`, { cause: error });
      }
      throw error;
    }
    if (!replies) throw new TransactionAbortedError('Transaction aborted: EXEC returned null, nothing applied');
    const results = toResults(commands, replies);
    if (results.some((r) => !r.ok)) throw new TransactionCommandError(results);
    return results.map((r) => (r as { value: unknown }).value) as BatchValues<C>;
  }

  private exec(chain: ChainableCommander, commands: BatchCommand<unknown>[]) {
    for (const c of commands) chain.call(c.name, ...c.args);
    return failFast(this.client, () => chain.exec(), this.timeoutMs);
  }
}

function toResults(commands: BatchCommand<unknown>[], replies: [Error | null, unknown][]): BatchResult<unknown>[] {
  return commands.map((command, i) => {
    const [error, reply] = replies[i] ?? [new Error('No reply'), undefined];
    if (error) return { ok: false, error };
    try {
      return { ok: true, value: command.parse(reply) };
    } catch (parseError) {
      return { ok: false, error: parseError as Error };
    }
  });
}

/** ioredis attaches the queueing errors that caused EXECABORT as `previousErrors`. */
function describeAbort(error: Error): string {
  const previous = (error as { previousErrors?: Error[] }).previousErrors;
  return previous?.length ? previous.map((e) => e.message).join('; ') : error.message;
}
