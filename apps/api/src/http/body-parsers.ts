import { BadRequestException } from '@nestjs/common';
import { RouteConfig } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { parse as parseForm } from 'node:querystring';
import { scannedWhileRead, scanWhileReading } from './scan-while-reading.js';
import { segment, structureProblem } from './structure-scan.js';

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

/**
 * Routes declared with @BodyLimit() get that limit instead of the server's, and the structure of
 * their JSON bodies is checked as they arrive (scan-while-reading.ts): only their bodies are large
 * enough to arrive in several chunks.
 */
export function registerRouteBodyLimits(fastify: FastifyInstance, limits: BodyLimits = BODY_LIMITS): void {
  const scan = scanWhileReading(limits);
  fastify.addHook('onRoute', (route) => {
    const limit = (route.config as Record<string, unknown> | undefined)?.[BODY_LIMIT_CONFIG];
    if (typeof limit !== 'number' || route.bodyLimit !== undefined) return;
    route.bodyLimit = limit;
    const own = route.preParsing === undefined ? [] : Array.isArray(route.preParsing) ? route.preParsing : [route.preParsing];
    route.preParsing = [scan, ...own];
  });
}

/**
 * The body parsers of the API (Nest's own are turned off with `bodyParser: false`):
 * - application/json: the size limit (server or route), then the structure (depth, keys per
 *   object) on the raw bytes before they are decoded and parsed (on the routes with a larger
 *   limit, as they arrive), then Fastify's JSON parser (which refuses `__proto__` and
 *   `constructor.prototype` keys), then every string once (NUL, lone surrogates, length);
 * - application/x-www-form-urlencoded: the same key count and string checks.
 * A refused body is a 400 naming the field(s), through the usual error body.
 */
export function registerBodyParsers(fastify: FastifyInstance, limits: BodyLimits = BODY_LIMITS): void {
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  // As bytes: a refused body is never decoded. The text of a large body is a string V8 allocates
  // in fresh pages of its own (over 128 KB), which costs more than the whole scan.
  fastify.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request: FastifyRequest, body: string | Buffer, done) => {
    const structure = scannedWhileRead(request.raw) ? null : structureProblem(body, limits);
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

const wellFormed = (String.prototype as unknown as { isWellFormed?: (this: string) => boolean }).isWellFormed;
const LONE_SURROGATE = /\p{Cs}/u;

/** Why one string is refused, or null. */
function stringProblem(value: string, limits: BodyLimits): string | null {
  if (value.length > limits.maxStringLength) return `must be at most ${limits.maxStringLength} characters long`;
  if (value.includes('\u0000')) return 'must not contain NUL (\\u0000) characters';
  if (wellFormed ? !wellFormed.call(value) : LONE_SURROGATE.test(value)) return 'must be well-formed Unicode (no lone surrogates)';
  return null;
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
