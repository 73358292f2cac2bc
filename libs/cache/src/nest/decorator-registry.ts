import type { CacheService } from '../create-cache.js';

/*
 * Method decorators cannot receive injected dependencies, so they resolve the cache here. The
 * CacheModule registers its CacheService on init and unregisters it on shutdown; without one
 * (e.g. the class instantiated outside a Nest app) decorated methods simply run uncached.
 */
let current: CacheService | undefined;

export function setCacheForDecorators(cache: CacheService | undefined): void {
  current = cache;
}

export function getCacheForDecorators(): CacheService | undefined {
  return current;
}

/** Unregisters only if `cache` is still the registered one (several apps may share a process). */
export function clearCacheForDecorators(cache: CacheService): void {
  if (current === cache) current = undefined;
}
