/**
 * Every answer of the API checked against the committed openapi.json, under a strict reading:
 *
 * - the status is documented for the operation (matched by method and path template);
 * - the content type is the documented one (application/json bodies, text/plain for /metrics), and
 *   204/304 answers have no body;
 * - a JSON body is valid against the documented schema, with `additionalProperties: false` on every
 *   object schema that does not say otherwise (formats, integer types, bounds and patterns included);
 * - the headers the API sends that matter to a client (X-Request-ID, Retry-After, X-RateLimit-*,
 *   ETag, X-Cart-Token) are declared for that answer, with values their schemas allow; X-Request-ID
 *   is present on every answer;
 * - a 400 answers a request the document does not allow: its path, query, header parameters and
 *   JSON body are validated against the operation, and a request valid under the document that
 *   gets 400 is a violation unless it is one of the few refusals a schema cannot express
 *   (BAD_REQUEST_EXCEPTIONS below).
 *
 * createTestApp (test-app.ts) wraps `app.inject` so that every injected request of every e2e suite
 * is checked; violations are collected per test file and fail it in an afterAll
 * (test/setup/openapi-conformance.setup.ts) with one line per violation. Requests to routes the
 * document does not describe (test-only probe controllers, /docs, unknown URLs) are skipped.
 */
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import formatsModule from 'ajv-formats';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { repoRoot } from './test-env.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type SchemaObject = { [key: string]: Json };

interface RawParameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: SchemaObject;
}

interface RawResponse {
  content?: Record<string, { schema?: SchemaObject }>;
  headers?: Record<string, { required?: boolean; schema?: SchemaObject }>;
}

interface RawOperation {
  parameters?: RawParameter[];
  requestBody?: { required?: boolean; content?: Record<string, { schema?: SchemaObject }> };
  responses: Record<string, RawResponse>;
}

interface OpenApiDocument {
  paths: Record<string, Record<string, RawOperation>>;
  components?: { schemas?: Record<string, SchemaObject> };
}

/** One request/response pair, as the in-process `app.inject` saw it. */
export interface Exchange {
  method: string;
  /** Path and query string, as sent. */
  url: string;
  requestHeaders: Record<string, string | string[] | undefined>;
  /** The raw request body, or undefined when none was sent. */
  requestBody: string | undefined;
  statusCode: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: string;
}

export interface Violation {
  method: string;
  url: string;
  statusCode: number;
  problems: string[];
}

/** Response headers that matter to clients: each one the API sends must be declared for that answer. */
const CHECKED_HEADERS = [
  'x-request-id',
  'retry-after',
  'x-ratelimit-limit',
  'x-ratelimit-remaining',
  'x-ratelimit-reset',
  'etag',
  'x-cart-token',
];

/**
 * 400 answers to requests that the document allows, because the refusal is about something a
 * schema cannot express. Each is narrow: it names the operations and the condition on the request,
 * or the exact messages, it excuses (a 400 whose message has any other entry is still reported).
 */
export const BAD_REQUEST_EXCEPTIONS: readonly BadRequestException[] = [
  {
    why: 'a string with a NUL character or a lone UTF-16 surrogate is refused by the JSON parser (API.md: hostile input)',
    applies: (r) =>
      r.strings.some((s) => s.includes('\u0000') || /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s)),
  },
  {
    why: 'a JSON string longer than 16,384 characters is refused by the JSON parser, on fields without a documented maxLength',
    applies: (r) => r.strings.some((s) => s.length > 16_384),
  },
  {
    why: 'an inventory batch or a checkout naming one product twice (uniqueness of one field of the items)',
    operations: ['PATCH /api/v1/products/inventory', 'POST /api/v1/orders'],
    applies: (r) => {
      // UUIDs compare case-insensitively: the same product spelled in upper and lower case counts twice.
      const ids = ((r.body as { items?: { productId?: unknown }[] } | undefined)?.items ?? []).map((i) =>
        typeof i?.productId === 'string' ? i.productId.toLowerCase() : i?.productId,
      );
      return new Set(ids).size < ids.length;
    },
  },
  {
    why: 'a guest cart token of the documented shape whose signature is wrong (forged or tampered), or sent twice',
    operations: [
      'GET /api/v1/cart',
      'DELETE /api/v1/cart',
      'GET /api/v1/cart/count',
      'POST /api/v1/cart/items',
      'PUT /api/v1/cart/items/{productId}',
      'DELETE /api/v1/cart/items/{productId}',
      'POST /api/v1/auth/login',
      'POST /api/v1/auth/register',
    ],
    messages: [/^x-cart-token: is invalid$/],
  },
  {
    why: 'a wrong currentPassword (which password is right is not in the document)',
    operations: ['PATCH /api/v1/users/me'],
    messages: [/^currentPassword: is incorrect$/],
  },
  {
    why: 'a price range whose maxPrice is below its minPrice (a relation between two parameters)',
    operations: ['GET /api/v1/products'],
    messages: [/^maxPrice: must be greater than or equal to minPrice$/],
  },
  {
    why: 'a categoryId that names no category (which ids exist is not in the document)',
    operations: ['POST /api/v1/products', 'PATCH /api/v1/products/{id}'],
    messages: [/^categoryId: no category with this id$/],
  },
  {
    why: 'a parentId that names no category, the category itself or one of its descendants (a cycle)',
    operations: ['POST /api/v1/categories', 'PATCH /api/v1/categories/{id}'],
    messages: [
      /^parentId: no category with this id$/,
      /^parentId: a category cannot be its own parent$/,
      /^parentId: would make the category its own ancestor$/,
    ],
  },
];

