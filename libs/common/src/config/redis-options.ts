import type { AppConfig, HostPort } from './app-config.js';

/** Connection settings for libs/cache's createRedisConnection, derived from the validated config. */
export interface RedisConnectionSettings {
  mode: AppConfig['redis']['mode'];
  url?: string;
  sentinels: HostPort[];
  sentinelName: string;
  nodes: HostPort[];
  password?: string;
  commandTimeoutMs: number;
  name: string;
}

export function redisConnectionSettings(config: AppConfig, name: string): RedisConnectionSettings {
  const { redis } = config;
  return {
    mode: redis.mode,
    url: redis.url ?? undefined,
    sentinels: redis.sentinels,
    sentinelName: redis.sentinelName,
    nodes: redis.clusterNodes,
    password: redis.password ?? undefined,
    commandTimeoutMs: redis.commandTimeoutMs,
    name,
  };
}

/**
 * Connection settings of the cache's own Redis server (REDIS_CACHE_URL, always standalone), or
 * undefined when cached values share the main server.
 */
export function cacheRedisConnectionSettings(config: AppConfig, name: string): RedisConnectionSettings | undefined {
  const { redis } = config;
  if (!redis.cacheUrl) return undefined;
  return {
    mode: 'standalone',
    url: redis.cacheUrl,
    sentinels: [],
    sentinelName: redis.sentinelName,
    nodes: [],
    commandTimeoutMs: redis.commandTimeoutMs,
    name: `${name}-cache`,
  };
}
