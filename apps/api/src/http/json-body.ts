import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { jsonTextOf } from '@app/cache';

/**
 * A response body serialized once, with its ETag (computed on first use). Cached values handed
 * out by libs/cache's L1 are the same object on every hit, so `jsonBodyOf` keeps their body per
 * object: a cached read then costs no JSON.stringify and no hashing, and If-None-Match is a string
 * comparison.
 */
export class JsonBody {
  readonly json: string;
  private tag: string | undefined;
  private bytes: string | undefined;

  /** `json`: the text of `value` when it is already known (it must be JSON.stringify(value)). */
  constructor(value: unknown, json?: string) {
    this.json = json ?? JSON.stringify(value);
  }

  /** Strong validator: quoted base64url SHA-1 of `json`. */
  get etag(): string {
    return (this.tag ??= etagOf(this.json));
  }

  /** Content-Length of `json` in UTF-8 (computed on first use). */
  get length(): string {
    return (this.bytes ??= String(Buffer.byteLength(this.json)));
  }
}

const bodies = new WeakMap<object, JsonBody>();

export function jsonBody(value: unknown): JsonBody {
  return new JsonBody(value);
}

/**
 * The body of a shared, never-mutated object (a cache value), serialized once per object: a value
 * a load just stored comes with the text the cache stored (jsonTextOf), so it is not serialized again.
 */
export function jsonBodyOf(value: object): JsonBody {
  let body = bodies.get(value);
  if (body === undefined) bodies.set(value, (body = new JsonBody(value, jsonTextOf(value))));
  return body;
}

export function etagOf(json: string): string {
  return `"${createHash('sha1').update(json).digest('base64url')}"`;
}

/** RFC 9110 weak comparison (GET): `*`, or any listed tag equal to ours ignoring `W/`. */
export function etagMatches(ifNoneMatch: string | string[] | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  const header = Array.isArray(ifNoneMatch) ? ifNoneMatch.join(',') : ifNoneMatch;
  if (header === etag) return true;
  for (const raw of header.split(',')) {
    const tag = raw.trim();
    if (tag === '*') return true;
    if ((tag.startsWith('W/') ? tag.slice(2) : tag) === etag) return true;
  }
  return false;
}

/**
 * Conditional GET for a cached body: always sends ETag (+ `Cache-Control: no-cache`, so clients
 * revalidate and see writes at once); 304 without a body (and without a Content-Type: nothing,
 * not an empty string, is sent) when If-None-Match matches, else the JSON text. Used with
 * `@Res({ passthrough: true })`: Nest sends the returned string.
 */
export function conditionalJson(request: FastifyRequest, reply: FastifyReply, body: JsonBody): string | undefined {
  void reply.header('etag', body.etag).header('cache-control', 'no-cache');
  if (etagMatches(request.headers['if-none-match'], body.etag)) {
    void reply.status(304);
    return undefined;
  }
  void reply.header('content-type', 'application/json; charset=utf-8');
  return body.json;
}
