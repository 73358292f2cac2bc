import { decode as msgpackDecode, encode as msgpackEncode } from '@msgpack/msgpack';

/** Turns cached values into what Redis stores. `binary` serializers produce Buffers. */
export interface Serializer {
  readonly binary: boolean;
  encode(value: unknown): string | Buffer;
  decode(data: string | Buffer): unknown;
}

/*
 * Dates: JSON.stringify calls toJSON before a replacer sees the value, so the replacer looks at
 * `this[key]` to catch the Date and writes it as "\u0001D<epoch ms>". Strings that already start with
 * \u0001 get one more \u0001 so the tag is unambiguous. Decoding only pays for a reviver when the
 * payload contains the tag (one native substring search), so Date-free values parse at full speed.
 * The search looks for the escape `\u0001` alone: a tagged string is always `"\u0001…`, but a
 * needle starting with `"` stalls on every quote of the payload (~100 per KB, as slow as half the
 * JSON.parse), while a backslash followed by `u0001` is rare. A false positive (e.g. a literal
 * backslash before "u0001") only means the reviver runs, which leaves untagged strings alone.
 */
const TAG = '\u0001';
const TAG_CODE = 1;
const DATE_TAG = '\u0001D';
/** How the tag appears inside JSON text: JSON.stringify escapes U+0001 as \u0001. */
const TAG_IN_JSON = '\\u0001';

function replacer(this: Record<string, unknown>, key: string, value: unknown): unknown {
  const raw = this[key];
  if (raw instanceof Date) return DATE_TAG + raw.getTime();
  if (typeof value === 'string' && value.charCodeAt(0) === TAG_CODE) return TAG + value;
  return value;
}

function reviver(_key: string, value: unknown): unknown {
  if (typeof value === 'string' && value.charCodeAt(0) === TAG_CODE) {
    if (value.charCodeAt(1) === TAG_CODE) return value.slice(1);
    if (value[1] === 'D') return new Date(Number(value.slice(2)));
  }
  return value;
}

/** Deeper than this, the fast path gives up and the replacer path decides (and reports cycles). */
const PLAIN_WALK_MAX_DEPTH = 64;

/**
 * Whether JSON.stringify without the replacer gives what it gives with it: no Date anywhere and no
 * object with its own toJSON (whose result the replacer would see and this walk does not). Strings
 * that start with the tag are caught after stringifying (their escape in the output).
 */
function plainJson(value: unknown, depth = 0): boolean {
  if (typeof value !== 'object' || value === null) return true;
  if (depth > PLAIN_WALK_MAX_DEPTH || value instanceof Date || typeof (value as { toJSON?: unknown }).toJSON === 'function') return false;
  if (Array.isArray(value)) {
    for (const item of value) if (!plainJson(item, depth + 1)) return false;
    return true;
  }
  for (const key in value) {
    if (Object.hasOwn(value, key) && !plainJson((value as Record<string, unknown>)[key], depth + 1)) return false;
  }
  return true;
}

/** Objects this process encoded on the plain path, with their text (see jsonTextOf). */
const encodedTexts = new WeakMap<object, string>();

/**
 * `JSON.stringify(value)`, when a JsonSerializer encoded this very object on its plain path (no
 * Date, no toJSON, no tagged string): the text stored in Redis is then exactly that. An HTTP layer
 * answering with the value a load just stored can send this text instead of stringifying it again
 * (a list page: about 9 KB, and as many bytes of garbage). Values handed out by the cache are never
 * mutated (L1 shares them), which is what makes the text stay true. Held only while the object lives.
 */
export function jsonTextOf(value: object): string | undefined {
  return encodedTexts.get(value);
}

export class JsonSerializer implements Serializer {
  readonly binary = false;

  encode(value: unknown): string {
    // The replacer is a JS call per key; most cached values (rows mapped to plain objects) have
    // nothing for it to do, and a walk that proves it is cheaper than the calls.
    if (plainJson(value)) {
      const plain = JSON.stringify(value);
      if (plain !== undefined && !plain.includes(TAG_IN_JSON)) {
        if (typeof value === 'object' && value !== null) encodedTexts.set(value, plain);
        return plain;
      }
    }
    const out = JSON.stringify(value, replacer);
    if (out === undefined) throw new TypeError('JsonSerializer: value is not serializable');
    return out;
  }

  decode(data: string | Buffer): unknown {
    const text = typeof data === 'string' ? data : data.toString('utf8');
    return text.includes(TAG_IN_JSON) ? JSON.parse(text, reviver) : JSON.parse(text);
  }
}

/**
 * How deep msgpack may nest: its default of 100 made deeper values unserializable (so never
 * cached) while JSON takes them. Deeper than this still fails, and is reported.
 */
const MSGPACK_MAX_DEPTH = 2_000;

/** Compact binary encoding; Dates round-trip natively through the msgpack timestamp extension. */
export class MsgpackSerializer implements Serializer {
  readonly binary = true;

  encode(value: unknown): Buffer {
    const bytes = msgpackEncode(value, { maxDepth: MSGPACK_MAX_DEPTH });
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  decode(data: string | Buffer): unknown {
    return msgpackDecode(typeof data === 'string' ? Buffer.from(data, 'latin1') : data);
  }
}

export const defaultSerializer: Serializer = new JsonSerializer();
