import { Injectable } from '@nestjs/common';
import { CacheService, type CacheAside } from '@app/cache';
import type { StoredAnswer } from '../repositories/idempotency-keys.repository.js';

const NAMESPACE = 'idempotency';
const TTL_MS = 10 * 60_000;

/**
 * Committed checkout answers per (user, key), in front of orders.idempotency_keys: an answer never
 * changes once committed, so a replay is an L1 or Redis hit. Only committed answers are stored
 * here; a miss says nothing (the key is then claimed in Postgres, which decides).
 */
@Injectable()
export class AnswerCache {
  private readonly answers: CacheAside;

  constructor(cache: CacheService) {
    this.answers = cache.namespace(NAMESPACE, { defaults: { ttl: TTL_MS } });
  }

  get(userId: string, key: string): Promise<StoredAnswer | undefined> {
    return this.answers.get<StoredAnswer>(cacheKey(userId, key));
  }

  /** After the commit of the answer (never earlier). */
  async remember(userId: string, key: string, answer: StoredAnswer): Promise<void> {
    await this.answers.set(cacheKey(userId, key), answer);
  }
}

function cacheKey(userId: string, key: string): string {
  return `${userId}\u0000${key}`;
}
