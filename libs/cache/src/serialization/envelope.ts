import type { Serializer } from './serializer.js';
import { encodeStamps, parseStamps, STAMPS_MARK, type TagStamp } from './tag-stamps.js';

/*
 * Every cache entry is stored as `{kind}{token}|{nsVersion}|{freshUntil}|{payload}`:
 *   kind        V = value, N = negative ("not found" cached), X = tombstone written by an invalidation
 *   token       8 random chars; kind+token (the "head", bytes 0..8) is what the compare-and-set
 *               store checks with GETRANGE, so a load that lost a race with a write or an
 *               invalidation cannot put its value back
 *   nsVersion   namespace version seen when the load started (never NO_VERSION); entries older than the current
 *               version are ignored (namespace invalidation in O(1), also safe in a cluster)
 *               ; an entry with tags adds `;{tag}={tagVersion},…` (see tag-stamps.ts): the tag
 *               versions seen before its load, so a later tag invalidation makes it stale or dead
 *   freshUntil  epoch ms; after it the entry is stale (still served within staleFor, see CacheAside)
 * A cached null is kind V with payload "null": distinct from a miss (no key) and from N.
 */
export const EntryKind = { Value: 86, Negative: 78, Tombstone: 88 } as const; // 'V' 'N' 'X'
export type EntryKind = (typeof EntryKind)[keyof typeof EntryKind];

export const HEAD_LENGTH = 9;
const SEP = 124; // '|'
/*
 * The hot read path (decodeFreshValue, intField) calls String.prototype's functions directly
 * (charCodeAt.call(raw, i)); decodeEntry, the general path, is left as written. Written as
 * raw.charCodeAt(i), profiles of a 100-key getMany showed every such call going through V8's
 * generic property lookup (the LoadIC builtin, 2-3 % of the batch); a call of the known function
 * has no lookup to make.
 */
// eslint-disable-next-line @typescript-eslint/unbound-method -- always called with .call(receiver)
const { charCodeAt, indexOf, slice, startsWith } = String.prototype;

export interface Entry {
  kind: EntryKind;
  head: string;
  nsVersion: number;
  freshUntil: number;
  value: unknown;
  /** Its tags with the versions seen before the load (absent: no tags). */
  tags?: readonly TagStamp[];
  /**
   * Set by the reader when a tag was softly invalidated after the load: the server time (epoch ms)
   * of that invalidation. The entry is then stale (freshUntil 0) and served only within staleFor of it.
   */
  softInvalidatedAt?: number;
}

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
export function newToken(): string {
  let t = '';
  for (let i = 0; i < 8; i++) t += ALPHABET[(Math.random() * 36) | 0];
  return t;
}

export function encodeEntry(
  serializer: Serializer,
  kind: EntryKind,
  token: string,
  nsVersion: number,
  freshUntil: number,
  value: unknown,
  tags?: readonly TagStamp[],
): string | Buffer {
  const header = encodeEntryHeader(kind, token, nsVersion, freshUntil, tags);
  if (kind !== EntryKind.Value) return header;
  const body = serializer.encode(value);
  if (typeof body === 'string') return header + body;
  return Buffer.concat([Buffer.from(header, 'latin1'), body]);
}

/** The head of an entry (kind + token, HEAD_LENGTH characters): what a compare-and-set compares. */
export function entryHead(kind: EntryKind, token: string): string {
  return String.fromCharCode(kind) + token;
}

/** An entry without its value: all of a negative entry, else what precedes the encoded value. */
export function encodeEntryHeader(
  kind: EntryKind,
  token: string,
  nsVersion: number,
  freshUntil: number,
  tags?: readonly TagStamp[],
): string {
  return `${entryHead(kind, token)}|${nsVersion}${encodeStamps(tags)}|${freshUntil}|`;
}

