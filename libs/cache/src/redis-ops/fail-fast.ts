import { Redis } from 'ioredis';
import type { RedisClient } from '../redis/connection.js';
import { RedisUnavailableError, isUnavailabilityError } from './unavailable-error.js';

// With ioredis' offline queue a command sent while reconnecting waits (up to maxRetriesPerRequest
// reconnect attempts, i.e. seconds). Locks and counters must answer "unavailable" quickly instead.
const DOWN_STATES = new Set(['reconnecting', 'close', 'end', 'disconnecting']);

export const DEFAULT_OPERATION_TIMEOUT_MS = 1_000;

/**
 * Runs one Redis operation with a deadline; connection-level failures become RedisUnavailableError,
 * command errors pass through untouched.
 *
 * `oneCommand`: the operation sends a single command (a script whose NOSCRIPT answer is followed by
 * its EVAL counts as one). On a single-node client whose own command timeout is at most the
 * deadline, that timeout already bounds it ("Command timed out" becomes RedisUnavailableError), so
 * no second timer is set: a cart write runs this on every request.
 */
export async function failFast<T>(client: RedisClient, op: () => Promise<T>, timeoutMs: number, oneCommand = false): Promise<T> {
  if (DOWN_STATES.has(client.status)) {
    throw new RedisUnavailableError(`Redis is not connected (status: ${client.status})`);
  }
  if (oneCommand && boundedByClient(client, timeoutMs)) {
    try {
      return await op();
    } catch (error) {
      throw unavailableOr(error);
    }
  }
  let timer: NodeJS.Timeout | undefined;
  const pending = op();
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new RedisUnavailableError(`Redis did not answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([pending, timeout]);
  } catch (error) {
    pending.catch(() => undefined); // the late failure of a timed-out command is not unhandled
    throw unavailableOr(error);
  } finally {
    clearTimeout(timer);
  }
}

/** A single-node client that times out each command itself within `timeoutMs`. */
function boundedByClient(client: RedisClient, timeoutMs: number): boolean {
  if (!(client instanceof Redis)) return false;
  const own = client.options.commandTimeout;
  return typeof own === 'number' && own > 0 && own <= timeoutMs;
}

function unavailableOr(error: unknown): unknown {
  if (error instanceof RedisUnavailableError) return error;
  if (isUnavailabilityError(error)) return new RedisUnavailableError(`Redis unavailable: ${(error as Error).message}`, { cause: error });
  return error;
}