interface BadRequestException {
  why: string;
  /** `METHOD /template` of the operations it applies to (all when left out). */
  operations?: string[];
  /** Applies when the request meets this condition… */
  applies?: (request: ParsedRequest) => boolean;
  /** …or when every entry of the answer's message matches one of these. */
  messages?: RegExp[];
}

function excused(exception: BadRequestException, operation: string, request: ParsedRequest, message: unknown): boolean {
  if (exception.operations && !exception.operations.includes(operation)) return false;
  if (exception.applies) return exception.applies(request);
  const entries = Array.isArray(message) ? message : [message];
  return entries.length > 0 && entries.every((m) => typeof m === 'string' && exception.messages!.some((re) => re.test(m)));
}

/** What a request carried, decoded for validation. */
export interface ParsedRequest {
  path: Record<string, string>;
  query: Map<string, string[]>;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  /** Every string in path, query and body (for the exceptions above). */
  strings: string[];
}

interface CompiledOperation {
  key: string;
  method: string;
  template: string;
  segments: string[];
  literalSegments: number;
  raw: RawOperation;
  responses: Map<string, { raw: RawResponse; body?: ValidateFunction; headers: Map<string, ValidateFunction | undefined> }>;
  parameters: { raw: RawParameter; validate: ValidateFunction }[];
  body?: ValidateFunction;
  bodyRequired: boolean;
}

const COMPOSITION = ['allOf', 'anyOf', 'oneOf'];

/**
 * OpenAPI 3.0 schema → JSON Schema for ajv, strict: `additionalProperties: false` on every object
 * schema that says nothing about them (one made only of allOf/anyOf/oneOf parts is left to its
 * parts), `nullable` as an alternative `null`, `example` dropped, `$ref`s into the shared root.
 */
export function strictSchema(schema: Json, refBase = 'openapi'): Json {
  if (Array.isArray(schema)) return schema.map((s) => strictSchema(s, refBase));
  if (!schema || typeof schema !== 'object') return schema;
  const out: SchemaObject = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'example' || key === 'nullable') continue;
    if (key === '$ref' && typeof value === 'string') out.$ref = value.startsWith('#') ? `${refBase}${value}` : value;
    else if (key === 'properties' && value && typeof value === 'object' && !Array.isArray(value)) {
      out.properties = Object.fromEntries(Object.entries(value).map(([name, s]) => [name, strictSchema(s, refBase)]));
    } else if (key === 'items' || key === 'not' || (key === 'additionalProperties' && typeof value === 'object'))
      out[key] = strictSchema(value, refBase);
    else if (COMPOSITION.includes(key)) out[key] = strictSchema(value, refBase);
    else out[key] = value;
  }
  // An object made only of composed parts (allOf: [$ref], nullable) is left to its parts; one with
  // properties of its own is closed even when oneOf/anyOf add constraints (`required` alternatives).
  // Untyped fragments (`not: { properties, required }`, `{ required: [...] }` alternatives) stay open.
  const isObject = out.type === 'object' && (out.properties !== undefined || !COMPOSITION.some((k) => k in out));
  if (isObject && out.additionalProperties === undefined) out.additionalProperties = false;
  if (schema.nullable === true) {
    const { description: _d, ...rest } = out;
    return { anyOf: [{ type: 'null' }, rest] };
  }
  return out;
}

