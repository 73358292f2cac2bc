import type { Provider } from '@nestjs/common';
import { CacheService } from '@app/cache';

/** The CacheService the catalog works with (injected with `@Inject(CATALOG_CACHE)`). */
export const CATALOG_CACHE = Symbol('CATALOG_CACHE');

/*
 * The catalog uses the API's shared cache (CacheInfraModule): one Redis connection, one L1 whose
 * invalidations wait for every live instance's acknowledgement for at most CACHE_L1_ACK_TIMEOUT_MS.
 * With the ack timeout longer than the L1 ttl the rule is strict: an instance that did not
 * acknowledge in time cannot hold an L1 entry from before the write once the write returns.
 */
export const catalogCacheProviders: Provider[] = [{ provide: CATALOG_CACHE, useExisting: CacheService }];
