import type { CacheAside } from '../core/cache-aside.js';
import type { CacheKey } from '../core/cache-key.js';
import type { GetOrLoadOptions } from '../core/options.js';
import type { CacheService } from '../create-cache.js';
import { getCacheForDecorators } from './decorator-registry.js';

/** The decorated method: called with the arguments `key` and `tags` take; its result is only passed on. */
type Method<A extends unknown[]> = (this: unknown, ...args: A) => unknown;
type Tags<A extends unknown[]> = readonly string[] | ((...args: A) => readonly string[]);

/*
 * A: the method's arguments, inferred from `key` / `tags` (`key: (id: string) => ...`). A method
 * decorator cannot see the parameters of the method it decorates, so where nothing fixes A (an
 * options object typed without it, `tags: (x) => [x.slug]` alone) the default `any[]` keeps
 * unannotated callbacks working, as they did before the options were generic.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above: the decorated method's parameters are not visible here
type AnyArgs = any[];
export interface CacheableOptions<A extends unknown[] = AnyArgs> extends Omit<GetOrLoadOptions, 'tags'> {
  /** Namespace (default: the module's default namespace). */
  namespace?: string;
  /** Key parts from the method arguments. */
  key: (...args: A) => CacheKey;
  tags?: Tags<A>;
}

export interface CacheEvictOptions<A extends unknown[] = AnyArgs> {
  namespace?: string;
  /** Entry to invalidate. */
  key?: (...args: A) => CacheKey;
  /** Tags to invalidate. */
  tags?: Tags<A>;
  /** Invalidate the whole namespace (O(1) version bump). */
  allEntries?: boolean;
  /** Invalidate before running the method (default: after it succeeded). */
  beforeInvocation?: boolean;
}

export interface CachePutOptions<A extends unknown[] = AnyArgs> {
  namespace?: string;
  /** Key parts from the arguments… */
  key?: (...args: A) => CacheKey;
  /** …or from the method's result (e.g. an id assigned by the database). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the decorator cannot see the method's result type; any lets `(row) => ['p', row.id]` read it
  keyFromResult?: (result: any) => CacheKey;
  ttl?: number;
  tags?: Tags<A>;
}

function resolve(svc: CacheService, namespace?: string): CacheAside {
  return namespace ? svc.namespace(namespace) : svc.cache;
}

function tagsOf<A extends unknown[]>(tags: Tags<A> | undefined, args: A): readonly string[] | undefined {
  return typeof tags === 'function' ? tags(...args) : tags;
}

/** Replaces a method, keeping its name and the metadata other decorators put on it (routes, guards…). */
function wrap<A extends unknown[]>(descriptor: PropertyDescriptor, make: (original: Method<A>) => Method<A>): PropertyDescriptor {
  const original = descriptor.value as Method<A>;
  const wrapped = make(original);
  Object.defineProperty(wrapped, 'name', { value: original.name });
  const R = Reflect as unknown as {
    getMetadataKeys?: (t: object) => unknown[];
    getMetadata?: (k: unknown, t: object) => unknown;
    defineMetadata?: (k: unknown, v: unknown, t: object) => void;
  };
  if (R.getMetadataKeys && R.getMetadata && R.defineMetadata) {
    for (const k of R.getMetadataKeys(original)) R.defineMetadata(k, R.getMetadata(k, original), wrapped);
  }
  descriptor.value = wrapped;
  return descriptor;
}

/** Caches the method's result (cache-aside with single-flight and the distributed load lock). */
export function Cacheable<A extends unknown[] = AnyArgs>(opts: CacheableOptions<A>): MethodDecorator {
  const { namespace, key, tags, ...options } = opts;
  return (_target, _prop, descriptor) =>
    wrap<A>(
      descriptor,
      (original) =>
        function (this: unknown, ...args: A) {
          const svc = getCacheForDecorators();
          if (!svc) return original.apply(this, args);
          return resolve(svc, namespace).getOrLoad(key(...args), () => original.apply(this, args), {
            ...options,
            tags: tagsOf(tags, args),
          });
        },
    );
}

/** Invalidates entries, tags or the whole namespace after (or before) the method runs. */
export function CacheEvict<A extends unknown[] = AnyArgs>(opts: CacheEvictOptions<A>): MethodDecorator {
  const evict = async (svc: CacheService, args: A): Promise<void> => {
    const cache = resolve(svc, opts.namespace);
    const jobs: Promise<unknown>[] = [];
    if (opts.allEntries) jobs.push(cache.invalidateAll());
    if (opts.key) jobs.push(cache.delete(opts.key(...args)));
    const tags = tagsOf(opts.tags, args);
    if (tags?.length) jobs.push(svc.invalidator.invalidateTags(cache.namespace, tags));
    await Promise.all(jobs);
  };
  return (_target, _prop, descriptor) =>
    wrap<A>(
      descriptor,
      (original) =>
        async function (this: unknown, ...args: A) {
          const svc = getCacheForDecorators();
          if (!svc) return original.apply(this, args);
          if (opts.beforeInvocation) await evict(svc, args);
          const result = await original.apply(this, args);
          if (!opts.beforeInvocation) await evict(svc, args);
          return result;
        },
    );
}

/** Always runs the method, then stores its result (e.g. an update returning the saved entity). */
export function CachePut<A extends unknown[] = AnyArgs>(opts: CachePutOptions<A>): MethodDecorator {
  if (!opts.key && !opts.keyFromResult) throw new TypeError('@CachePut needs key or keyFromResult');
  return (_target, _prop, descriptor) =>
    wrap<A>(
      descriptor,
      (original) =>
        async function (this: unknown, ...args: A) {
          const result = await original.apply(this, args);
          const svc = getCacheForDecorators();
          if (svc) {
            const cache = resolve(svc, opts.namespace);
            const key = opts.keyFromResult ? opts.keyFromResult(result) : opts.key!(...args);
            // Like write-through: if the value cannot be cached, drop the old entry.
            const stored = await cache.set(key, result, { ttl: opts.ttl, tags: tagsOf(opts.tags, args) });
            if (!stored) await cache.delete(key);
          }
          return result;
        },
    );
}
