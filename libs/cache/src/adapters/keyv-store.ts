import { EventEmitter } from 'node:events';
import { Keyv, type KeyvStoreAdapter, type StoredData } from 'keyv';
import type { CacheAside } from '../core/cache-aside.js';
import { createCache, type CacheService, type CreateCacheOptions } from '../create-cache.js';

/*
 * A Keyv store on top of one namespace of the cache, so cache-manager (v6/v7) and
 * @nestjs/cache-manager (CACHE_MANAGER, CacheInterceptor) read and write through libs/cache: values
 * are encoded by the cache's serializer, reads go through L1 when it is on, and every write or
 * delete drops the key from the L1 of every instance on the invalidation bus before it returns.
 *
 * Only this module imports keyv at runtime: the rest of the library runs without it.
 */

export interface KeyvStoreOptions {
  /** Namespace of the entries (default "cache-manager"); clear() invalidates all of it. */
  namespace?: string;
  /**
   * Lifetime of an entry written without a ttl (Keyv's "no ttl" is "never expires"). Default
   * Infinity: kept until deleted, cleared or evicted by Redis.
   */
  defaultTtl?: number;
  /** Read through this process's L1 when the cache has one (default true). */
  l1?: boolean;
}

/**
 * Keyv with its own serialization turned off hands the store `{ value, expires }` objects; with
 * Keyv's default serialization (e.g. a store given bare to @nestjs/cache-manager, which wraps it in
 * `new Keyv({ store })`) it hands over a JSON string. Such a string is kept under this mark, so a
 * read hands the same string back for Keyv to parse.
 */
const SERIALIZED = '\u0000keyv-serialized';

type Wrapped = { readonly [SERIALIZED]: string };

const DEFAULT_NAMESPACE = 'cache-manager';

/**
 * A Keyv store adapter (KeyvStoreAdapter) backed by one CacheAside namespace. setMany resolves to
 * one boolean per entry, which Keyv's setMany passes on (its adapter type says void).
 */
export class CacheKeyvStore extends EventEmitter {
  /** Read by Keyv; `dialect` names the backend. */
  readonly opts: { dialect: string; namespace: string; defaultTtl: number };
  /** Set by Keyv to its own namespace (the key prefix Keyv adds); entries live in `cache` whatever it is. */
  namespace?: string;
  /** The namespace the entries are stored in. */
  readonly cache: CacheAside;

  private readonly l1: boolean;
  private readonly defaultTtl: number;

  /**
   * @param service the cache to store in
   * @param owned when true, disconnect() closes `service` (set by cacheManagerStore when it created the cache)
   */
  constructor(
    readonly service: CacheService,
    options: KeyvStoreOptions = {},
    private readonly owned = false,
  ) {
    super();
    const namespace = options.namespace ?? DEFAULT_NAMESPACE;
    this.cache = service.namespace(namespace);
    this.defaultTtl = options.defaultTtl ?? Infinity;
    if (!(this.defaultTtl > 0)) throw new RangeError(`KeyvStoreOptions.defaultTtl must be positive: ${options.defaultTtl}`);
    this.l1 = options.l1 !== false;
    this.opts = { dialect: 'libs-cache', namespace, defaultTtl: this.defaultTtl };
  }

  async get<Value>(key: string): Promise<StoredData<Value> | undefined> {
    return toStored<Value>(await this.cache.get(key, { l1: this.l1 }));
  }

  async getMany<Value>(keys: string[]): Promise<Array<StoredData<Value | undefined>>> {
    if (keys.length === 0) return [];
    const values = this.l1 ? await this.cache.mget(keys) : await Promise.all(keys.map((k) => this.cache.get(k, { l1: false })));
    return values.map((v) => toStored<Value>(v));
  }

  async has(key: string): Promise<boolean> {
    return (await this.cache.get(key, { l1: this.l1 })) !== undefined;
  }

  async hasMany(keys: string[]): Promise<boolean[]> {
    return (await this.getMany(keys)).map((v) => v !== undefined);
  }

  /** Stores `value` for `ttl` ms (none or 0: defaultTtl). False when Redis could not store it. */
  async set(key: string, value: unknown, ttl?: number): Promise<boolean> {
    const payload = fromKeyv(value);
    if (payload === undefined) return this.delete(key); // an undefined value reads as a miss anyway
    return this.cache.set(key, payload, { ttl: this.ttlOf(ttl) });
  }

