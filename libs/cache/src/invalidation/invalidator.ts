import type { Redis } from 'ioredis';
import type { CacheKey } from '../core/cache-key.js';
import type { KeyBuilder } from '../keys/key-builder.js';
import type { InvalidationBus } from '../l1/invalidation-bus.js';
import { applyInvalidation } from '../l1/invalidation-bus.js';
import type { L1Store } from '../l1/l1-cache.js';
import { isCluster, type RedisClient } from '../redis/connection.js';
import { bumpNamespaceVersion } from '../redis/scripts.js';
import { bumpTagVersion } from '../redis/tag-scripts.js';
import { EntryKind, encodeEntry, newToken } from '../serialization/envelope.js';
import { defaultSerializer } from '../serialization/serializer.js';
import { FAILED, type GuardedRedis } from '../resilience/guarded-redis.js';
import { PendingInvalidations } from './pending-invalidations.js';

export interface InvalidatorOptions {
  redis: GuardedRedis;
  keys: KeyBuilder;
  /** Version segment of entry keys (v1 by default); must match the CacheAside instances. */
  keyVersion?: (namespace: string) => number;
  l1?: L1Store;
  bus?: InvalidationBus;
  /**
   * How long a key-invalidation tombstone lives. A load that started before the invalidation cannot
   * store its value while the tombstone is there, and CacheAside never stores a load that ran longer
   * than this. Default 60 s.
   */
  tombstoneTtlMs?: number;
  /** SCAN COUNT / UNLINK batch size (default 500). */
  batchSize?: number;
  /**
   * Bound on failed key invalidations kept for retry (default 10 000); past it, the namespace with
   * the most pending keys is invalidated whole instead: nothing is dropped.
   */
  maxPending?: number;
  /** How often failed invalidations are retried while any are pending (default 1 000 ms). */
  retryMs?: number;
}

/** How invalidateTag() invalidates. */
export interface TagInvalidationOptions {
  /**
   * O(1): entries carrying the tag become stale, not gone: served within their staleFor (counted
   * from this invalidation) while one caller refreshes each; a miss without staleFor. Default false.
   */
  soft?: boolean;
  /**
   * Hard only: also tombstone the keys recorded in the tag's set (SSCAN, O(keys)), which frees their
   * memory now. Default true; false makes the hard invalidation O(1) too (the entries become misses
   * at once either way, and leave Redis by their ttl).
   */
  sweep?: boolean;
}

/*
 * Design (cross-instance correctness):
 * - Key: the entry is overwritten with a short-lived tombstone, not deleted. Readers see a miss;
 *   a load that started earlier expected another entry head, so its compare-and-set store fails.
 *   When Redis refuses the tombstone for lack of memory (noeviction), the entry is UNLINKed instead
 *   (always allowed): a load in flight could then store, but under OOM its SET is refused as well.
 * - Tag, O(1): every tag has a version key (`{c}:{h}`, server clock, see redis/tag-scripts.ts).
 *   CacheAside reads the tag's version BEFORE it runs the loader and stores it in the entry; a read
 *   compares it with the tag's current version (read along with the entry, or kept in L1, which the
 *   bump drops on every instance through the bus): past a soft bump (c) the entry is stale, past a
 *   hard one (h) it is dead. A load that began before the bump stores an entry that is already stale
 *   or dead; callers that saw the bump never join it (its versions are in the flight and lock keys).
 *   Versions are compared only with versions of the same key, never with a clock: no clock skew,
 *   and a key on any cluster slot. Only the end of a soft invalidation's grace period (staleFor
 *   after it) is measured against the server's clock, so app clocks off by d shift it by d.
 * - Tag sweep (hard, by default): a tag is also a Redis set of entry keys. CacheAside adds the key to
 *   the set BEFORE it runs the loader, so the sweep either sees the key (and tombstones it) or ran
 *   before the loader read the database. Members are SSCANned, SREMed (not DEL: a member added
 *   concurrently must survive), then tombstoned: a reload that re-adds a member between the two steps
 *   keeps it in the set, and its store fails against the tombstone.
 * - Namespace: a bump of the namespace version (O(1); see NS_VERSION_BUMP). Entries carry the version
 *   seen when their load started, and every Redis read fetches the current version together with the
 *   entry (one MGET on a standalone node, parallel GETs on a cluster) — so once the bump returned, no
 *   instance can serve an
 *   older entry, and a slow load that started before stores an entry that is already dead.
 *   (An in-process cached version would need pub/sub to be correct, and pub/sub is at-most-once.)
 * - Pattern: SCAN MATCH + UNLINK in batches on every master. Best effort against loads in flight;
 *   prefer key/tag/namespace invalidation where races matter.
 * - L1 (optional): cleared locally at once and on other instances via the invalidation bus.
 * Failures never throw: the invalidation is kept (PendingInvalidations) and retried on a timer and
 * whenever the connection is ready again, until Redis applies it.
 */
