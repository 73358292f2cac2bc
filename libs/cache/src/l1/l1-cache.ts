import { LRUCache } from 'lru-cache';

/**
 * What L1 stores: the decoded value (a box, so a cached `undefined`/negative entry is still a hit)
 * and, once it was hit, an already-resolved promise of it that every later hit returns as is.
 */
export interface L1Box {
  readonly v: unknown;
  p: Promise<unknown> | undefined;
  /** The entry's tags: a hit only while L1 holds each tag's state, not newer than the stamp. */
  readonly t?: readonly L1TagStamp[];
  /** Estimated bytes (key, value, bookkeeping), counted against L1Options.maxBytes. */
  readonly s: number;
  /** When (epoch ms) a hit asks for an early refresh (L1Namespace.onEarly); Infinity once asked. */
  r: number;
  /** The head (kind + token) of the Redis entry the value was decoded from, when known. */
  readonly h?: string;
}

/** A tag of an L1 entry: the tag-version key and the version its value was loaded under. */
export interface L1TagStamp {
  readonly key: string;
  readonly v: number;
}

export interface L1Options {
  /** Max entries per namespace. */
  max: number;
  /**
   * Bound on the estimated size of everything L1 holds, all namespaces together (default
   * DEFAULT_L1_MAX_BYTES): least recently used entries are dropped to stay under it. The estimate
   * walks each value once when it is stored (strings by length, objects and arrays by slot count).
   * The fail-safe copy (failSafeMs), filled only while Redis is away, has the same bound of its own.
   */
  maxBytes?: number;
  /** Upper bound on how long an entry lives in L1 (also bounded by the entry's own freshness). */
  ttlMs: number;
  /**
   * How long an invalidation waits for other instances to confirm their L1 dropped it (default
   * ttlMs + 1000). Keep it above ttlMs: then a returned invalidation means no instance serves the
   * old value, even one that never confirmed.
   */
  ackTimeoutMs?: number;
  /**
   * Fail-safe (default 60 000 ms, 0 = off): when L1 is suspended because Redis went away, its
   * entries are kept this long aside, and answered only when Redis cannot be read AND the loader
   * fails: a recent value beats an error while both the cache and the source are down.
   */
  failSafeMs?: number;
  /**
   * Server-assisted invalidation (default true; standalone, Sentinel, and per master on a cluster):
   * Redis tells every instance when anyone, also outside this library, changes an entry L1 may hold.
   */
  serverAssisted?: boolean;
}

/** L1Options.maxBytes when none is given: 32 MiB. */
export const DEFAULT_L1_MAX_BYTES = 32 * 1024 * 1024;

/**
 * Share of an entry's L1 life at whose end a hit refreshes it from Redis in the background
 * (L1Namespace.onEarly): a key read all the time stays in L1 instead of missing once per L1 ttl.
 */
const EARLY_REFRESH_SHARE = 0.25;

/** Bookkeeping of one entry beside its key and value (box, LRU slots, Map entry): an estimate. */
const ENTRY_OVERHEAD_BYTES = 96;

/** Slots a namespace's LRU starts with (see L1Namespace.newLru). */
const INITIAL_ENTRIES = 256;

/** How often expired entries are dropped (they are not served, but hold memory until then). */
const SWEEP_MIN_MS = 1_000;
const SWEEP_MAX_MS = 60_000;

/** How long after our own script write its tracking report is expected at most. */
const OWN_WRITE_WINDOW_MS = 1_000;

/** Passed to lru-cache's get() so a hit does not allocate an options object. */
const GET_OPTIONS: LRUCache.GetOptions<string, L1Box, unknown> = {};

/**
 * In-process LRU for one namespace. `generation` changes on every invalidation that touches the
 * namespace, so a Redis read that started before an invalidation cannot repopulate L1 afterwards
 * (the reader compares the generation it saw before reading).
 */
export class L1Namespace {
  /** The entries; replaced by a larger one as the namespace fills (see grow). */
  lru: LRUCache<string, L1Box>;
  generation = 0;
  /** Estimated bytes of the entries in `lru` (see L1Options.maxBytes). */
  bytes = 0;
  /** Entries set aside when L1 was suspended, for the fail-safe (see L1Options.failSafeMs); made on first use. */
  private kept: LRUCache<string, L1Box> | undefined;
  private readonly maxEntries: number;
  private readonly failSafeMs: number;
  private readonly dispose: (box: L1Box) => void;
  /**
   * Called (once per entry) when a hit finds the entry in the last EARLY_REFRESH_SHARE of its L1
   * life: the namespace's cache reads it again from Redis and sets it anew (CacheAside).
   */
  onEarly: ((key: string) => void) | undefined;