function stringsIn(value: unknown, out: string[] = [], depth = 0): string[] {
  if (depth > 64) return out;
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) stringsIn(v, out, depth + 1);
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) stringsIn([k, v], out, depth + 1);
  return out;
}

function ajvErrors(errors: ErrorObject[] | null | undefined, where: string): string[] {
  return (errors ?? []).map((e) => {
    const extra =
      e.keyword === 'additionalProperties' ? ` (${String((e.params as { additionalProperty: string }).additionalProperty)})` : '';
    return `${where}${e.instancePath || ''} ${e.message ?? e.keyword}${extra}`;
  });
}

/** A query or path value as the schema's type (strings stay strings; what cannot convert stays a string and fails). */
function coerce(value: string, schema: SchemaObject | undefined): unknown {
  const type = schema?.type;
  if (type === 'integer' && /^-?\d+$/.test(value)) return Number(value);
  if (type === 'number' && /^-?\d+(\.\d+)?(e[+-]?\d+)?$/i.test(value)) return Number(value);
  if (type === 'boolean' && (value === 'true' || value === 'false')) return value === 'true';
  return value;
}

export class OpenApiConformance {
  private readonly ajv: Ajv;
  private readonly operations: CompiledOperation[] = [];

  constructor(readonly document: OpenApiDocument) {
    this.ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
    const addFormats = ((formatsModule as unknown as { default?: unknown }).default ?? formatsModule) as (ajv: Ajv) => Ajv;
    addFormats(this.ajv);
    const schemas = Object.fromEntries(Object.entries(document.components?.schemas ?? {}).map(([name, s]) => [name, strictSchema(s)]));
    this.ajv.addSchema({ $id: 'openapi', components: { schemas } });
    const compile = (schema: Json) => this.ajv.compile(strictSchema(schema) as never);

    for (const [template, item] of Object.entries(document.paths)) {
      for (const [method, raw] of Object.entries(item)) {
        if (!['get', 'post', 'put', 'patch', 'delete', 'head', 'options'].includes(method)) continue;
        const segments = template.split('/');
        const responses: CompiledOperation['responses'] = new Map();
        for (const [status, response] of Object.entries(raw.responses)) {
          const json = response.content?.['application/json']?.schema;
          const headers = new Map<string, ValidateFunction | undefined>();
          for (const [name, header] of Object.entries(response.headers ?? {}))
            headers.set(name.toLowerCase(), header.schema ? compile(header.schema) : undefined);
          responses.set(status, { raw: response, body: json ? compile(json) : undefined, headers });
        }
        const bodySchema = raw.requestBody?.content?.['application/json']?.schema;
        this.operations.push({
          key: `${method.toUpperCase()} ${template}`,
          method: method.toUpperCase(),
          template,
          segments,
          literalSegments: segments.filter((s) => !s.startsWith('{')).length,
          raw,
          responses,
          parameters: (raw.parameters ?? []).map((p) => ({ raw: p, validate: compile(p.schema ?? { type: 'string' }) })),
          body: bodySchema ? compile(bodySchema) : undefined,
          bodyRequired: Boolean(raw.requestBody?.required),
        });
      }
    }
    // The most literal template first: /products/inventory before /products/{id}.
    this.operations.sort((a, b) => b.literalSegments - a.literalSegments);
  }

  /** The operation of a request, with its raw path parameters; undefined outside the document. */
  match(method: string, path: string): { operation: CompiledOperation; params: Record<string, string> } | undefined {
    const parts = path.split('/');
    for (const operation of this.operations) {
      if (operation.method !== method.toUpperCase() || operation.segments.length !== parts.length) continue;
      const params: Record<string, string> = {};
      const ok = operation.segments.every((segment, i) => {
        const part = parts[i];
        if (segment.startsWith('{')) {
          params[segment.slice(1, -1)] = part;
          return part.length > 0;
        }
        return segment === part;
      });
      if (ok) return { operation, params };
    }
    return undefined;
  }

