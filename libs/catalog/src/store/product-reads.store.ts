import { Injectable } from '@nestjs/common';
import { CacheService } from '@app/cache';

// One product read in SAMPLE_EVERY is counted: enough to rank the hot products, at one Redis
// command per SAMPLE_EVERY reads on average (sent without waiting for it).
const SAMPLE_EVERY = 64;

/** Sampled read counts per product (`{prefix}:{catalog:reads}:products`), to warm the hottest after a deploy. */
@Injectable()
export class ProductReadsStore {
  private readonly key: string;

  constructor(private readonly cache: CacheService) {
    this.key = cache.keys.hashTagged('catalog', 'reads', 'products');
  }

  /** Counts a read now and then; never waits, never throws. */
  sample(productId: string): void {
    if (Math.random() * SAMPLE_EVERY >= 1) return;
    this.cache.client.zincrby(this.key, SAMPLE_EVERY, productId).catch(() => undefined);
  }

  /** The most-read product ids, most first (empty when Redis is unreachable). */
  async top(count: number): Promise<string[]> {
    return this.cache.client.zrevrange(this.key, 0, count - 1).catch(() => []);
  }
}
