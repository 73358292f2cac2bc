/*
 * The tags of an entry and the version of each tag seen before its value was loaded, kept in the
 * entry's nsVersion field: `{nsVersion};{tag}={version},{tag}={version}`. Tag names are URI-encoded,
 * so they hold no `|` `;` `,` `=`. A reader that predates tags reads the field as NaN, a version no
 * namespace has: it takes a tagged entry for a miss (safe), never for a hit of the wrong version.
 */

/** A tag of an entry and the tag's version (µs, server clock) read before the value was loaded. */
export interface TagStamp {
  readonly tag: string;
  readonly v: number;
}

export const STAMPS_MARK = ';';

/** The suffix of the nsVersion field for `stamps` ('' without tags). */
export function encodeStamps(stamps: readonly TagStamp[] | undefined): string {
  if (stamps === undefined || stamps.length === 0) return '';
  let out = STAMPS_MARK;
  for (let i = 0; i < stamps.length; i++) out += `${i ? ',' : ''}${encodeURIComponent(stamps[i].tag)}=${stamps[i].v}`;
  return out;
}

/** The stamps of a field suffix as encodeStamps wrote it (without the leading mark); undefined when malformed. */
export function parseStamps(text: string): TagStamp[] | undefined {
  const out: TagStamp[] = [];
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return undefined;
    const v = Number(part.slice(eq + 1));
    if (!Number.isFinite(v)) return undefined;
    let tag: string;
    try {
      tag = decodeURIComponent(part.slice(0, eq));
    } catch {
      return undefined;
    }
    out.push({ tag, v });
  }
  return out;
}
