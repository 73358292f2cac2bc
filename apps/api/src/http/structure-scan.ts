import type { BodyLimits } from './body-parsers.js';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COLON = 0x3a;

/**
 * Depth and keys per object of a JSON body, over its bytes without building anything (the
 * characters that give JSON its structure are ASCII, and never part of a UTF-8 sequence): strings
 * are skipped, each `:` outside a string is one key of the innermost object. The body may come in
 * chunks, as it arrives: push() each, in order. Malformed JSON is left to JSON.parse (this finds
 * no problem or a limit problem in it, and both end in a 400). A problem names the field where
 * the limit was crossed (`items.0.tags: is nested deeper than 32 levels`; `body` for the body
 * itself), found by a second scan that only runs for a refused body.
 */
export class StructureScan {
  private readonly isObject: Uint8Array;
  private readonly keys: Uint32Array;
  private depth = 0;
  /** The last chunk ended inside a string (and, when escaped, right after a backslash that escapes). */
  private inString = false;
  private escaped = false;
  /** The chunks so far, for the field path of a refusal. */
  private readonly chunks: Uint8Array[] = [];
  private offset = 0;

  constructor(private readonly limits: BodyLimits) {
    this.isObject = new Uint8Array(limits.maxDepth + 1);
    this.keys = new Uint32Array(limits.maxDepth + 1);
  }

  /** The next bytes of the body: a problem (scan no further), or null. */
  push(bytes: Uint8Array): string | null {
    const { maxDepth, maxKeys } = this.limits;
    const { isObject, keys } = this;
    this.chunks.push(bytes);
    const n = bytes.length;
    let i = 0;
    if (this.inString) {
      const end = this.walkString(bytes, 0);
      if (end === -1) return this.next(n);
      i = end + 1;
    }
    let depth = this.depth;
    for (; i < n; i++) {
      const c = bytes[i];
      if (c === QUOTE) {
        const end = stringEnd(bytes, i);
        if (end === -1) {
          // The string goes on in the next chunk: where it stands at the end of this one.
          this.walkString(bytes, i + 1);
          this.depth = depth;
          return this.next(n);
        }
        i = end;
      } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
        if (++depth > maxDepth) return `${this.pathAt(i, 0)}: is nested deeper than ${maxDepth} levels`;
        isObject[depth] = c === OPEN_OBJECT ? 1 : 0;
        keys[depth] = 0;
      } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
        if (depth > 0) depth--;
      } else if (c === COLON && depth > 0 && isObject[depth] === 1) {
        if (++keys[depth] > maxKeys) {
          const path = this.pathAt(i, 1);
          return path === 'body' ? `body: an object has more than ${maxKeys} fields` : `${path}: has more than ${maxKeys} fields`;
        }
      }
    }
    this.depth = depth;
    return this.next(n);
  }

  private next(n: number): null {
    this.offset += n;
    return null;
  }

  /**
   * Walks a string from `from` byte by byte, from the state the last chunk left: the index of its
   * closing quote, or -1 when it goes on past these bytes (the state is kept). Only at the
   * boundaries of chunks: inside one, strings are skipped by stringEnd.
   */
  private walkString(bytes: Uint8Array, from: number): number {
    let escaped = this.escaped;
    for (let i = from, n = bytes.length; i < n; i++) {
      const c = bytes[i];
      if (escaped) escaped = false;
      else if (c === BACKSLASH) escaped = true;
      else if (c === QUOTE) {
        this.inString = false;
        this.escaped = false;
        return i;
      }
    }
    this.inString = true;
    this.escaped = escaped;
    return -1;
  }

  /** fieldPathAt for byte `i` of the latest chunk. */
  private pathAt(i: number, drop: number): string {
    const last = this.chunks[this.chunks.length - 1];
    const bytes = this.chunks.length === 1 ? last : Buffer.concat(this.chunks);
    return fieldPathAt(bytes, this.offset + i, drop);
  }
}

/** The structure problem of a whole body (see StructureScan), or null. Text is scanned as its UTF-8 bytes. */
export function structureProblem(body: Uint8Array | string, limits: BodyLimits): string | null {
  return new StructureScan(limits).push(typeof body === 'string' ? Buffer.from(body) : body);
}

/** Bytes of a string walked one by one before the rest is searched natively (most strings are shorter). */
const SHORT_STRING = 64;

/** Index of the quote closing the string that opens at `start`, or -1 when it does not close in `bytes`. */
function stringEnd(bytes: Uint8Array, start: number): number {
  const n = bytes.length;
  let i = start + 1;
  for (const stop = Math.min(n, i + SHORT_STRING); i < stop; i++) {
    const c = bytes[i];
    if (c === QUOTE) return i;
    if (c === BACKSLASH) i++;
  }
  for (;;) {
    const end = bytes.indexOf(QUOTE, i);
    if (end === -1) return -1;
    // Escaped when an odd number of backslashes precede it (the opening quote ends the run).
    let backslashes = 0;
    for (let k = end - 1; bytes[k] === BACKSLASH; k--) backslashes++;
    if ((backslashes & 1) === 0) return end;
    i = end + 1;
  }
}

/** Segments of a field path shown in a message; deeper ones become `…`. */
const PATH_SEGMENTS_SHOWN = 4;
const utf8 = new TextDecoder();

/**
 * The field path (`a.b.0.c`) of the value at byte `position` of a JSON body, the containers still
 * open there minus the innermost `drop`: `body` when it is the body itself. Slow path of
 * StructureScan (a refused body only).
 */
function fieldPathAt(bytes: Uint8Array, position: number, drop: number): string {
  // A key is kept as the place of its string; only the keys still open at the end are decoded.
  const frames: { object: boolean; keyStart: number; keyEnd: number; index: number; expectKey: boolean }[] = [];
  for (let i = 0; i < position; i++) {
    const c = bytes[i];
    const top = frames[frames.length - 1];
    if (c === QUOTE) {
      const end = stringEnd(bytes, i);
      if (end === -1) break;
      if (top?.object && top.expectKey) {
        top.keyStart = i;
        top.keyEnd = end + 1;
        top.expectKey = false;
      }
      i = end;
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      frames.push({ object: c === OPEN_OBJECT, keyStart: 0, keyEnd: 0, index: 0, expectKey: true });
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      frames.pop();
    } else if (c === 0x2c /* , */ && top) {
      if (top.object) top.expectKey = true;
      else top.index++;
    }
  }
  const segments = frames
    .slice(0, Math.max(0, frames.length - drop))
    .map((f) => (f.object ? segment(keyAt(bytes, f.keyStart, f.keyEnd)) : String(f.index)));
  if (segments.length === 0) return 'body';
  return segments.length > PATH_SEGMENTS_SHOWN ? `${segments.slice(0, PATH_SEGMENTS_SHOWN).join('.')}…` : segments.join('.');
}

/** The key whose JSON string spans `start` (its opening quote) to `end` (past its closing one); '' when none was read. */
function keyAt(bytes: Uint8Array, start: number, end: number): string {
  if (end === 0) return '';
  const quoted = utf8.decode(bytes.subarray(start, end));
  try {
    return JSON.parse(quoted) as string;
  } catch {
    return quoted.slice(1, -1);
  }
}

/** A field name as it appears in a message: long ones are cut. */
export function segment(key: string): string {
  return key.length > 64 ? `${key.slice(0, 64)}…` : key;
}
