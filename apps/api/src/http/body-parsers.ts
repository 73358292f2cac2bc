import { BadRequestException } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { parse as parseForm } from 'node:querystring';

/**
 * What a request body may look like, checked while it is parsed, before Nest, class-transformer or
 * class-validator see it. class-transformer's cost grows with the square of the number of keys of
 * an object (it removes duplicate keys with indexOf), and it and class-validator recurse once per
 * level: a body with tens of thousands of keys holds the event loop for seconds, and a deeply
 * nested one overflows the stack. Both are refused here in time linear in the body size.
 */
export interface BodyLimits {
  /** Objects and arrays nested inside each other (the body itself is level 1). */
  maxDepth: number;
  /** Keys of one object (as written: duplicates count). */
  maxKeys: number;
  /** UTF-16 code units of one string, keys included. */
  maxStringLength: number;
}

/**
 * The API's DTOs nest three levels at most and have a handful of fields; the longest string they
 * take is a product description (5,000 characters, 10,000 code units when every one is an emoji).
 */
export const BODY_LIMITS: BodyLimits = { maxDepth: 32, maxKeys: 1_000, maxStringLength: 16_384 };

/** A `__proto__` key, or `constructor` holding `prototype`, anywhere in a body. */
const PROTOTYPE_KEY_PROBLEM = 'body: fields named __proto__, or constructor with a prototype field, are not allowed';

/** Field problems reported for one body at most (the answer names them all up to this). */
const MAX_PROBLEMS = 20;

/** Route config key read by registerRouteBodyLimits. */
const BODY_LIMIT_CONFIG = 'bodyLimit';

/**
 * A larger body size limit (bytes) for one route than the server default (HTTP_BODY_LIMIT_BYTES).
 * Only for routes whose valid bodies can be bigger: batch writes, long texts.
 */
export const BodyLimit = (bytes: number): MethodDecorator => RouteConfig({ [BODY_LIMIT_CONFIG]: bytes });

/**
 * Admin writes whose valid bodies may outgrow the 64 KiB default: a product's description holds
 * 5,000 characters, up to 60 KB when a client escapes each as a \uXXXX pair; the inventory batch
 * takes 100 items, which batch tools often send pretty-printed. Still small enough to parse at once.
 */
export const ADMIN_WRITE_BODY_LIMIT = 256 * 1024;

/** Routes declared with @BodyLimit() get that limit instead of the server's. */
export function registerRouteBodyLimits(fastify: FastifyInstance): void {
  fastify.addHook('onRoute', (route) => {
    const limit = (route.config as Record<string, unknown> | undefined)?.[BODY_LIMIT_CONFIG];
    if (typeof limit === 'number' && route.bodyLimit === undefined) route.bodyLimit = limit;
  });
}

/**
 * The body parsers of the API (Nest's own are turned off with `bodyParser: false`):
 * - application/json: the size limit (server or route), then the structure (depth, keys per
 *   object) on the raw bytes before they are decoded and parsed, then Fastify's JSON parser (which refuses
 *   `__proto__` and `constructor.prototype` keys), then every string once (NUL, lone surrogates,
 *   length);
 * - application/x-www-form-urlencoded: the same key count and string checks.
 * A refused body is a 400 naming the field(s), through the usual error body.
 */
export function registerBodyParsers(fastify: FastifyInstance, limits: BodyLimits = BODY_LIMITS): void {
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  // As bytes: a refused body is never decoded. The text of a large body is a string V8 allocates
  // in fresh pages of its own (over 128 KB), which costs more than the whole scan.
  fastify.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request: FastifyRequest, body: string | Buffer, done) => {
    const structure = structureProblem(body, limits);
    if (structure !== null) return done(new BadRequestException([structure]), undefined);
    const text = typeof body === 'string' ? body : body.toString('utf8');
    void parseJson(request, text, (error: Error | null, value?: unknown) => {
      // Fastify's parser answers "invalid JSON" both for malformed text and for valid JSON with a
      // prototype key (secure-json-parse refuses those): the latter is a refused field, said so.
      if (error && isJson(text)) return done(new BadRequestException([PROTOTYPE_KEY_PROBLEM]), undefined);
      if (error) return done(error, undefined);
      const problems = stringProblems(value, limits);
      if (problems.length) return done(new BadRequestException(problems), undefined);
      done(null, value);
    });
  });
  fastify.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_request: FastifyRequest, body: string | Buffer, done) => {
      const form = parseForm(typeof body === 'string' ? body : body.toString('utf8'), '&', '=', { maxKeys: limits.maxKeys + 1 });
      if (Object.keys(form).length > limits.maxKeys)
        return done(new BadRequestException([`body: has more than ${limits.maxKeys} fields`]), undefined);
      // As Fastify's JSON parser: a `__proto__` field copied onto an object would replace its prototype.
      if (Object.hasOwn(form, '__proto__')) return done(new BadRequestException([PROTOTYPE_KEY_PROBLEM]), undefined);
      const problems = stringProblems(form, limits);
      if (problems.length) return done(new BadRequestException(problems), undefined);
      done(null, form);
    },
  );
}

