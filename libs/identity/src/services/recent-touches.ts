/**
 * Ids touched within the last `ttlMs`, at most `max` of them. A Map kept in time order (an id
 * touched again moves to the end), so expired ids leave from the front as new ones arrive, and
 * past `max` the oldest go first. Memory follows the ids of the last window: lru-cache with the
 * same bound allocates its slot arrays for `max` entries up front (about 5 MB at 100,000 with
 * TTLs, on every instance from start).
 */
export class RecentTouches {
  private readonly at = new Map<string, number>();

  constructor(
    private readonly ttlMs: number,
    private readonly max: number,
  ) {}

  /** True (and recorded now) when `id` was not touched within ttlMs; false when it was. */
  touch(id: string, now = Date.now()): boolean {
    const last = this.at.get(id);
    if (last !== undefined && now - last < this.ttlMs) return false;
    if (last !== undefined) this.at.delete(id);
    this.at.set(id, now);
    for (const [oldest, t] of this.at) {
      if (now - t < this.ttlMs && this.at.size <= this.max) break;
      this.at.delete(oldest);
    }
    return true;
  }

  /** Ids recorded now (expired ones not yet dropped included). */
  get size(): number {
    return this.at.size;
  }
}
