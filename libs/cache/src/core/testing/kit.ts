import { createCache, type CacheService, type CreateCacheOptions } from '../../create-cache.js';
import { createRedisConnection, waitForReady, type RedisClient } from '../../redis/connection.js';
import { deleteKeysWithPrefix, uniquePrefix } from '../../testing/test-keys.js';

export const SHARED_REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface TestCache {
  svc: CacheService;
  prefix: string;
}

/**
 * A cache on the shared Redis under a prefix of its own. `cleanup()` deletes only that prefix's keys
 * and closes everything created through this kit.
 */
export class CacheKit {
  readonly prefix: string;
  private readonly caches: CacheService[] = [];
  private readonly clients: RedisClient[] = [];

  constructor(
    label: string,
    private readonly url = SHARED_REDIS_URL,
  ) {
    this.prefix = uniquePrefix(label);
  }

  async cache(opts: Partial<CreateCacheOptions> = {}): Promise<CacheService> {
    const svc = createCache({ redis: { url: this.url }, prefix: this.prefix, ...opts });
    this.caches.push(svc);
    await svc.ready();
    return svc;
  }

  async client(): Promise<RedisClient> {
    const c = createRedisConnection({ url: this.url, commandTimeoutMs: 5_000 });
    this.clients.push(c);
    await waitForReady(c);
    return c;
  }

  async cleanup(): Promise<void> {
    const c = await this.client().catch(() => undefined);
    if (c) await deleteKeysWithPrefix(c, this.prefix).catch(() => 0);
    await Promise.all(this.caches.map((s) => s.close()));
    for (const cl of this.clients) cl.disconnect();
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A promise plus its resolver, to hold a loader open while the test does something. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
