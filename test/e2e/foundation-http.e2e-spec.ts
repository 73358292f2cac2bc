import { Body, Controller, Get, Module, Post } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { STATUS_CODES } from 'node:http';
import { IsEmail, IsInt, IsString, Max, Min, MinLength, ValidateNested } from 'class-validator';
import { Type } from 'class-transformer';
import { Public } from '@app/common';
import { createTestApp } from '../support/test-app.js';

class AddressDto {
  @ApiProperty() @IsString() @MinLength(2) city!: string;
}

class ProbeDto {
  @ApiProperty() @IsEmail() email!: string;
  @ApiProperty() @IsInt() @Min(1) @Max(100) quantity!: number;
  @ApiProperty({ type: AddressDto }) @ValidateNested() @Type(() => AddressDto) address!: AddressDto;
}

@Public()
@Controller('probe')
class ProbeController {
  @Post('echo')
  echo(@Body() body: ProbeDto): ProbeDto {
    return body;
  }

  @Get('boom')
  boom(): never {
    const error = new Error('relation "catalog.secret" does not exist: SELECT * FROM catalog.secret WHERE x = $1');
    (error as Error & { code: string }).code = '42P01';
    throw error;
  }
}

@Module({ controllers: [ProbeController] })
class ProbeModule {}

describe('HTTP foundation', () => {
  let app: NestFastifyApplication;

  beforeAll(async () => {
    app = await createTestApp({}, { imports: [ProbeModule] });
  });
  afterAll(async () => {
    await app.close();
  });

  const validBody = { email: 'a@example.com', quantity: 2, address: { city: 'Paris' } };

  it('serves routes under /api/v1 and health outside it', async () => {
    expect((await app.inject({ method: 'POST', url: '/api/v1/probe/echo', payload: validBody })).statusCode).toBe(201);
    expect((await app.inject({ method: 'POST', url: '/probe/echo', payload: validBody })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/health/live' })).json()).toEqual({ status: 'ok' });
    expect((await app.inject({ method: 'GET', url: '/api/v1/health/live' })).statusCode).toBe(404);
  });

  it('rejects unknown body fields with 400 naming them, and writes nothing', async () => {
    const res = await app.inject({ method: 'POST', url: '/api/v1/probe/echo', payload: { ...validBody, role: 'admin' } });
    expect(res.statusCode).toBe(400);
    const body = res.json();
    expect(body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    expect(body.message).toEqual(expect.arrayContaining([expect.stringMatching(/^role: /)]));
    expect(typeof body.requestId).toBe('string');
  });

  it('names every offending field, nested ones by path', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/probe/echo',
      payload: { email: 'nope', quantity: 500, address: { city: 'X' } },
    });
    expect(res.statusCode).toBe(400);
    const messages: string[] = res.json().message;
    expect(messages.some((m) => m.startsWith('email: '))).toBe(true);
    expect(messages.some((m) => m.startsWith('quantity: '))).toBe(true);
    expect(messages.some((m) => m.startsWith('address.city: '))).toBe(true);
  });

  it('answers malformed JSON with a 400 contract body', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/probe/echo',
      headers: { 'content-type': 'application/json' },
      payload: '{"email": ',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ statusCode: 400, error: 'Bad Request', requestId: res.headers['x-request-id'] });
  });

  it('turns an unhandled error into a bare 500 with requestId and no stack or SQL', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/v1/probe/boom', headers: { 'x-request-id': 'req-boom-1' } });
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({
      statusCode: 500,
      error: 'Internal Server Error',
      message: 'Internal server error',
      requestId: 'req-boom-1',
    });
    expect(res.body).not.toMatch(/SELECT|catalog\.secret|at .*\.ts|stack/i);
  });

  it('answers unknown routes with the contract 404 body', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/v1/nope' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ statusCode: 404, error: 'Not Found', requestId: res.headers['x-request-id'] });
  });

  it('answers the router’s and body parser’s own refusals with the contract body and the echoed request id', async () => {
    const json = { 'content-type': 'application/json' };
    const cases: [label: string, options: Parameters<NestFastifyApplication['inject']>[0] & object, status: number][] = [
      ['unknown route', { method: 'GET', url: '/api/v1/nope' }, 404],
      ['path parameter over the router limit', { method: 'GET', url: `/api/v1/products/${'x'.repeat(5_000)}` }, 414],
      ['malformed percent-encoding', { method: 'GET', url: '/api/v1/products/%%32%65' }, 400],
      [
        'body over the limit',
        {
          method: 'POST',
          url: '/api/v1/auth/login',
          headers: json,
          payload: JSON.stringify({ email: 'a@example.com', password: 'x'.repeat(1_048_576) }),
        },
        413,
      ],
      [
        'unsupported media type',
        { method: 'POST', url: '/api/v1/auth/login', headers: { 'content-type': 'application/xml' }, payload: '<login/>' },
        415,
      ],
    ];
    for (const [label, options, status] of cases) {
      const requestId = `framework-${status}-${label.replace(/\W+/g, '-')}`;
      const res = await app.inject({ ...options, headers: { ...options.headers, 'x-request-id': requestId } });
      expect({ label, status: res.statusCode }).toEqual({ label, status });
      expect(res.headers['x-request-id']).toBe(requestId);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.json()).toEqual({ statusCode: status, error: STATUS_CODES[status], message: expect.any(String), requestId });
      expect(res.body).not.toContain('FST_');
    }
  });

  it('echoes a well-formed X-Request-ID and generates one otherwise', async () => {
    const echoed = await app.inject({ method: 'GET', url: '/health/live', headers: { 'x-request-id': 'abc-123.XYZ' } });
    expect(echoed.headers['x-request-id']).toBe('abc-123.XYZ');

    const generated = await app.inject({ method: 'GET', url: '/health/live' });
    expect(generated.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);

    const hostile = await app.inject({ method: 'GET', url: '/health/live', headers: { 'x-request-id': 'bad id\twith spaces' } });
    expect(hostile.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);

    const other = await app.inject({ method: 'GET', url: '/health/live' });
    expect(other.headers['x-request-id']).not.toBe(generated.headers['x-request-id']);
  });

  it('serves Swagger UI at /docs and OpenAPI 3 at /docs-json with bearer auth', async () => {
    const ui = await app.inject({ method: 'GET', url: '/docs' });
    expect(ui.statusCode).toBe(200);
    expect(ui.headers['content-type']).toMatch(/text\/html/);
    const doc = (await app.inject({ method: 'GET', url: '/docs-json' })).json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/health/live', '/health/ready']));
  });

  it('exposes Prometheus metrics with route-pattern latency histograms and cache figures', async () => {
    await app.inject({ method: 'GET', url: '/health/live' });
    const res = await app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.body).toMatch(/http_request_duration_seconds_bucket\{[^}]*route="\/health\/live"/);
    expect(res.body).toContain('# TYPE cache_hits_total counter');
    expect(res.body).toContain('process_resident_memory_bytes');
  });
});
