import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import helmet, { type HelmetOptions } from 'helmet';

/**
 * Content-Security-Policy of every answer. The API itself answers JSON, for which the policy
 * changes nothing; the one HTML page is Swagger UI at /docs, which loads its scripts and
 * stylesheet from the same origin (/docs/*.js, /docs/swagger-ui.css), has inline <style> blocks
 * and style attributes, uses data: images in its CSS, and fetches the OpenAPI document from the
 * same origin. So: scripts only from this origin (no inline script, no eval), inline styles
 * allowed, data: images, no plugins, no framing, forms and <base> only to this origin.
 * `upgrade-insecure-requests` is left out on purpose: /docs served over plain HTTP (a local
 * machine, a private network) would have its assets rewritten to https and fail; HSTS covers
 * HTTPS deployments.
 */
export const CONTENT_SECURITY_POLICY = {
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  'style-src': ["'self'", "'unsafe-inline'"],
  'img-src': ["'self'", 'data:'],
  'font-src': ["'self'", 'data:'],
  'connect-src': ["'self'"],
  'object-src': ["'none'"],
  'base-uri': ["'self'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
  'script-src-attr': ["'none'"],
};

const HELMET_OPTIONS: Readonly<HelmetOptions> = {
  contentSecurityPolicy: { useDefaults: false, directives: CONTENT_SECURITY_POLICY },
  strictTransportSecurity: { maxAge: 31_536_000, includeSubDomains: true },
  xFrameOptions: { action: 'deny' },
};

/**
 * The headers helmet sets with HELMET_OPTIONS, computed once: nothing in them depends on the
 * request (no CSP nonces), and running helmet per request (the @fastify/helmet plugin: two hooks,
 * one of them async, and the CSP string rebuilt each time) cost about 7 % of the API's CPU on a
 * cached product GET.
 */
export function securityHeaders(options: Readonly<HelmetOptions> = HELMET_OPTIONS): Readonly<Record<string, string>> {
  const headers: Record<string, string> = {};
  const response = {
    setHeader: (name: string, value: string | number | readonly string[]) => {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
    },
    removeHeader: (name: string) => {
      delete headers[name.toLowerCase()];
    },
  };
  let failure: unknown;
  helmet(options)({} as IncomingMessage, response as unknown as ServerResponse, (error?: unknown) => (failure = error));
  // helmet passes an Error when an option is invalid.
  if (failure) throw failure as Error;
  return Object.freeze(headers);
}

/**
 * Security headers on every answer (errors and 404s included), as helmet computes them: the CSP
 * above, `X-Content-Type-Options: nosniff`, HSTS (one year, subdomains; browsers honour it over
 * HTTPS only), `X-Frame-Options`, `Referrer-Policy: no-referrer`, cross-origin opener/resource
 * policies. CORS (when CORS_ORIGINS is set) is unaffected: the resource policy does not apply to
 * CORS requests. Returns the headers (the front door sends the same).
 */
export function registerSecurityHeaders(fastify: FastifyInstance): Readonly<Record<string, string>> {
  const headers = securityHeaders();
  fastify.addHook('onRequest', (_request, reply, done) => {
    void reply.headers(headers);
    done();
  });
  return headers;
}

/**
 * `Cache-Control: no-store` on every answer that does not set its own: profiles, sessions, tokens,
 * carts, orders, admin answers and every error are never kept by a browser or a shared cache.
 * Public catalog reads set `no-cache` with an ETag themselves (conditionalJson) and keep it;
 * Swagger UI's static assets keep @fastify/static's.
 */
export function registerNoStoreByDefault(fastify: FastifyInstance): void {
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    if (!reply.hasHeader('cache-control')) void reply.header('cache-control', 'no-store');
    done(null, payload);
  });
}
