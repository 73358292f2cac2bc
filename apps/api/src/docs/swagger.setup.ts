import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';

/** Swagger UI at /docs and the OpenAPI 3 document at /docs-json, with bearer auth. */
export function setupSwagger(app: NestFastifyApplication): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Nest Commerce API')
      .setDescription('Identity, catalog, cart and orders. Errors share one body: { statusCode, error, message, requestId }.')
      .setVersion('1.0')
      .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' })
      .build(),
  );
  documentEdgeResponses(document);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json', yamlDocumentUrl: 'docs-yaml' });
}

const WRITE_METHODS = new Set(['post', 'put', 'patch', 'delete']);

/**
 * The answers the HTTP edge gives before a route's own code runs, added to every operation they
 * can happen to (an operation's own description of a status is kept): the default rate limit
 * (429) on every API route; a malformed, too large or unsupported body (400, 413, 415) on every
 * route that takes one, since the body is parsed before the route sees it; a malformed or over-long
 * path parameter (400, 414).
 */
export function documentEdgeResponses(document: OpenAPIObject): void {
  const error = { 'application/json': { schema: { $ref: '#/components/schemas/ErrorBody' } } };
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(item as Record<string, { responses?: Record<string, unknown> }>)) {
      if (!operation || typeof operation !== 'object' || !operation.responses) continue;
      const add = (status: string, description: string) => {
        operation.responses![status] ??= { description, content: error };
      };
      if (path.startsWith('/api/v1/')) add('429', 'Rate limited; see the Retry-After header (seconds)');
      if (WRITE_METHODS.has(method)) {
        add('400', 'Invalid body or parameters (the message names each field), or a body that is not valid JSON');
        add('413', 'Body larger than the route accepts');
        add('415', 'Body of an unsupported media type');
      }
      if (path.includes('{')) {
        add('400', 'Malformed path parameter (named in the message), or an invalid URL');
        add('414', 'A path parameter longer than the router accepts');
      }
    }
  }
}