/** Parses an entry; returns undefined for foreign/corrupt data (treated as a miss). */
export function decodeEntry(serializer: Serializer, raw: string | Buffer): Entry | undefined {
  if (typeof raw === 'string') {
    // The two numeric fields are read in place, no substrings.
    if (raw.length < HEAD_LENGTH + 4 || raw.charCodeAt(HEAD_LENGTH) !== SEP) return undefined;
    const i2 = raw.indexOf('|', HEAD_LENGTH + 1);
    const i3 = i2 === -1 ? -1 : raw.indexOf('|', i2 + 1);
    if (i3 === -1) return undefined;
    const kind = raw.charCodeAt(0) as EntryKind;
    const semi = raw.lastIndexOf(STAMPS_MARK, i2);
    const vEnd = semi > HEAD_LENGTH ? semi : i2;
    const entry: Entry = {
      kind,
      head: raw.slice(0, HEAD_LENGTH),
      nsVersion: intField(raw, HEAD_LENGTH + 1, vEnd),
      freshUntil: intField(raw, i2 + 1, i3),
      value: kind === EntryKind.Value ? serializer.decode(raw.slice(i3 + 1)) : undefined,
    };
    return vEnd === i2 ? entry : withStamps(entry, raw.slice(vEnd + 1, i2));
  }
  if (raw.length < HEAD_LENGTH + 4 || raw[HEAD_LENGTH] !== SEP) return undefined;
  const i2 = raw.indexOf(SEP, HEAD_LENGTH + 1);
  const i3 = i2 === -1 ? -1 : raw.indexOf(SEP, i2 + 1);
  if (i3 === -1) return undefined;
  const kind = raw[0] as EntryKind;
  const semi = raw.lastIndexOf(SEMI, i2);
  const vEnd = semi > HEAD_LENGTH ? semi : i2;
  const entry: Entry = {
    kind,
    head: raw.toString('latin1', 0, HEAD_LENGTH),
    nsVersion: intBytes(raw, HEAD_LENGTH + 1, vEnd, 'latin1'),
    freshUntil: intBytes(raw, i2 + 1, i3, 'latin1'),
    value: kind === EntryKind.Value ? serializer.decode(raw.subarray(i3 + 1)) : undefined,
  };
  return vEnd === i2 ? entry : withStamps(entry, raw.toString('latin1', vEnd + 1, i2));
}

const SEMI = STAMPS_MARK.charCodeAt(0);

/** The entry with its tag stamps; corrupt stamps make it foreign data (undefined, a miss). */
function withStamps(entry: Entry, text: string): Entry | undefined {
  const tags = parseStamps(text);
  if (tags === undefined) return undefined;
  entry.tags = tags;
  return entry;
}

/** Returned by decodeFreshValue when the entry is not a fresh hit (absent, other version, stale, tombstone, corrupt). */
export const NOT_FRESH: unique symbol = Symbol('cache.notFresh');

/**
 * The hot path of a read: the value of `raw` if it is a fresh untagged value/negative entry of the
 * namespace version `version` (its text as MGET returned it; null: no version key) at `now`
 * (undefined for a negative entry), else NOT_FRESH — then decodeEntry tells the caller what it is.
 * The version field is compared as text, not parsed: every entry is written with the canonical
 * digits of a version read from Redis, so a mismatch there (another version, a tagged entry's
 * `v;stamps`, foreign data) is left to the general path, which judges it as a number. Whatever
 * this returns other than NOT_FRESH is what decodeEntry + the version and freshness checks give,
 * without building an Entry; the payload is only decoded for a fresh entry. From a Buffer (the
 * reader asks Redis for raw bytes), only the payload is turned into text.
 */
