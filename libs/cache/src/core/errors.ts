/** The loader did not finish within hardTimeoutMs (and no stale value could be served). */
export class CacheLoadTimeoutError extends Error {
  constructor(
    readonly key: string,
    readonly timeoutMs: number,
  ) {
    super(`Cache loader for "${key}" timed out after ${timeoutMs} ms`);
    this.name = 'CacheLoadTimeoutError';
  }
}