  /** Where the exchange departs from the document; undefined when the route is not in it. */
  check(exchange: Exchange): string[] | undefined {
    const url = new URL(exchange.url, 'http://localhost');
    const found = this.match(exchange.method, url.pathname);
    if (!found) return undefined;
    const { operation } = found;
    const status = String(exchange.statusCode);
    const response = operation.responses.get(status);
    if (!response)
      return [`status ${status} is not documented for ${operation.key} (documented: ${[...operation.responses.keys()].join(', ')})`];
    const problems: string[] = [];
    problems.push(...this.bodyProblems(exchange, response));
    problems.push(...this.headerProblems(exchange, response));
    if (exchange.statusCode === 400) problems.push(...this.badRequestProblems(exchange, operation, found.params, url));
    return problems;
  }

  private bodyProblems(exchange: Exchange, response: CompiledOperation['responses'] extends Map<string, infer R> ? R : never): string[] {
    const contentType = String(exchange.headers['content-type'] ?? '');
    const mediaType = contentType.split(';')[0].trim().toLowerCase();
    const documented = Object.keys(response.raw.content ?? {});
    if (exchange.statusCode === 204 || exchange.statusCode === 304 || documented.length === 0) {
      const problems: string[] = [];
      if (exchange.body.length > 0)
        problems.push(`a body (${exchange.body.length} bytes, ${contentType || 'no content type'}) where none is documented`);
      else if (contentType && (exchange.statusCode === 204 || exchange.statusCode === 304))
        problems.push(`content-type ${contentType} on a ${exchange.statusCode} without body`);
      return problems;
    }
    if (!documented.includes(mediaType))
      return [`content-type ${JSON.stringify(contentType)} is not the documented ${documented.join(' or ')}`];
    if (mediaType === 'text/plain') return typeof exchange.body === 'string' && exchange.body.length > 0 ? [] : ['empty text/plain body'];
    if (mediaType !== 'application/json') return [];
    let body: unknown;
    try {
      body = JSON.parse(exchange.body);
    } catch {
      return [`body is not JSON: ${JSON.stringify(exchange.body.slice(0, 120))}`];
    }
    if (!response.body) return [];
    if (response.body(body)) return [];
    return ajvErrors(response.body.errors, 'body');
  }

  private headerProblems(exchange: Exchange, response: CompiledOperation['responses'] extends Map<string, infer R> ? R : never): string[] {
    const problems: string[] = [];
    for (const name of CHECKED_HEADERS) {
      const value = exchange.headers[name];
      if (value === undefined) continue;
      if (!response.headers.has(name)) {
        problems.push(`header ${name} is sent but not declared for this response`);
        continue;
      }
      const validate = response.headers.get(name);
      if (!validate) continue;
      const text = Array.isArray(value) ? value.join(', ') : String(value);
      const schema = Object.entries(response.raw.headers ?? {}).find(([n]) => n.toLowerCase() === name)?.[1].schema ?? {};
      if (!validate(coerce(text, schema))) problems.push(...ajvErrors(validate.errors, `header ${name}=${JSON.stringify(text)}`));
    }
    if (exchange.headers['x-request-id'] === undefined) problems.push('no X-Request-ID header');
    for (const [name, header] of Object.entries(response.raw.headers ?? {})) {
      if (header.required && exchange.headers[name.toLowerCase()] === undefined) problems.push(`required header ${name} missing`);
    }
    return problems;
  }

