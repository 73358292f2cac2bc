import { createHash } from 'node:crypto';

/**
 * Builds every Redis key of the library: `{prefix}:{namespace}:v{version}:part:part`.
 *
 * - Parts are percent-escaped (`% : * ? [ ] \ { } #`), so caller input can neither form a glob
 *   pattern, add a segment, reach another namespace, carry a cluster hash tag, nor end like a hashed
 *   key (`#<sha256>`). Lone UTF-16 surrogates become `%uXXXX`: UTF-8 has no encoding for them, so
 *   sent as they are, every one of them would reach Redis as the same U+FFFD.
 * - Segments right after the namespace that start with `_` are reserved for internals
 *   (`_nsver`, `_tag`, `_tagv`, `_lock`); user data always has `v<digits>` there, so they cannot collide.
 * - Keys longer than maxKeyLength keep a readable head and end with `#<sha256 of the full tail>`.
 * - `hashTagged(ns, id, ...)` produces `{prefix}:{ns:id}:...` so all keys of one id share a cluster slot.
 */
export interface KeyBuilderOptions {
  prefix: string;
  /** Default 512 bytes-ish (characters); longer keys are hashed. */
  maxKeyLength?: number;
}

const NAME_RE = /^[a-z0-9_-]+$/;
const PREFIX_RE = /^[A-Za-z0-9_.-]+$/;
const NEEDS_ESCAPE = /[%:*?[\]\\{}#\uD800-\uDFFF]/;
const ESCAPE_ALL = /[%:*?[\]\\{}#]/g;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const ESCAPES: Record<string, string> = {
  '%': '%25',
  ':': '%3A',
  '*': '%2A',
  '?': '%3F',
  '[': '%5B',
  ']': '%5D',
  '\\': '%5C',
  '{': '%7B',
  '}': '%7D',
  '#': '%23',
};
const escapeChar = (c: string): string => ESCAPES[c];
const escapeSurrogate = (c: string): string => '%u' + c.charCodeAt(0).toString(16).toUpperCase();

/** The escaped form of a part that NEEDS_ESCAPE matched. */
function escapeString(part: string): string {
  return part.replace(ESCAPE_ALL, escapeChar).replace(LONE_SURROGATE, escapeSurrogate);
}

/** Escapes one key part; the common case (nothing to escape) costs one regex test. */
export function escapeKeyPart(part: string | number): string {
  if (typeof part === 'number') {
    if (!Number.isFinite(part)) throw new TypeError(`Invalid numeric key part: ${part}`);
    return String(part);
  }
  if (typeof part !== 'string') throw new TypeError(`Key parts must be strings or numbers, got ${typeof part}`);
  return NEEDS_ESCAPE.test(part) ? escapeString(part) : part;
}

function joinParts(parts: readonly (string | number)[]): string {
  let out = '';
  for (let i = 0; i < parts.length; i++) out += (i === 0 ? '' : ':') + escapeKeyPart(parts[i]);
  return out;
}

export function assertNamespace(namespace: string): void {
  if (!NAME_RE.test(namespace)) {
    throw new TypeError(`Invalid cache namespace "${namespace}": use [a-z0-9_-]`);
  }
}

/** `{ns:id}:part:part` — the relative form of a slot-pinned key (see KeyBuilder.hashTagged). */
export function hashTagged(namespace: string, id: string | number, ...parts: (string | number)[]): string {
  assertNamespace(namespace);
  const tail = parts.length ? ':' + joinParts(parts) : '';
  return `{${namespace}:${escapeKeyPart(id)}}${tail}`;
}

export class KeyBuilder {
  readonly prefix: string;
  readonly maxKeyLength: number;
  private readonly checked = new Set<string>();

  constructor(opts: KeyBuilderOptions) {
    if (!PREFIX_RE.test(opts.prefix)) throw new TypeError(`Invalid key prefix "${opts.prefix}"`);
    this.prefix = opts.prefix;
    this.maxKeyLength = Math.max(opts.maxKeyLength ?? 512, 96);
  }

  /** `{prefix}:{ns}:part:part` (no version segment: for data you manage yourself). */
  raw(namespace: string, ...parts: (string | number)[]): string {
    return this.fit(`${this.ns(namespace)}:${joinParts(parts)}`);
  }

  /** `{prefix}:{ns}:v{version}:part:part` — the shape of every cache entry. */
  versioned(namespace: string, version: number, ...parts: (string | number)[]): string {
    return this.fit(`${this.ns(namespace)}:v${version | 0}:${joinParts(parts)}`);
  }

  /** Same as versioned() with parts already in an array (hot path: no rest-args copy). */
  entry(namespace: string, version: number, parts: readonly (string | number)[] | string | number): string {
    const tail = Array.isArray(parts) ? joinParts(parts) : escapeKeyPart(parts as string | number);
    return this.fit(`${this.ns(namespace)}:v${version | 0}:${tail}`);
  }

  /** `{prefix}:{ns}:v{version}:` — precomputed by CacheAside so the hot path only joins parts. */
  entryHead(namespace: string, version: number): string {
    return `${this.ns(namespace)}:v${version | 0}:`;
  }

  /** An entry key from a head made by entryHead(). */
  entryFromHead(head: string, parts: readonly (string | number)[] | string | number): string {
    let key: string;
    if (typeof parts === 'string') key = head + (NEEDS_ESCAPE.test(parts) ? escapeString(parts) : parts);
    else if (Array.isArray(parts)) key = head + joinParts(parts);
    else key = head + escapeKeyPart(parts as number);
    return key.length <= this.maxKeyLength ? key : this.fit(key);
  }

  /** Set of cache keys carrying a tag. */
  tag(namespace: string, tag: string): string {
    return this.fit(`${this.ns(namespace)}:_tag:${escapeKeyPart(tag)}`);
  }

  /**
   * A tag's version (`{last invalidation}:{last hard invalidation}`, µs of the server clock): bumped
   * to invalidate every entry carrying the tag in O(1). Its own slot on a cluster, read per slot.
   */
  tagVersion(namespace: string, tag: string): string {
    return this.fit(`${this.ns(namespace)}:_tagv:${escapeKeyPart(tag)}`);
  }

  /** Counter bumped to invalidate a whole namespace in O(1). */
  namespaceVersionKey(namespace: string): string {
    return `${this.ns(namespace)}:_nsver`;
  }

  /** Internal key derived from a full cache key (e.g. its load lock); never matches user patterns. */
  internal(kind: string, namespace: string, ...parts: (string | number)[]): string {
    return this.fit(`${this.ns(namespace)}:_${kind}:${joinParts(parts)}`);
  }

  /**
   * Base of the load-lock keys of a cache entry, hash-tagged with the whole entry key: entry keys
   * carry no braces (escaped), so `{entry key}` hashes to the entry's own cluster slot and one script
   * can check the lock's fence and store the entry.
   */
  lockFor(namespace: string, cacheKey: string): string {
    return this.fit(`${this.ns(namespace)}:_lock:{${cacheKey}}`);
  }

  /**
   * SCAN pattern: `{prefix}:{ns}:v{version|*}:part:part:*`. Parts are escaped, so only the wildcard
   * we append can match more than the literal text. Hashed (over-long) keys match only by their head.
   */
  pattern(namespace: string, version?: number, ...parts: (string | number)[]): string {
    const v = version === undefined ? 'v*' : `v${version | 0}`;
    const mid = parts.length ? `:${joinParts(parts)}` : '';
    return `${this.ns(namespace)}:${v}${mid}:*`;
  }

  /** Everything the library stores under a namespace (entries, tags, versions, locks). */
  namespacePattern(namespace: string): string {
    return `${this.ns(namespace)}:*`;
  }

  /** `{prefix}:{ns:id}:part:part` — keys that must share a cluster slot (e.g. a cart's hashes). */
  hashTagged(namespace: string, id: string | number, ...parts: (string | number)[]): string {
    return this.fit(`${this.prefix}:${hashTagged(namespace, id, ...parts)}`);
  }

  /** The namespace of a key produced by this builder (undefined for foreign keys). */
  namespaceOf(key: string): string | undefined {
    if (!key.startsWith(this.prefix + ':')) return undefined;
    const start = this.prefix.length + 1;
    const end = key.indexOf(':', start);
    const ns = key.slice(start, end === -1 ? undefined : end);
    return NAME_RE.test(ns) ? ns : undefined;
  }

  private ns(namespace: string): string {
    if (!this.checked.has(namespace)) {
      assertNamespace(namespace);
      if (this.checked.size < 10_000) this.checked.add(namespace);
    }
    return `${this.prefix}:${namespace}`;
  }

  /** Over-long keys keep a readable head (and any hash tag) and end with a digest of the full key. */
  private fit(key: string): string {
    if (key.length <= this.maxKeyLength) return key;
    const digest = createHash('sha256').update(key).digest('base64url');
    let headLen = this.maxKeyLength - digest.length - 2;
    // Never cut inside a hash tag: the slot must stay the same as for the unhashed key.
    const open = key.indexOf('{');
    const close = open === -1 ? -1 : key.indexOf('}', open);
    if (close !== -1 && close >= headLen) headLen = close + 1;
    // Never cut inside an escape sequence.
    const pct = key.lastIndexOf('%', headLen);
    if (pct !== -1 && pct > headLen - (key[pct + 1] === 'u' ? 6 : 3)) headLen = pct;
    return `${key.slice(0, headLen)}:#${digest}`;
  }
}