  constructor(
    readonly store: L1Store,
    private readonly opts: L1Options,
  ) {
    // dispose runs for every entry that leaves (evicted, replaced, deleted, expired, cleared).
    this.dispose = (box: L1Box): void => {
      this.bytes -= box.s;
      store.bytes -= box.s;
    };
    this.maxEntries = opts.max;
    this.failSafeMs = opts.failSafeMs ?? 60_000;
    this.lru = this.newLru(Math.min(opts.max, INITIAL_ENTRIES));
  }

  /**
   * lru-cache allocates its slot arrays for `max` entries up front (about 40 bytes each with TTLs):
   * at the configured max (20,000 by default) that is ~1 MB per namespace, most of them holding a
   * handful of keys. So a namespace starts small and grows 4× when full, up to the max.
   */
  private newLru(max: number): LRUCache<string, L1Box> {
    return new LRUCache<string, L1Box>({ max, ttl: this.opts.ttlMs, ttlAutopurge: false, updateAgeOnGet: false, dispose: this.dispose });
  }

  /** A full, not yet max-sized namespace moves its entries (order, TTLs, sizes kept) to one 4× larger. */
  private grow(): void {
    const next = this.newLru(Math.min(this.maxEntries, this.lru.max * 4));
    next.load(this.lru.dump()); // every entry, expired ones too, least recent first, with its TTL
    this.lru = next; // the old one is dropped as is (no dispose): its entries, and their bytes, are in `next`
  }

  /** Drops expired entries (of the fail-safe copy too). */
  purgeStale(): void {
    this.lru.purgeStale();
    this.kept?.purgeStale();
  }

  /** A value set aside when L1 was suspended (see L1Options.failSafeMs), for when nothing else can answer. */
  failSafe(key: string): { readonly value: unknown } | undefined {
    const box = this.kept?.get(key);
    return box === undefined ? undefined : { value: box.v };
  }

  /** Suspension: the entries stop being served, and are set aside for the fail-safe. */
  setAside(): void {
    this.generation++;
    if (this.failSafeMs > 0 && this.lru.size > 0) {
      this.kept ??= new LRUCache<string, L1Box>({
        max: this.maxEntries,
        maxSize: this.store.maxBytes,
        sizeCalculation: (box) => Math.max(1, box.s),
        ttl: this.failSafeMs,
        ttlAutopurge: false,
      });
      for (const [k, box] of this.lru.entries()) this.kept.set(k, box);
    }
    this.lru.clear();
  }

  /** Fast path: one Map lookup plus a TTL check (and a lookup per tag for a tagged entry). */
  get(key: string): L1Box | undefined {
    if (this.store.suspended) return undefined;
    const box = this.lru.get(key);
    if (box === undefined || (box.t !== undefined && !this.tagsCurrent(box.t))) return undefined;
    if (box.r <= Date.now()) this.early(key, box);
    return box;
  }

  private early(key: string, box: L1Box): void {
    box.r = Infinity;
    this.onEarly?.(key);
  }

  /** The value as a resolved promise (the same promise for every hit on this entry), or undefined. */
  getResolved(key: string): Promise<unknown> | undefined {
    if (this.store.suspended) return undefined;
    const box = this.lru.get(key, GET_OPTIONS);
    GET_OPTIONS.status = undefined; // lru-cache stores its (diagnostics) status here: never reuse one
    if (box === undefined || (box.t !== undefined && !this.tagsCurrent(box.t))) return undefined;
    if (box.r <= Date.now()) this.early(key, box);
    return box.p ?? (box.p = Promise.resolve(box.v));
  }

  /**
   * Whether no tag of an entry was invalidated since its load, as far as L1 knows: the state of
   * each tag (kept here under its version key by TagVersions) is present and not past the stamp.
   * An invalidation drops the state on every instance (invalidation bus), so the entry stops
   * being a hit at once; the Redis read then decides (stale, dead, or still fresh).
   */
  private tagsCurrent(stamps: readonly L1TagStamp[]): boolean {
    for (let i = 0; i < stamps.length; i++) {
      const s = this.lru.get(stamps[i].key, GET_OPTIONS);
      GET_OPTIONS.status = undefined;
      if (s === undefined || (s.v as { c: number }).c > stamps[i].v) return false;
    }
    return true;
  }

