import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * A response body serialized once, with its ETag: this is what the catalog caches, so a cached
 * read costs no JSON.stringify and no hashing, and If-None-Match is a string comparison.
 */
export interface JsonBody {
  /** The JSON text sent as the response body. */
  json: string;
  /** Strong validator: quoted base64url SHA-1 of `json`. */
  etag: string;
}

export function jsonBody(value: unknown): JsonBody {
  const json = JSON.stringify(value);
  return { json, etag: etagOf(json) };
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
 * revalidate and see writes at once); 304 without a body when If-None-Match matches, else the
 * JSON text. Used with `@Res({ passthrough: true })`: Nest sends the returned string.
 */
export function conditionalJson(request: FastifyRequest, reply: FastifyReply, body: JsonBody): string {
  void reply.header('etag', body.etag).header('cache-control', 'no-cache');
  if (etagMatches(request.headers['if-none-match'], body.etag)) {
    void reply.status(304);
    return '';
  }
  void reply.header('content-type', 'application/json; charset=utf-8');
  return body.json;
}
