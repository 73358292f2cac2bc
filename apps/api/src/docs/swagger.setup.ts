import { ModulesContainer } from '@nestjs/core';
import {
  DECORATORS,
  DocumentBuilder,
  SwaggerModule,
  type HeaderObject,
  type OpenAPIObject,
  type OperationObject,
  type ResponseObject,
} from '@nestjs/swagger';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { IS_PUBLIC_KEY } from '@app/common';
import { RETRY_AFTER_HEADER, errorResponse } from '../http/api-errors.decorator.js';
import { applySchemaExtras } from './schema-extras.js';

/** The bearer security scheme's name in components.securitySchemes. */
export const BEARER = 'bearer';

const TAGS: [name: string, description: string][] = [
  ['auth', 'Registration, sign-in, token refresh (rotating refresh tokens with reuse detection), sign-out and the caller’s sessions'],
  ['users', 'The signed-in user’s profile; user administration for admins'],
  ['catalog', 'Categories, products (public, cached reads with ETag) and, for admins, catalog writes and inventory'],
  ['cart', 'The cart of the signed-in user, or of a guest identified by X-Cart-Token'],
  ['orders', 'Checkout with Idempotency-Key, order history and status changes'],
  ['operations', 'Admin views of the cache, Redis and job queues; Prometheus metrics'],
  ['health', 'Liveness and readiness probes for load balancers and orchestrators'],
];

/** Builds the OpenAPI document of the app (served at /docs-json, written to openapi.json by `npm run openapi`). */
export function buildOpenApiDocument(app: NestFastifyApplication): OpenAPIObject {
  const builder = new DocumentBuilder()
    .setTitle('Nest Commerce API')
    .setDescription(
      'Identity, catalog, cart and orders. Errors share one body: `{ statusCode, error, message, requestId }`. ' +
        'Every answer carries `X-Request-ID`; rate-limited answers (429) and answers of an unreachable dependency (503) carry `Retry-After`.',
    )
    .setVersion('1.0')
    .setLicense('MIT', 'https://opensource.org/licenses/MIT')
    .addServer('/', 'This server')
    .addBearerAuth(
      { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'Access token from register, login or refresh' },
      BEARER,
    )
    .addSecurityRequirements(BEARER);
  for (const [name, description] of TAGS) builder.addTag(name, description);
  const document = SwaggerModule.createDocument(app, builder.build(), {
    // Every route names its operationId in @ApiOperation; a route that forgets gets its method name.
    operationIdFactory: (_controllerKey: string, methodKey: string) => methodKey,
  });
  applySchemaExtras(document.components?.schemas as Parameters<typeof applySchemaExtras>[0]);
  documentSecurity(document, publicOperations(app));
  documentEdgeResponses(document);
  documentCommonHeaders(document);
  documentExamples(document);
  assertUniqueOperationIds(document);
  return document;
}

/** Swagger UI at /docs and the OpenAPI 3 document at /docs-json, with bearer auth. */
export function setupSwagger(app: NestFastifyApplication): void {
  SwaggerModule.setup('docs', app, buildOpenApiDocument(app), {
    jsonDocumentUrl: 'docs-json',
    yamlDocumentUrl: 'docs-yaml',
    swaggerOptions: { persistAuthorization: true },
  });
}

type Operations = [path: string, method: string, operation: OperationObject][];

function operationsOf(document: OpenAPIObject): Operations {
  const out: Operations = [];
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(item as Record<string, unknown>)) {
      if (operation && typeof operation === 'object' && 'responses' in operation) out.push([path, method, operation as OperationObject]);
    }
  }
  return out;
}

/** The operationIds of the @Public() routes (on the handler or its controller). */
function publicOperations(app: NestFastifyApplication): Set<string> {
  const ids = new Set<string>();
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const type = wrapper.metatype as (new (...args: never[]) => unknown) | null;
      if (!type) continue;
      const controllerPublic = Reflect.getMetadata(IS_PUBLIC_KEY, type) === true;
      for (const key of Object.getOwnPropertyNames(type.prototype)) {
        const handler: unknown = (type.prototype as Record<string, unknown>)[key];
        if (key === 'constructor' || typeof handler !== 'function') continue;
        const operation = Reflect.getMetadata(DECORATORS.API_OPERATION, handler) as { operationId?: string } | undefined;
        const isPublic = (Reflect.getMetadata(IS_PUBLIC_KEY, handler) as boolean | undefined) ?? controllerPublic;
        if (isPublic) ids.add(operation?.operationId ?? key);
      }
    }
  }
  return ids;
}

