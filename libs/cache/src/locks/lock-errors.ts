import { RedisUnavailableError } from '../redis-ops/unavailable-error.js';

/** Someone else holds the lock and it did not come free within `wait`. Retry later or give up. */
export class LockBusyError extends Error {
  override readonly name = 'LockBusyError';
  constructor(
    readonly resources: readonly string[],
    readonly waitedMs: number,
  ) {
    super(`Lock busy: ${resources.join(', ')} (waited ${waitedMs} ms)`);
  }
}

/**
 * Redis (or a quorum of the lock nodes) could not be reached, so nobody can tell whether the lock
 * is free. Also a RedisUnavailableError, so one catch covers all "Redis is down" cases.
 */
export class LockUnavailableError extends RedisUnavailableError {
  override readonly name = 'LockUnavailableError';
  constructor(
    readonly resources: readonly string[],
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`Lock unavailable: ${resources.join(', ')}: ${detail}`, options);
  }
}

/** The lease ended while the holder was still running (extension failed or was refused). */
export class LockLostError extends Error {
  override readonly name = 'LockLostError';
  constructor(
    readonly resources: readonly string[],
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(`Lock lost: ${resources.join(', ')}: ${detail}`, options);
  }
}