export class Invalidator {
  private readonly tombstoneTtlMs: number;
  private readonly batchSize: number;
  private readonly pending: PendingInvalidations;
  private readonly retryMs: number;
  private retryTimer: NodeJS.Timeout | undefined;
  private replaying = false;
  private closed = false;

  constructor(private readonly opts: InvalidatorOptions) {
    this.tombstoneTtlMs = opts.tombstoneTtlMs ?? 60_000;
    this.batchSize = opts.batchSize ?? 500;
    this.pending = new PendingInvalidations(opts.maxPending ?? 10_000);
    this.retryMs = opts.retryMs ?? 1_000;
    opts.redis.client.on('ready', this.onReady);
  }

  get tombstoneTtl(): number {
    return this.tombstoneTtlMs;
  }

  /** Invalidations waiting for a retry (keys, tags and namespaces). */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** Invalidate one entry. Resolves true when Redis applied it. */
  invalidateKey(namespace: string, key: CacheKey, version?: number): Promise<boolean> {
    return this.invalidateKeys(namespace, [this.entryKey(namespace, key, version)]);
  }

  /** Invalidate entries by their full Redis keys (as built by KeyBuilder.entry). */
  async invalidateKeys(namespace: string, fullKeys: readonly string[]): Promise<boolean> {
    if (fullKeys.length === 0) return true;
    this.local(namespace, { k: [...fullKeys] });
    const ok = await this.tombstone(fullKeys);
    if (!ok) this.keep(() => this.pending.addKeys(namespace, fullKeys));
    await this.broadcastKeys(namespace, fullKeys);
    return ok;
  }

  /**
   * Drops keys from L1 here and on every other instance (no Redis write). Called after Redis was
   * updated: a local read that started before this point cannot refill L1 (generation changed).
   */
  async broadcastKeys(namespace: string, fullKeys: readonly string[]): Promise<void> {
    this.local(namespace, { k: [...fullKeys] });
    await this.opts.bus?.publish({ ns: namespace, k: [...fullKeys] });
  }

  /** Invalidates the entries carrying `tag`: hard by default, or soft (see TagInvalidationOptions). */
  async invalidateTag(namespace: string, tag: string, options: TagInvalidationOptions = {}): Promise<boolean> {
    const soft = options.soft === true;
    let ok = await this.bumpTag(namespace, tag, !soft);
    if (!soft && options.sweep !== false) ok = (await this.invalidateTagKey(namespace, this.opts.keys.tag(namespace, tag))) && ok;
    // A failed hard one is retried whole (with the sweep), a failed soft one as soft.
    if (!ok) this.keep(() => (soft ? this.pending.addSoftTag(namespace, tag) : this.pending.addTag(namespace, tag)));
    return ok;
  }

  async invalidateTags(namespace: string, tags: readonly string[], options?: TagInvalidationOptions): Promise<boolean> {
    const results = await Promise.all(tags.map((t) => this.invalidateTag(namespace, t, options)));
    return results.every(Boolean);
  }

  /**
   * O(1) whatever the number of entries: moves the tag's version, then drops its cached version
   * from every L1 (which makes every L1 entry carrying the tag a non-hit there). When Redis refuses
   * the write for lack of memory, the version key is UNLINKed instead (always allowed): a missing
   * version kills every entry stamped with the tag, so a soft invalidation then acts as a hard one.
   */
  private async bumpTag(namespace: string, tag: string, hard: boolean): Promise<boolean> {
    const key = this.opts.keys.tagVersion(namespace, tag);
    this.local(namespace, { k: [key] });
    const bump = (c: RedisClient): Promise<unknown> =>
      bumpTagVersion(c, key, hard).catch((err: unknown) => {
        if (!isOutOfMemory(err)) throw err;
        return c.unlink(key);
      });
    const ok = (await this.opts.redis.run(bump)) !== FAILED;
    this.local(namespace, { k: [key] });
    await this.opts.bus?.publish({ ns: namespace, k: [key] });
    return ok;
  }