/**
 * Bearer auth is required by default (the document's global security). Public routes need none
 * (`security: []`); public routes that also take an optional bearer token (the cart: a signed-in
 * caller gets the user's cart) list both: bearer, or nothing.
 */
function documentSecurity(document: OpenAPIObject, publicIds: Set<string>): void {
  for (const [, , operation] of operationsOf(document)) {
    const bearer = (operation.security ?? []).some((requirement) => BEARER in requirement);
    if (publicIds.has(operation.operationId ?? '')) operation.security = bearer ? [{ [BEARER]: [] }, {}] : [];
    else operation.security = [{ [BEARER]: [] }];
  }
}

const WRITE_METHODS = new Set(['post', 'put', 'patch', 'delete']);

/**
 * The answers the HTTP edge gives before a route's own code runs, added to every operation they
 * can happen to (an operation's own description of a status is kept): the default rate limit
 * (429) on every route; a dependency the request needs being unreachable (503, API routes: a
 * write while the primary is down, a cart call while Redis is, a read that reaches no database); a malformed, too large or unsupported body (400, 413, 415) on every
 * route that takes one, since the body is parsed before the route sees it; a malformed or over-long
 * path parameter (400, 414). Error answers documented without an example get the one of their status.
 */
export function documentEdgeResponses(document: OpenAPIObject): void {
  for (const [path, method, operation] of operationsOf(document)) {
    const responses = operation.responses as Record<string, ResponseObject>;
    const add = (status: number, description: string) => {
      responses[status] ??= errorResponse({ status, description });
    };
    add(429, 'Rate limited (per client IP and route); see the Retry-After header (seconds)');
    if (path.startsWith('/api/'))
      add(
        503,
        'A dependency this request needs is unreachable (the primary database for a write, Redis for the cart, no database server for a read); see the Retry-After header (seconds)',
      );
    if (WRITE_METHODS.has(method)) {
      add(400, 'Invalid body or parameters (the message names each field), or a body that is not valid JSON');
      add(413, 'Body larger than the route accepts');
      add(415, 'Body of an unsupported media type');
    }
    if (path.includes('{')) {
      add(400, 'Malformed path parameter (named in the message), or an invalid URL');
      add(414, 'A path parameter longer than the router accepts');
    }
    for (const [status, response] of Object.entries(responses)) {
      const json = response.content?.['application/json'];
      if (!json || json.example !== undefined || (json.schema as { $ref?: string } | undefined)?.$ref !== '#/components/schemas/ErrorBody')
        continue;
      responses[status] = {
        ...errorResponse({ status: Number(status), description: response.description }),
        ...(response.headers ? { headers: response.headers } : {}),
      };
    }
  }
}

const REQUEST_ID_HEADER: Record<string, HeaderObject> = {
  'X-Request-ID': {
    description:
      'The request’s id: a well-formed incoming X-Request-ID is echoed, otherwise one is generated; it appears in every log line of the request',
    schema: { type: 'string', example: '3f1c2a9e-6f0e-4a55-b1f6-1f7f2d9b8c11' },
  },
};

const RATE_LIMIT_HEADERS: Record<string, HeaderObject> = {
  'X-RateLimit-Limit': {
    description: 'Requests allowed per window for this client IP and route',
    schema: { type: 'integer', minimum: 1, example: 100 },
  },
  'X-RateLimit-Remaining': { description: 'Requests left in the current window', schema: { type: 'integer', minimum: 0, example: 99 } },
  'X-RateLimit-Reset': { description: 'Seconds until the current window ends', schema: { type: 'integer', minimum: 0, example: 60 } },
};

/** Answers the HTTP edge gives before the rate limit counts the request: they carry no X-RateLimit-*. */
const BEFORE_RATE_LIMIT = new Set(['413', '414', '415']);

/**
 * Headers the HTTP layer adds: X-Request-ID on every answer; the default rate limit's X-RateLimit-*
 * on every answer of a request it counted (success or error, its own 429 included; not the edge's
 * 413, 414 and 415); Retry-After on 429 and on the contract's 503 (a dependency unreachable; the
 * readiness probe's 503 sends none).
 */