  /** set() for many entries: one cache setMany per distinct ttl. One boolean per entry, in order. */
  async setMany(entries: Array<{ key: string; value: unknown; ttl?: number }>): Promise<boolean[]> {
    const groups = new Map<number, { at: number[]; entries: [string, unknown][] }>();
    const removed: number[] = [];
    entries.forEach(({ key, value, ttl }, i) => {
      const payload = fromKeyv(value);
      if (payload === undefined) {
        removed.push(i);
        return;
      }
      const t = this.ttlOf(ttl);
      let g = groups.get(t);
      if (!g) groups.set(t, (g = { at: [], entries: [] }));
      g.at.push(i);
      g.entries.push([key, payload]);
    });
    const out = new Array<boolean>(entries.length).fill(false);
    const writes = [...groups].map(async ([ttl, g]) => {
      const ok = await this.cache.setMany(g.entries, { ttl });
      for (const i of g.at) out[i] = ok;
    });
    if (removed.length) {
      writes.push(
        this.cache.deleteMany(removed.map((i) => entries[i].key)).then((ok) => {
          for (const i of removed) out[i] = ok;
        }),
      );
    }
    await Promise.all(writes);
    return out;
  }

  /** Invalidates the key everywhere (L1 of every instance included). False only when Redis failed. */
  delete(key: string): Promise<boolean> {
    return this.cache.delete(key);
  }

  deleteMany(keys: string[]): Promise<boolean> {
    return keys.length === 0 ? Promise.resolve(true) : this.cache.deleteMany(keys);
  }

  /** Invalidates the whole namespace in O(1) (a version bump; old entries expire on their own). */
  async clear(): Promise<void> {
    await this.cache.invalidateAll();
  }

  /** Closes the cache only when cacheManagerStore created it; a cache passed in stays open. */
  async disconnect(): Promise<void> {
    if (this.owned) await this.service.close();
  }

  private ttlOf(ttl: number | undefined): number {
    return ttl === undefined || ttl === 0 ? this.defaultTtl : ttl;
  }
}

/** Compile-time checks: CacheKeyvStore is a KeyvStoreAdapter (setMany apart from its result). */
type Satisfies<T extends U, U> = T;
type KeyvSetMany = (values: Parameters<NonNullable<KeyvStoreAdapter['setMany']>>[0]) => Promise<unknown>;

type _IsAdapter = [
  Satisfies<Omit<CacheKeyvStore, 'setMany'> & { setMany: KeyvStoreAdapter['setMany'] }, KeyvStoreAdapter>,
  Satisfies<CacheKeyvStore['setMany'], KeyvSetMany>,
];

/** What the cache stores for what Keyv hands over (see SERIALIZED). */
function fromKeyv(value: unknown): unknown {
  if (typeof value === 'string') return { [SERIALIZED]: value } satisfies Wrapped;
  if (isStoredData(value)) return value.value;
  return value;
}

/** What Keyv gets back for a cached value. */
function toStored<Value>(v: unknown): StoredData<Value> | undefined {
  if (v === undefined) return undefined;
  if (isWrapped(v)) return v[SERIALIZED] as StoredData<Value>;
  return { value: v as Value };
}

function isStoredData(v: unknown): v is { value: unknown; expires?: number } {
  if (typeof v !== 'object' || v === null || Array.isArray(v) || !Object.hasOwn(v, 'value')) return false;
  for (const k of Object.keys(v)) if (k !== 'value' && k !== 'expires') return false;
  return true;
}

function isWrapped(v: unknown): v is Wrapped {
  return typeof v === 'object' && v !== null && typeof (v as Record<string, unknown>)[SERIALIZED] === 'string';
}

function isCacheService(x: CacheService | CreateCacheOptions): x is CacheService {
  return typeof (x as CacheService).namespace === 'function';
}

/** A Keyv store adapter on a namespace of `cache` (for `new Keyv({ store })` or any Keyv-based library). */
export function keyvStore(cache: CacheService, options?: KeyvStoreOptions): CacheKeyvStore {
  return new CacheKeyvStore(cache, options);
}

/**
 * What `CacheModule.register({ stores: [...] })` of @nestjs/cache-manager (and cache-manager's
 * `createCache({ stores })`) takes: a Keyv over a CacheKeyvStore, with Keyv's own serialization and
 * key prefix turned off (the cache's serializer and namespace do that job). Given a CacheService,
 * the store uses it and leaves it open; given CreateCacheOptions, it creates the cache and closes it
 * when cache-manager disconnects (e.g. on Nest module destroy).
 */
export function cacheManagerStore(cache: CacheService | CreateCacheOptions, options?: KeyvStoreOptions): Keyv {
  const owned = !isCacheService(cache);
  const service = isCacheService(cache) ? cache : createCache(cache);
  const store = new CacheKeyvStore(service, options, owned);
  return new Keyv({ store, serialize: undefined, deserialize: undefined, useKeyPrefix: false, namespace: undefined });
}