  /** O(1): bumps the namespace version; every entry written under an older version is dead. */
  async invalidateNamespace(namespace: string): Promise<boolean> {
    this.local(namespace, { all: 1 });
    const ok = await this.bump(namespace);
    if (!ok) this.keep(() => this.pending.addNamespace(namespace));
    this.local(namespace, { all: 1 });
    await this.opts.bus?.publish({ ns: namespace, all: 1 });
    return ok;
  }

  /**
   * Deletes the entries of a namespace whose key parts start with `parts` (the key itself and every
   * longer key; all entries when empty), for the given key version (default: the namespace's).
   * Returns how many keys were removed, or -1 when Redis was unavailable.
   */
  async invalidatePattern(namespace: string, parts: readonly (string | number)[] = [], version?: number): Promise<number> {
    const v = version ?? this.opts.keyVersion?.(namespace) ?? 1;
    // `base*` then filter: a glob cannot say "exactly base, or base followed by ':'".
    const base = parts.length ? this.opts.keys.entry(namespace, v, parts) : `${this.opts.keys.prefix}:${namespace}:v${v}`;
    const glob = `${base}*`;
    const keep = (k: string): boolean => k === base || k.startsWith(base + ':');
    this.local(namespace, { pre: base });
    const n = await this.scanAndUnlink(glob, keep);
    this.local(namespace, { pre: base });
    await this.opts.bus?.publish({ ns: namespace, pre: base });
    return n;
  }

  /** Deletes every key of this cache matching a Redis glob (must start with the prefix); also drops it from L1s. */
  async invalidateGlob(namespace: string, glob: string): Promise<number> {
    this.local(namespace, { p: glob });
    const n = await this.scanAndUnlink(glob);
    this.local(namespace, { p: glob });
    await this.opts.bus?.publish({ ns: namespace, p: glob });
    return n;
  }

  /** The pattern primitive: SCAN MATCH + batched UNLINK on every master. Never KEYS, never FLUSH*. */
  async scanAndUnlink(pattern: string, filter?: (key: string) => boolean): Promise<number> {
    if (!pattern.startsWith(this.opts.keys.prefix + ':')) {
      throw new Error(`Refusing to delete outside the cache prefix: ${pattern}`);
    }
    const client = this.opts.redis.client;
    const nodes: Redis[] = isCluster(client) ? client.nodes('master') : [client];
    let total = 0;
    for (const node of nodes) {
      const n = await this.scanNode(node, pattern, filter);
      if (n < 0) return -1;
      total += n;
    }
    return total;
  }

  /** Each SCAN step and UNLINK batch is its own guarded call, so a long scan is not one deadline. */
  private async scanNode(node: Redis, pattern: string, filter?: (key: string) => boolean): Promise<number> {
    let cursor = '0';
    let total = 0;
    do {
      const page = await this.opts.redis.run(() => node.scan(cursor, 'MATCH', pattern, 'COUNT', this.batchSize));
      if (page === FAILED) return -1;
      cursor = page[0];
      const keys = filter ? page[1].filter(filter) : page[1];
      if (keys.length) {
        // One UNLINK per key in one pipeline: a multi-key UNLINK fails across slots on a cluster node.
        const done = await this.opts.redis.run(async () => {
          const p = node.pipeline();
          for (const k of keys) p.unlink(k);
          return throwOnPipelineError(await p.exec());
        });
        if (done === FAILED) return -1;
        total += keys.length;
      }
    } while (cursor !== '0');
    return total;
  }

  private entryKey(namespace: string, key: CacheKey, version?: number): string {
    return this.opts.keys.entry(namespace, version ?? this.opts.keyVersion?.(namespace) ?? 1, key);
  }

  private local(namespace: string, msg: { k?: string[]; all?: 1; p?: string; pre?: string }): void {
    if (this.opts.l1) applyInvalidation(this.opts.l1, { ns: namespace, ...msg });
  }

  private async tombstone(fullKeys: readonly string[]): Promise<boolean> {
    return (await this.opts.redis.run((c) => this.writeTombstones(c, fullKeys))) !== FAILED;
  }

