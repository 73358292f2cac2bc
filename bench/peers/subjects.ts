/**
 * The peer libraries, measured the same way as ours (see ../lib/subjects.ts). Lives in bench/peers
 * so their dependencies (incl. their own ioredis 5) resolve from bench/peers/node_modules and never
 * enter the product's lockfile.
 */
import KeyvRedis from '@keyv/redis';
import { BentoCache, bentostore } from 'bentocache';
import { redisDriver } from 'bentocache/drivers/redis';
import { createCache } from 'cache-manager';
import { Keyv } from 'keyv';

export interface PeerSubject {
  name: string;
  warm(keys: number, value: (i: number) => unknown): Promise<void>;
  read(i: number): Promise<unknown>;
  /** A cold-miss call with a loader (for the stampede). */
  load(key: string, loader: () => Promise<unknown>): Promise<unknown>;
  close(): Promise<void>;
}

const TTL_MS = 10 * 60_000;

/** bentocache with only its Redis L2 layer (no memory L1), so it compares with our L2 path. */
export function bentocache(host: string, port: number, prefix = 'bench-bento'): PeerSubject {
  const bento = new BentoCache({
    default: 'redis',
    prefix,
    stores: { redis: bentostore().useL2Layer(redisDriver({ connection: { host, port } })) },
  });
  let value: (i: number) => unknown = () => null;
  const factories: (() => unknown)[] = [];
  return {
    name: 'bentocache',
    async warm(keys, v) {
      value = v;
      for (let i = 0; i < keys; i++) factories[i] = () => value(i);
      for (let i = 0; i < keys; i++) await bento.getOrSet({ key: String(i), factory: factories[i]!, ttl: TTL_MS });
    },
    read: (i) => bento.getOrSet({ key: String(i), factory: factories[i]!, ttl: TTL_MS }),
    load: (key, loader) => bento.getOrSet({ key, factory: loader, ttl: TTL_MS }),
    close: () => bento.disconnectAll(),
  };
}

/** cache-manager 7 `wrap` on a Keyv store backed by @keyv/redis. */
export function cacheManager(url: string, namespace = 'bench-cm'): PeerSubject {
  const store = new KeyvRedis(url);
  const cache = createCache({ stores: [new Keyv({ store, namespace })] });
  let value: (i: number) => unknown = () => null;
  const fns: (() => unknown)[] = [];
  return {
    name: 'cacheManager',
    async warm(keys, v) {
      value = v;
      for (let i = 0; i < keys; i++) fns[i] = () => value(i);
      for (let i = 0; i < keys; i++) await cache.wrap(String(i), fns[i]!, TTL_MS);
    },
    read: (i) => cache.wrap(String(i), fns[i]!, TTL_MS),
    load: (key, loader) => cache.wrap(key, loader, TTL_MS),
    close: async () => {
      await cache.disconnect();
    },
  };
}

/** Batch reads and tag invalidation of the peers, for the batch and tag sections of bench:cache. */
export interface PeerBatch {
  name: string;
  /** Writes keys `${prefix}${i}` (i < n), each with `tag` when given. */
  fill(prefix: string, n: number, value: (i: number) => unknown, tag?: string): Promise<void>;
  /** Reads the given keys in one batch call (bentocache has none: one get per key, all at once). */
  readMany(keys: string[]): Promise<unknown[]>;
  /** Invalidates every key carrying `tag`; undefined when the library has no tags. */
  invalidateTag?(tag: string): Promise<void>;
  close(): Promise<void>;
}

export function bentocacheBatch(host: string, port: number, prefix = 'bench-bento-batch'): PeerBatch {
  const bento = new BentoCache({
    default: 'redis',
    prefix,
    stores: { redis: bentostore().useL2Layer(redisDriver({ connection: { host, port } })) },
  });
  return {
    name: 'bentocache',
    async fill(p, n, value, tag) {
      for (let i = 0; i < n; i += 200) {
        await Promise.all(
          Array.from({ length: Math.min(200, n - i) }, (_, j) =>
            bento.set({ key: `${p}${i + j}`, value: value(i + j), ttl: TTL_MS, ...(tag ? { tags: [tag] } : {}) }),
          ),
        );
      }
    },
    readMany: (keys) => Promise.all(keys.map((key) => bento.get({ key }))),
    invalidateTag: async (tag) => {
      await bento.deleteByTag({ tags: [tag] });
    },
    close: () => bento.disconnectAll(),
  };
}

export function cacheManagerBatch(url: string, namespace = 'bench-cm-batch'): PeerBatch {
  const cache = createCache({ stores: [new Keyv({ store: new KeyvRedis(url), namespace })] });
  return {
    name: 'cacheManager',
    async fill(p, n, value) {
      for (let i = 0; i < n; i += 200) {
        await cache.mset(
          Array.from({ length: Math.min(200, n - i) }, (_, j) => ({ key: `${p}${i + j}`, value: value(i + j), ttl: TTL_MS })),
        );
      }
    },
    readMany: (keys) => cache.mget(keys),
    close: async () => {
      await cache.disconnect();
    },
  };
}
