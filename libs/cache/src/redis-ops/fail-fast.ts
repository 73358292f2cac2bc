import type { RedisClient } from '../redis/connection.js';
import { RedisUnavailableError, isUnavailabilityError } from './unavailable-error.js';

// With ioredis' offline queue a command sent while reconnecting waits (up to maxRetriesPerRequest
// reconnect attempts, i.e. seconds). Locks and counters must answer "unavailable" quickly instead.
const DOWN_STATES = new Set(['reconnecting', 'close', 'end', 'disconnecting']);

export const DEFAULT_OPERATION_TIMEOUT_MS = 1_000;

/**
 * Runs one Redis operation with a deadline; connection-level failures become RedisUnavailableError,
 * command errors pass through untouched.
 */
export async function failFast<T>(client: RedisClient, op: () => Promise<T>, timeoutMs: number): Promise<T> {
  if (DOWN_STATES.has(client.status)) {
    throw new RedisUnavailableError(`Redis is not connected (status: ${client.status})`);
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
    if (error instanceof RedisUnavailableError) throw error;
    if (isUnavailabilityError(error)) {
      throw new RedisUnavailableError(`Redis unavailable: ${(error as Error).message}`, { cause: error });
    }
    throw error;
  } finally {
    clearTimeout(timer);
  }
}