/** Whether the text parses as JSON at all (only asked for a body Fastify's parser refused). */
function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COLON = 0x3a;

/**
 * Depth and keys per object of a JSON body, in one pass over its bytes without building anything
 * (the characters that give JSON its structure are ASCII, and never part of a UTF-8 sequence):
 * strings are skipped, each `:` outside a string is one key of the innermost object. Malformed
 * JSON is left to JSON.parse (this returns null or a limit problem for it, and both end in a 400).
 * A problem names the field where the limit was crossed (`items.0.tags: is nested deeper than 32
 * levels`; `body` for the body itself), found by a second scan that only runs for a refused body.
 * Text is scanned as its UTF-8 bytes.
 */
export function structureProblem(body: Uint8Array | string, limits: BodyLimits): string | null {
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  const { maxDepth, maxKeys } = limits;
  const isObject = new Uint8Array(maxDepth + 1);
  const keys = new Uint32Array(maxDepth + 1);
  let depth = 0;
  for (let i = 0, n = bytes.length; i < n; i++) {
    const c = bytes[i];
    if (c === QUOTE) {
      const end = stringEnd(bytes, i);
      if (end === -1) return null;
      i = end;
    } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (++depth > maxDepth) return `${fieldPathAt(bytes, i, 0)}: is nested deeper than ${maxDepth} levels`;
      isObject[depth] = c === OPEN_OBJECT ? 1 : 0;
      keys[depth] = 0;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      if (depth > 0) depth--;
    } else if (c === COLON && depth > 0 && isObject[depth] === 1) {
      if (++keys[depth] > maxKeys) {
        const path = fieldPathAt(bytes, i, 1);
        return path === 'body' ? `body: an object has more than ${maxKeys} fields` : `${path}: has more than ${maxKeys} fields`;
      }
    }
  }
  return null;
}

/** Bytes of a string walked one by one before the rest is searched natively (most strings are shorter). */
const SHORT_STRING = 64;

/** Index of the quote closing the string that opens at `start`, or -1. */
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
const utf8 = new TextDecoder();

const PATH_SEGMENTS_SHOWN = 4;

/**
 * The field path (`a.b.0.c`) of the value at byte `position` of a JSON body, the containers still open
 * there minus the innermost `drop`: `body` when it is the body itself. Slow path of
 * structureProblem (a refused body only).
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

const wellFormed = (String.prototype as unknown as { isWellFormed?: (this: string) => boolean }).isWellFormed;
const LONE_SURROGATE = /\p{Cs}/u;

/** Why one string is refused, or null. */
function stringProblem(value: string, limits: BodyLimits): string | null {
  if (value.length > limits.maxStringLength) return `must be at most ${limits.maxStringLength} characters long`;
  if (value.includes('\u0000')) return 'must not contain NUL (\\u0000) characters';
  if (wellFormed ? !wellFormed.call(value) : LONE_SURROGATE.test(value)) return 'must be well-formed Unicode (no lone surrogates)';
  return null;
}

/** A field name as it appears in a message: long ones are cut. */
function segment(key: string): string {
  return key.length > 64 ? `${key.slice(0, 64)}…` : key;
}

/**
 * Every string of a parsed body, keys included, checked once: `path: reason` lines in the
 * validation errors' format (`address.city`, `items.0.productId`; `body` for the body itself).
 * Iterative, so depth costs no stack.
 */
export function stringProblems(value: unknown, limits: BodyLimits = BODY_LIMITS): string[] {
  const problems: string[] = [];
  if (typeof value === 'string') {
    const problem = stringProblem(value, limits);
    return problem === null ? problems : [`body: ${problem}`];
  }
  if (typeof value !== 'object' || value === null) return problems;
  const pending: Array<{ node: object; path: string }> = [{ node: value, path: '' }];
  const visit = (child: unknown, path: string): void => {
    if (typeof child === 'string') {
      const problem = stringProblem(child, limits);
      if (problem !== null) problems.push(`${path}: ${problem}`);
    } else if (typeof child === 'object' && child !== null) {
      pending.push({ node: child, path });
    }
  };
  for (let next = pending.pop(); next !== undefined && problems.length < MAX_PROBLEMS; next = pending.pop()) {
    const { node, path } = next;
    const prefix = path ? `${path}.` : '';
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) visit(node[i], `${prefix}${i}`);
      continue;
    }
    for (const key of Object.keys(node)) {
      const problem = stringProblem(key, limits);
      if (problem !== null) {
        problems.push(`${path || 'body'}: a field name ${problem}`);
        continue;
      }
      visit((node as Record<string, unknown>)[key], `${prefix}${segment(key)}`);
    }
  }
  return problems.slice(0, MAX_PROBLEMS);
}