function documentCommonHeaders(document: OpenAPIObject): void {
  for (const [, , operation] of operationsOf(document)) {
    for (const [status, response] of Object.entries(operation.responses as Record<string, ResponseObject>)) {
      const headers: Record<string, HeaderObject> = {
        ...(response.headers as Record<string, HeaderObject> | undefined),
        ...REQUEST_ID_HEADER,
      };
      if (!BEFORE_RATE_LIMIT.has(status)) Object.assign(headers, RATE_LIMIT_HEADERS);
      const errorBody =
        (response.content?.['application/json']?.schema as { $ref?: string } | undefined)?.$ref === '#/components/schemas/ErrorBody';
      if (status === '429' || (status === '503' && errorBody)) Object.assign(headers, RETRY_AFTER_HEADER);
      response.headers = headers;
    }
  }
}

const SUCCESS_DESCRIPTIONS: Record<string, string> = { '200': 'Success', '201': 'Created', '204': 'Done (no body)' };

/** Examples by format or name, for the fields and parameters whose decorators name none. */
const EXAMPLE_BY_FORMAT: Record<string, unknown> = {
  uuid: '0b7e3f0e-2f6a-4c61-9a43-7a0f3f1e5d21',
  'date-time': '2026-01-15T09:30:00.000Z',
};
const EXAMPLE_BY_NAME: Record<string, unknown> = {
  page: 1,
  limit: 20,
  'If-None-Match': '"q0Xb2k9yZmQpr7cWq1vJ3sN5tLe"',
  'X-Cart-Token': '9b2f6f0e-1c1e-4f62-8d7b-3c5a2e1f0a9d.pG3vQ0m4k1ZyR7tXc2bN5wA8sD6fH9jL3qE0uI4oP1z',
  currentPassword: 'correct horse battery staple',
  refreshToken: '5f0c3e9a-7b2d-4c1e-8f6a-2d9b0e1c7a43.Yk3v9QpT2mX8rL5wN1cB7dF4gH6jZ0sA',
};

/**
 * Success answers get a description when their decorator gave none, and every property or parameter
 * an example: the one of the same name elsewhere in the document, else one by name or format, so
 * Swagger UI and generated clients never show `"string"` or a bound as a value.
 */
function documentExamples(document: OpenAPIObject): void {
  type Schema = { example?: unknown; format?: string; type?: string; properties?: Record<string, Schema>; $ref?: string; enum?: unknown[] };
  const schemas = Object.values((document.components?.schemas ?? {}) as Record<string, Schema>);
  const byName = new Map<string, unknown>();
  for (const schema of schemas)
    for (const [name, property] of Object.entries(schema.properties ?? {}))
      if (property.example !== undefined && !byName.has(name)) byName.set(name, property.example);
  const exampleFor = (name: string, schema: Schema): unknown =>
    schema.enum?.[0] ??
    byName.get(name) ??
    EXAMPLE_BY_NAME[name] ??
    EXAMPLE_BY_NAME[name.toLowerCase() === 'x-cart-token' ? 'X-Cart-Token' : name] ??
    (schema.format ? EXAMPLE_BY_FORMAT[schema.format] : undefined);
  for (const schema of schemas) {
    for (const [name, property] of Object.entries(schema.properties ?? {})) {
      if (
        property.example !== undefined ||
        property.$ref ||
        property.type === 'object' ||
        property.type === 'array' ||
        property.type === 'boolean'
      )
        continue;
      const example = exampleFor(name, property);
      if (example !== undefined) property.example = example;
    }
  }
  for (const [, , operation] of operationsOf(document)) {
    for (const parameter of (operation.parameters ?? []) as { name: string; example?: unknown; schema?: Schema }[]) {
      if (parameter.example !== undefined || !parameter.schema || parameter.schema.example !== undefined || parameter.schema.enum) continue;
      const example = exampleFor(parameter.name, parameter.schema);
      if (example !== undefined) parameter.schema.example = example;
    }
    for (const [status, response] of Object.entries(operation.responses as Record<string, ResponseObject>)) {
      if (!response.description) response.description = SUCCESS_DESCRIPTIONS[status] ?? 'Success';
    }
  }
}

function assertUniqueOperationIds(document: OpenAPIObject): void {
  const seen = new Map<string, string>();
  for (const [path, method, operation] of operationsOf(document)) {
    const where = `${method.toUpperCase()} ${path}`;
    const id = operation.operationId ?? '';
    if (seen.has(id)) throw new Error(`OpenAPI: operationId '${id}' of ${where} is also used by ${seen.get(id)}`);
    seen.set(id, where);
  }
}