  /** Tombstones the keys; those Redis refuses for lack of memory are UNLINKed instead. Throws on other errors. */
  private async writeTombstones(c: RedisClient, fullKeys: readonly string[]): Promise<void> {
    const value = encodeEntry(defaultSerializer, EntryKind.Tombstone, newToken(), 0, 0, undefined);
    const px = this.tombstoneTtlMs;
    let errors: (Error | null)[];
    if (fullKeys.length === 1 || isCluster(c)) {
      errors = await Promise.all(
        fullKeys.map((k) =>
          c.set(k, value, 'PX', px).then(
            () => null,
            (err: Error) => err,
          ),
        ),
      );
    } else {
      const p = c.pipeline();
      for (const k of fullKeys) p.set(k, value, 'PX', px);
      errors = ((await p.exec()) ?? []).map(([err]) => err);
    }
    const refused: string[] = [];
    for (let i = 0; i < fullKeys.length; i++) {
      const err = errors[i];
      if (!err) continue;
      if (!isOutOfMemory(err)) throw err;
      refused.push(fullKeys[i]);
    }
    // One UNLINK per key: a multi-key UNLINK fails across slots on a cluster.
    if (refused.length) await Promise.all(refused.map((k) => c.unlink(k)));
  }

  private async invalidateTagKey(namespace: string, tagKey: string): Promise<boolean> {
    const redis = this.opts.redis;
    let cursor = '0';
    do {
      const page = await redis.run((c) => c.sscan(tagKey, cursor, 'COUNT', this.batchSize));
      if (page === FAILED) return false;
      cursor = page[0];
      const members = page[1];
      if (members.length) {
        this.local(namespace, { k: members });
        // SREM first, then the tombstones: a reload that SADDs a member in between keeps it in the
        // set (and its store fails against the tombstone). SREM, not DEL: members added meanwhile stay.
        if ((await redis.run((c) => c.srem(tagKey, ...members))) === FAILED) return false;
        if ((await redis.run((c) => this.writeTombstones(c, members))) === FAILED) {
          // They are out of the set now: retry them as keys.
          this.keep(() => this.pending.addKeys(namespace, members));
          return false;
        }
        this.local(namespace, { k: members });
        await this.opts.bus?.publish({ ns: namespace, k: members });
      }
    } while (cursor !== '0');
    return true;
  }

  private async bump(namespace: string): Promise<boolean> {
    const key = this.opts.keys.namespaceVersionKey(namespace);
    return (await this.opts.redis.run((c) => bumpNamespaceVersion(c, key))) !== FAILED;
  }

  /** Records a failed invalidation and makes sure a retry is scheduled. */
  private keep(record: () => void): void {
    record();
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.retryTimer || this.closed) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.replayPending();
    }, this.retryMs);
    this.retryTimer.unref();
  }

  /**
   * Retries the invalidations Redis did not apply, until one fails again (then the next retry is
   * scheduled). Runs on a timer while any are pending, and when the connection is ready again: an
   * out-of-memory refusal ends without a reconnect.
   */
  async replayPending(): Promise<void> {
    if (this.replaying || this.pending.size === 0) return;
    this.replaying = true;
    try {
      const todo = this.pending.snapshot();
      for (const ns of todo.namespaces) {
        if (!(await this.bump(ns))) return;
        this.pending.namespaceDone(ns);
        this.local(ns, { all: 1 });
        await this.opts.bus?.publish({ ns, all: 1 });
      }
      for (const [ns, tags] of todo.tags) {
        for (const tag of tags) {
          if (!(await this.bumpTag(ns, tag, true))) return;
          if (!(await this.invalidateTagKey(ns, this.opts.keys.tag(ns, tag)))) return;
          this.pending.tagDone(ns, tag);
        }
      }
      for (const [ns, tags] of this.pending.softSnapshot()) {
        for (const tag of tags) {
          if (!(await this.bumpTag(ns, tag, false))) return;
          this.pending.softTagDone(ns, tag);
        }
      }
      for (const [ns, keys] of todo.keys) {
        for (let i = 0; i < keys.length; i += this.batchSize) {
          const batch = keys.slice(i, i + this.batchSize);
          if (!(await this.tombstone(batch))) return;
          this.pending.keysDone(ns, batch);
          await this.broadcastKeys(ns, batch);
        }
      }
    } finally {
      this.replaying = false;
      if (this.pending.size > 0) this.scheduleRetry();
    }
  }

  private readonly onReady = (): void => {
    if (this.pending.size) void this.replayPending();
  };

  close(): void {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.opts.redis.client.off('ready', this.onReady);
  }
}

function isOutOfMemory(err: unknown): boolean {
  return err instanceof Error && err.message.startsWith('OOM');
}

function throwOnPipelineError(results: [Error | null, unknown][] | null): unknown {
  for (const [err] of results ?? []) if (err) throw err;
  return results;
}
