import type { CacheKey } from './cache-key.js';
import type { CacheAside } from './cache-aside.js';
import type { SetOptions } from './options.js';

export interface WriteOptions extends SetOptions {
  /** Namespace to write into (default: the cache's default namespace). */
  namespace?: string;
}

/**
 * Write-through: the database write happens first and is the truth; the cache then receives the
 * committed value returned by `persist` (ids, timestamps, triggers included). If caching fails the
 * key is invalidated instead (queued for replay if Redis is down), so the cache is never left stale.
 * Cache problems never fail the write; persist errors propagate untouched.
 */
export class WriteThrough {
  constructor(private readonly resolve: (namespace?: string) => CacheAside) {}

  async write<T, R = T>(key: CacheKey, value: T, persist: (value: T) => Promise<R>, options?: WriteOptions): Promise<R> {
    const committed = await persist(value);
    const cache = this.resolve(options?.namespace);
    let stored: boolean;
    try {
      stored = await cache.set(key, committed, options);
    } catch {
      stored = false;
    }
    if (!stored) await cache.delete(key).catch(() => false);
    return committed;
  }
}