  /**
   * Fills L1 with a value read at `readAt` (epoch ms, default now). Its L1 life counts from the
   * read, not from now: a reply handled late (a stalled event loop) must not outlive, in L1, the
   * wait of an invalidation that was published after the read (ttlMs < ackTimeoutMs).
   * `refreshEarly` false: a hit never asks for an early refresh (a value that is not an entry).
   */
  set(
    key: string,
    value: unknown,
    ttlMs: number,
    generationAtRead: number,
    readAt?: number,
    tags?: readonly L1TagStamp[],
    refreshEarly = true,
    head?: string,
  ): void {
    if (this.store.suspended || generationAtRead !== this.generation) return;
    const ttl = Math.min(ttlMs, readAt === undefined ? this.store.options.ttlMs : this.store.options.ttlMs - (Date.now() - readAt));
    if (ttl <= 0) return;
    // The same Redis entry as the one held (an early refresh of an unchanged entry): the held object
    // stays, so what callers derived from it (an HTTP body and its ETag) stays valid, and the new
    // copy dies young instead of replacing an old one every L1 ttl.
    const held = head === undefined ? undefined : this.lru.peek(key);
    const same = held !== undefined && held.h === head && held.t === tags;
    // Every caller that hits this entry gets the same object: frozen, one caller's change cannot
    // show up in another's answer (it throws in strict code instead). The walk also sizes it.
    const s = same ? held.s : ENTRY_OVERHEAD_BYTES + 2 * key.length + (tags ? 32 * tags.length : 0) + freezeAndMeasure(value);
    const r = refreshEarly ? Date.now() + ttl * (1 - EARLY_REFRESH_SHARE) : Infinity;
    const box: L1Box = { v: same ? held.v : value, p: same ? held.p : undefined, t: tags, s, r, h: head };
    if (this.lru.size >= this.lru.max && this.lru.max < this.maxEntries && !this.lru.has(key)) this.grow();
    this.lru.set(key, box, { ttl });
    this.bytes += s;
    this.store.bytes += s;
    if (this.store.bytes > this.store.maxBytes) this.store.trim();
  }

  delete(keys: readonly string[]): void {
    this.generation++;
    for (const k of keys) {
      this.lru.delete(k);
      this.kept?.delete(k);
    }
  }

  clear(): void {
    this.generation++;
    this.lru.clear();
    this.kept?.clear();
  }

  deleteMatching(match: (key: string) => boolean): void {
    this.generation++;
    for (const k of [...this.lru.keys()]) if (match(k)) this.lru.delete(k);
    if (this.kept) for (const k of [...this.kept.keys()]) if (match(k)) this.kept.delete(k);
  }
}

/**
 * All L1 namespaces of one cache instance. While `suspended` (the invalidation bus is not
 * subscribed, e.g. during a reconnect) L1 is bypassed: without pub/sub we could miss invalidations.
 */
export class L1Store {
  suspended = false;
  /** Told about each namespace the first time L1 holds it (server-assisted invalidation tracks it then). */
  onNamespace: ((ns: string) => void) | undefined;
  /**
   * Whether Redis reports the writes of our own Lua scripts to our CLIENT TRACKING redirect
   * (Redis 7.0 does, NOLOOP covering plain commands only). While true, the entries our scripts
   * store are noted, and the one report each causes is not taken for an outside write.
   */
  ownScriptWritesReported = false;
  private readonly ownWrites = new Map<string, { n: number; at: number; seq: number }>();
  private noteSeq = 0;
  private readonly namespaces = new Map<string, L1Namespace>();
  readonly maxBytes: number;
  /** Estimated bytes of all namespaces' entries (see L1Options.maxBytes). */
  bytes = 0;
  private readonly sweep: NodeJS.Timeout;

  constructor(readonly options: L1Options) {
    this.maxBytes = options.maxBytes ?? DEFAULT_L1_MAX_BYTES;
    // Expired entries would otherwise stay until evicted: with distinct keys (one list query per
    // request) that is max entries per namespace, or maxBytes, long after their ttl.
    const every = Math.min(SWEEP_MAX_MS, Math.max(SWEEP_MIN_MS, options.ttlMs));
    this.sweep = setInterval(() => this.purgeStale(), every);
    this.sweep.unref();
  }

  /**
   * Drops least recently used entries until the store is within maxBytes, each from the namespace
   * holding the most bytes: a namespace of many distinct keys (one list query per request) gives
   * way before the small hot ones.
   */
  trim(): void {
    while (this.bytes > this.maxBytes) {
      let victim: L1Namespace | undefined;
      for (const n of this.namespaces.values()) if (n.lru.size > 0 && (!victim || n.bytes > victim.bytes)) victim = n;
      if (!victim) return;
      victim.lru.pop();
    }
  }

  purgeStale(): void {
    for (const n of this.namespaces.values()) n.purgeStale();
  }

  /** Stops the sweep of expired entries. */
  close(): void {
    clearInterval(this.sweep);
  }

  namespace(ns: string): L1Namespace {
    let n = this.namespaces.get(ns);
    if (!n) {
      n = new L1Namespace(this, this.options);
      this.namespaces.set(ns, n);
      this.onNamespace?.(ns);
    }
    return n;
  }