export function decodeFreshValue(serializer: Serializer, raw: string | Buffer, version: string | Buffer | null, now: number): unknown {
  if (!version) return NOT_FRESH; // no entry carries NO_VERSION
  const vEnd = HEAD_LENGTH + 1 + version.length; // the separator after the version field
  if (typeof raw === 'string') {
    if (raw.length < vEnd + 3 || charCodeAt.call(raw, HEAD_LENGTH) !== SEP || charCodeAt.call(raw, vEnd) !== SEP) return NOT_FRESH;
    const kind = charCodeAt.call(raw, 0);
    if (kind !== EntryKind.Value && kind !== EntryKind.Negative) return NOT_FRESH;
    if (!startsWithAt(raw, version, HEAD_LENGTH + 1)) return NOT_FRESH;
    const i3 = indexOf.call(raw, '|', vEnd + 1);
    if (i3 === -1 || !(now < intField(raw, vEnd + 1, i3))) return NOT_FRESH;
    if (kind === EntryKind.Negative) return undefined;
    try {
      return serializer.decode(slice.call(raw, i3 + 1));
    } catch {
      return NOT_FRESH; // undecodable: decodeEntry reports it as a miss
    }
  }
  if (raw.length < vEnd + 3 || raw[HEAD_LENGTH] !== SEP || raw[vEnd] !== SEP) return NOT_FRESH;
  const kind = raw[0];
  if (kind !== EntryKind.Value && kind !== EntryKind.Negative) return NOT_FRESH;
  for (let i = 0; i < version.length; i++) {
    const c = typeof version === 'string' ? version.charCodeAt(i) : version[i];
    if (raw[HEAD_LENGTH + 1 + i] !== c) return NOT_FRESH;
  }
  const i3 = raw.indexOf(SEP, vEnd + 1);
  if (i3 === -1 || !(now < intBytes(raw, vEnd + 1, i3, 'latin1'))) return NOT_FRESH;
  if (kind === EntryKind.Negative) return undefined;
  try {
    return serializer.decode(serializer.binary ? raw.subarray(i3 + 1) : raw.toString('utf8', i3 + 1));
  } catch {
    return NOT_FRESH;
  }
}

/** Whether `text` holds `part` (digits, as text or bytes) at `at`. */
function startsWithAt(text: string, part: string | Buffer, at: number): boolean {
  if (typeof part === 'string') return startsWith.call(text, part, at);
  for (let i = 0; i < part.length; i++) if (charCodeAt.call(text, at + i) !== part[i]) return false;
  return true;
}

/**
 * A namespace whose version key does not exist (never used, or evicted under an allkeys-* policy).
 * No entry ever carries it: entries are stored only under a version that exists in Redis, and a new
 * version is never one used before (see NS_VERSION_ENSURE), so an evicted version key cannot bring
 * back entries an invalidateAll() killed.
 */
export const NO_VERSION = -1;

/** The namespace version as MGET returns it (null: NO_VERSION); same as `+raw.toString()`. */
export function versionOf(raw: string | Buffer | null): number {
  if (!raw || raw.length === 0) return NO_VERSION;
  return typeof raw === 'string' ? intField(raw, 0, raw.length) : intBytes(raw, 0, raw.length, 'utf8');
}

/** `+buf.toString(encoding, from, to)` without the string when the field is plain digits. */
function intBytes(buf: Buffer, from: number, to: number, encoding: 'latin1' | 'utf8'): number {
  if (to - from > 15) return +buf.toString(encoding, from, to);
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = buf[i] - 48;
    if (d < 0 || d > 9) return +buf.toString(encoding, from, to);
    n = n * 10 + d;
  }
  return n;
}

/** `+text.slice(from, to)` without the substring when the field is plain digits (what we write). */
function intField(text: string, from: number, to: number): number {
  if (to - from > 15) return +text.slice(from, to); // beyond exact integer range: let Number() decide
  let n = 0;
  for (let i = from; i < to; i++) {
    const d = charCodeAt.call(text, i) - 48;
    if (d < 0 || d > 9) return +text.slice(from, to); // foreign data: same result as before
    n = n * 10 + d;
  }
  return n;
}
