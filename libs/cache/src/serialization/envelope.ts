import type { Serializer } from './serializer.js';

/*
 * Every cache entry is stored as `{kind}{token}|{nsVersion}|{freshUntil}|{payload}`:
 *   kind        V = value, N = negative ("not found" cached), X = tombstone written by an invalidation
 *   token       8 random chars; kind+token (the "head", bytes 0..8) is what the compare-and-set
 *               store checks with GETRANGE, so a load that lost a race with a write or an
 *               invalidation cannot put its value back
 *   nsVersion   namespace version seen when the load started; entries older than the current
 *               version are ignored (namespace invalidation in O(1), also safe in a cluster)
 *   freshUntil  epoch ms; after it the entry is stale (still served within staleFor, see CacheAside)
 * A cached null is kind V with payload "null": distinct from a miss (no key) and from N.
 */
export const EntryKind = { Value: 86, Negative: 78, Tombstone: 88 } as const; // 'V' 'N' 'X'
export type EntryKind = (typeof EntryKind)[keyof typeof EntryKind];

export const HEAD_LENGTH = 9;
const SEP = 124; // '|'

export interface Entry {
  kind: EntryKind;
  head: string;
  nsVersion: number;
  freshUntil: number;
  value: unknown;
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
): string | Buffer {
  const header = `${String.fromCharCode(kind)}${token}|${nsVersion}|${freshUntil}|`;
  if (kind !== EntryKind.Value) return header;
  const payload = serializer.encode(value);
  if (typeof payload === 'string') return header + payload;
  return Buffer.concat([Buffer.from(header, 'latin1'), payload]);
}

/** Parses an entry; returns undefined for foreign/corrupt data (treated as a miss). */
export function decodeEntry(serializer: Serializer, raw: string | Buffer): Entry | undefined {
  if (typeof raw === 'string') {
    if (raw.length < HEAD_LENGTH + 4 || raw.charCodeAt(HEAD_LENGTH) !== SEP) return undefined;
    const i2 = raw.indexOf('|', HEAD_LENGTH + 1);
    const i3 = i2 === -1 ? -1 : raw.indexOf('|', i2 + 1);
    if (i3 === -1) return undefined;
    const kind = raw.charCodeAt(0) as EntryKind;
    return {
      kind,
      head: raw.slice(0, HEAD_LENGTH),
      nsVersion: +raw.slice(HEAD_LENGTH + 1, i2),
      freshUntil: +raw.slice(i2 + 1, i3),
      value: kind === EntryKind.Value ? serializer.decode(raw.slice(i3 + 1)) : undefined,
    };
  }
  if (raw.length < HEAD_LENGTH + 4 || raw[HEAD_LENGTH] !== SEP) return undefined;
  const i2 = raw.indexOf(SEP, HEAD_LENGTH + 1);
  const i3 = i2 === -1 ? -1 : raw.indexOf(SEP, i2 + 1);
  if (i3 === -1) return undefined;
  const kind = raw[0] as EntryKind;
  return {
    kind,
    head: raw.toString('latin1', 0, HEAD_LENGTH),
    nsVersion: +raw.toString('latin1', HEAD_LENGTH + 1, i2),
    freshUntil: +raw.toString('latin1', i2 + 1, i3),
    value: kind === EntryKind.Value ? serializer.decode(raw.subarray(i3 + 1)) : undefined,
  };
}
