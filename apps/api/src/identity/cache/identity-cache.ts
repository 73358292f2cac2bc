import { CacheService } from '@app/cache';

/** The CacheService identity works with (sessions, user profiles, rate-limit storage). */
export const IDENTITY_CACHE = Symbol('IDENTITY_CACHE');

/*
 * The one place identity chooses its cache: the app-wide CacheService (CacheModule, registered
 * globally by CacheInfraModule, which also closes it). Before that module existed this provider
 * built its own with createCache({ redis, prefix: config.redis.keyPrefix }).
 * With L1 enabled (CACHE_L1_ENABLED) user profiles are served in-process and invalidated on every
 * instance through the bus. Session state never uses L1 (SessionCache passes l1: false):
 * revocation must not depend on at-most-once pub/sub.
 */
export const identityCacheProvider = { provide: IDENTITY_CACHE, useExisting: CacheService };
