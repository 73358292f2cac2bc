import { CacheUnavailableError } from '../resilience/circuit-breaker.js';

/**
 * Redis could not be reached (down, reconnecting, timed out, cluster down). Thrown by the pieces
 * that cannot pretend to work without Redis: locks, counters, batches, admin. A
 * CacheUnavailableError, so one `instanceof CacheUnavailableError` covers every "Redis is down".
 * Command errors (WRONGTYPE, "not an integer", ...) are NOT this: they surface unchanged.
 */
export class RedisUnavailableError extends CacheUnavailableError {
  override readonly name: string = 'RedisUnavailableError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message);
    if (options && 'cause' in options) this.cause = options.cause;
  }
}

const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'EAI_AGAIN']);
const UNAVAILABLE_NAMES = new Set(['MaxRetriesPerRequestError', 'ClusterAllFailedError', 'CacheUnavailableError', 'CacheTimeoutError']);
// Reply prefixes / ioredis messages that mean "the server side is not able to serve", not "bad command".
const UNAVAILABLE_MESSAGES = [
  'Connection is closed',
  "Stream isn't writeable",
  'Command timed out',
  'None of startup nodes is available',
  'Failed to refresh slots cache',
  'Too many Cluster redirections',
  'CLUSTERDOWN',
  'TRYAGAIN',
  'LOADING',
  'MASTERDOWN',
  'READONLY',
];

export function isUnavailabilityError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error instanceof CacheUnavailableError || UNAVAILABLE_NAMES.has(error.name)) return true;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) return true;
  return UNAVAILABLE_MESSAGES.some((m) => error.message.startsWith(m));
}