  peek(ns: string): L1Namespace | undefined {
    return this.namespaces.get(ns);
  }

  names(): string[] {
    return [...this.namespaces.keys()];
  }

  clearAll(): void {
    for (const n of this.namespaces.values()) n.clear();
    // A note whose report was lost with a connection would swallow the report of a later outside
    // write: start over (at worst one of our own entries is dropped once by its late report).
    this.ownWrites.clear();
  }

  /** Before one of our scripts writes `key`: its report is ours, not an outside write. */
  noteOwnWrite(key: string): void {
    if (!this.ownScriptWritesReported) return;
    const w = this.ownWrites.get(key);
    const seq = ++this.noteSeq;
    if (w) {
      w.n++;
      w.at = Date.now();
      w.seq = seq;
    } else {
      if (this.ownWrites.size >= 10_000) this.ownWrites.clear(); // at worst an L1 drop too many
      this.ownWrites.set(key, { n: 1, at: Date.now(), seq });
    }
  }

  /** Where the numbering of own-write notes stands (see forgetOwnWritesUnder). */
  ownWriteMark(): number {
    return this.noteSeq;
  }

  /** Drops the notes of keys under `prefix` made up to `mark`: their writes were sent before the prefix was tracked, so no report comes. */
  forgetOwnWritesUnder(prefix: string, mark: number): void {
    for (const [key, w] of this.ownWrites) if (w.seq <= mark && key.startsWith(prefix)) this.ownWrites.delete(key);
  }

  /** Our script did not write `key` after all: no report will come. */
  forgetOwnWrite(key: string): void {
    const w = this.ownWrites.get(key);
    if (w && --w.n <= 0) this.ownWrites.delete(key);
  }

  /** True (and consumed) when a tracking report of `key` is the echo of our own script write. */
  takeOwnWrite(key: string): boolean {
    const w = this.ownWrites.get(key);
    if (!w) return false;
    if (--w.n <= 0) this.ownWrites.delete(key);
    // Reports arrive within milliseconds; an old note is a leftover, not this report's cause.
    return Date.now() - w.at < OWN_WRITE_WINDOW_MS;
  }

  /** Redis went away: nothing is served from L1 until it is back; entries are set aside for the fail-safe. */
  setAsideAll(): void {
    for (const n of this.namespaces.values()) n.setAside();
  }

  /**
   * Invalidations may have been missed (a lost message, a dropped presence, a rejoin): no entry is
   * served any more. They stay as fail-safe copies, which answer only when Redis and the loader
   * both fail and are stale by design; invalidations that do arrive still remove them. Wiping them
   * here would lose them to whichever of these events comes first while Redis goes down.
   */
  distrustAll(): void {
    this.setAsideAll();
    // A note whose report was lost with a connection would swallow the report of a later outside
    // write: start over (at worst one of our own entries is dropped once by its late report).
    this.ownWrites.clear();
  }

  size(): number {
    let s = 0;
    for (const n of this.namespaces.values()) s += n.lru.size;
    return s;
  }
}

/** Freezes a value and everything reachable from it (typed arrays and Buffers cannot be frozen: left as they are). */
export function deepFreeze<T>(value: T): T {
  freezeAndMeasure(value);
  return value;
}

/**
 * deepFreeze, returning an estimate of the bytes it holds: strings by length, objects and arrays by
 * header and slots, typed arrays by length. What was frozen already (shared with another entry) is
 * counted as one slot.
 */
export function freezeAndMeasure(value: unknown): number {
  if (typeof value === 'string') return 16 + value.length;
  if (typeof value !== 'object' || value === null) return 8;
  if (ArrayBuffer.isView(value)) return 64 + value.byteLength;
  if (Object.isFrozen(value)) return 8;
  Object.freeze(value);
  const keys = Object.keys(value);
  let bytes = 24 + 8 * keys.length;
  for (const key of keys) bytes += freezeAndMeasure((value as Record<string, unknown>)[key]);
  return bytes;
}

const lit = (ch: string): string => ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** Redis glob (as produced by KeyBuilder.pattern) to an anchored RegExp, for L1 pattern invalidation. */
export function globToRegExp(glob: string): RegExp {
  let re = '^';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '\\' && i + 1 < glob.length) re += lit(glob[++i]);
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end === -1) re += '\\[';
      else {
        const body = glob.slice(i + 1, end);
        const neg = body.startsWith('^');
        re += '[' + (neg ? '^' : '') + [...(neg ? body.slice(1) : body)].map((ch) => (ch === '-' ? '-' : lit(ch))).join('') + ']';
        i = end;
      }
    } else re += lit(c);
  }
  return new RegExp(re + '$');
}