  /** Why the request is invalid under the document (empty: the document allows it). */
  requestProblems(
    exchange: Exchange,
    operation: CompiledOperation,
    rawParams: Record<string, string>,
    url: URL,
  ): { problems: string[]; request: ParsedRequest } {
    const problems: string[] = [];
    const request: ParsedRequest = { path: {}, query: new Map(), headers: exchange.requestHeaders, body: undefined, strings: [] };
    for (const [name, raw] of Object.entries(rawParams)) {
      try {
        request.path[name] = decodeURIComponent(raw);
      } catch {
        problems.push(`path ${name}: malformed percent-encoding`);
      }
    }
    if (!/^[^%]*(%[0-9A-Fa-f]{2}[^%]*)*$/.test(url.search)) problems.push('query: malformed percent-encoding');
    for (const [name, value] of url.searchParams) request.query.set(name, [...(request.query.get(name) ?? []), value]);
    const declaredQuery = new Set<string>();
    for (const { raw, validate } of operation.parameters) {
      let values: string[] | undefined;
      if (raw.in === 'path') values = request.path[raw.name] === undefined ? undefined : [request.path[raw.name]];
      else if (raw.in === 'query') {
        declaredQuery.add(raw.name);
        values = request.query.get(raw.name);
      } else if (raw.in === 'header') {
        const v = exchange.requestHeaders[raw.name.toLowerCase()];
        values = v === undefined ? undefined : Array.isArray(v) ? v : [String(v)];
      } else continue;
      if (values === undefined) {
        if (raw.required || raw.in === 'path') problems.push(`${raw.in} ${raw.name}: required but missing`);
        continue;
      }
      const schema = raw.schema ?? {};
      if (schema.type === 'array') {
        const items = values.map((v) => coerce(v, schema.items as SchemaObject));
        if (!validate(items)) problems.push(...ajvErrors(validate.errors, `${raw.in} ${raw.name}`));
        continue;
      }
      if (values.length > 1) problems.push(`${raw.in} ${raw.name}: given ${values.length} times`);
      if (!validate(coerce(values[0], schema)))
        problems.push(...ajvErrors(validate.errors, `${raw.in} ${raw.name}=${JSON.stringify(values[0].slice(0, 60))}`));
    }
    for (const name of request.query.keys())
      if (!declaredQuery.has(name)) problems.push(`query ${name}: not a parameter of this operation`);

    const hasBody = exchange.requestBody !== undefined && exchange.requestBody.length > 0;
    if (hasBody) {
      const contentType = String(exchange.requestHeaders['content-type'] ?? '')
        .split(';')[0]
        .trim()
        .toLowerCase();
      if (!operation.raw.requestBody) problems.push('body: this operation takes none');
      else if (contentType !== 'application/json')
        problems.push(`body: content-type ${JSON.stringify(contentType)} is not application/json`);
      else {
        try {
          request.body = JSON.parse(exchange.requestBody!);
          if (operation.body && !operation.body(request.body)) problems.push(...ajvErrors(operation.body.errors, 'body'));
        } catch {
          problems.push('body: not JSON');
        }
      }
    } else if (operation.bodyRequired) problems.push('body: required but missing');
    else if (exchange.requestHeaders['content-type'] !== undefined)
      problems.push('body: a content-type announces a body, and an empty one is no JSON');
    request.strings = stringsIn([request.path, [...request.query.values()], request.body]);
    return { problems, request };
  }

  private badRequestProblems(exchange: Exchange, operation: CompiledOperation, rawParams: Record<string, string>, url: URL): string[] {
    const { problems, request } = this.requestProblems(exchange, operation, rawParams, url);
    if (problems.length > 0) return [];
    let message: unknown;
    try {
      message = (JSON.parse(exchange.body) as { message?: unknown }).message;
    } catch {
      /* the body check reports it */
    }
    if (BAD_REQUEST_EXCEPTIONS.some((e) => excused(e, operation.key, request, message))) return [];
    return [`400 for a request the document allows (message ${JSON.stringify(message)})`];
  }
}

let shared: OpenApiConformance | undefined;

/** The validator of the committed openapi.json, built once per test file's module registry. */
export function conformance(): OpenApiConformance {
  shared ??= new OpenApiConformance(JSON.parse(readFileSync(resolve(repoRoot, 'openapi.json'), 'utf8')) as OpenApiDocument);
  return shared;
}

const violations: Violation[] = [];
let checked = 0;

/** Checks one exchange, remembering its violations for the report. */
export function recordExchange(exchange: Exchange): void {
  if (process.env.OPENAPI_CONFORMANCE === '0') return;
  const problems = conformance().check(exchange);
  if (problems === undefined) return;
  checked++;
  if (problems.length) violations.push({ method: exchange.method, url: exchange.url, statusCode: exchange.statusCode, problems });
}

/** The violations collected so far, emptied. */
export function takeViolations(): { violations: Violation[]; checked: number } {
  const out = { violations: violations.splice(0), checked };
  checked = 0;
  return out;
}

/** One readable line per violation (long URLs cut), identical ones counted once. */
export function formatViolations(list: Violation[]): string {
  const lines = new Map<string, number>();
  for (const v of list) {
    const url = v.url.length > 160 ? `${v.url.slice(0, 160)}…` : v.url;
    const line = `${v.method} ${url} → ${v.statusCode}: ${v.problems.join('; ')}`;
    lines.set(line, (lines.get(line) ?? 0) + 1);
  }
  return [...lines].map(([line, n]) => `  ${line}${n > 1 ? ` (×${n})` : ''}`).join('\n');
}
