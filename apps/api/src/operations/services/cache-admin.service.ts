import { Injectable, ServiceUnavailableException } from '@nestjs/common';
import { CacheService, CacheStats, infoText, Invalidator, RedisAdmin, type ParsedInfo } from '@app/cache';
import type { CacheStatsDto, RedisFiguresDto } from '../dto/cache-stats.dto.js';

/** Cache figures and namespace invalidation for operators. */
@Injectable()
export class CacheAdminService {
  constructor(
    private readonly cacheStats: CacheStats,
    private readonly invalidator: Invalidator,
    private readonly admin: RedisAdmin,
    private readonly cache: CacheService,
  ) {}

  async stats(): Promise<CacheStatsDto> {
    const snapshot = this.cacheStats.snapshot();
    return { namespaces: snapshot.namespaces, totals: snapshot.totals, redis: await this.redisFigures().catch(() => null) };
  }

  /** Version bump: O(1), and every instance stops serving the namespace's old entries at once. */
  async invalidateNamespace(namespace: string): Promise<void> {
    const ok = await this.invalidator.invalidateNamespace(namespace);
    if (!ok) throw new ServiceUnavailableException('cache: Redis is unavailable, the namespace was not invalidated');
  }

  async info(): Promise<ParsedInfo> {
    try {
      return await this.admin.info();
    } catch {
      throw new ServiceUnavailableException('redis: unavailable');
    }
  }

  /** Figures of the server holding the cached values (its own one with REDIS_CACHE_URL). */
  private async redisFigures(): Promise<RedisFiguresDto> {
    const admin = this.cache.cacheAdmin;
    const [info, keys] = await Promise.all([admin.info(), admin.dbsize()]);
    const num = (section: string, key: string): number => Number(info[section]?.[key] ?? 0);
    return {
      version: infoText(info.server?.redis_version) ?? 'unknown',
      usedMemoryBytes: num('memory', 'used_memory'),
      usedMemoryHuman: infoText(info.memory?.used_memory_human) ?? '',
      connectedClients: num('clients', 'connected_clients'),
      keys,
      keyspaceHits: num('stats', 'keyspace_hits'),
      keyspaceMisses: num('stats', 'keyspace_misses'),
    };
  }
}
