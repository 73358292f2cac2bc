import { Body, Controller, Module, Post } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { IsOptional, IsString } from 'class-validator';
import type { IncomingMessage } from 'node:http';
import net from 'node:net';
import { Readable } from 'node:stream';
import { Public } from '@app/common';
import { BodyLimit } from '../../apps/api/src/http/body-parsers.js';
import { bearer, createAdmin, randomClientIp, registerUser } from '../support/auth.js';
import { ProductFactory } from '../support/catalog.js';
import { postHead, sendRaw } from '../support/raw-http.js';
import { createTestApp } from '../support/test-app.js';

class NoteDto {
  @IsOptional() @IsString() note?: string;
}

/** A route that takes bodies up to 2 MiB, so the structure limits are met before the size limit. */
@Public()
@Controller('probe-hardening')
class ProbeController {
  @Post('big')
  @BodyLimit(2 * 1024 * 1024)
  big(@Body() body: NoteDto): NoteDto {
    return body;
  }
}

@Module({ controllers: [ProbeController] })
class ProbeModule {}

const json = { 'content-type': 'application/json' };
const form = { 'content-type': 'application/x-www-form-urlencoded' };

/** `{"k0":1,"k1":1,…}`: 40,000 distinct keys, about 355 KB. */
function manyKeys(n = 40_000): string {
  return `{${Array.from({ length: n }, (_, i) => `"k${i}":1`).join(',')}}`;
}

function messagesOf(res: { json: () => unknown }): string[] {
  return (res.json() as { message: string[] }).message;
}

describe('HTTP edge against hostile input', () => {
  let app: NestFastifyApplication;

  beforeAll(async () => {
    app = await createTestApp({}, { imports: [ProbeModule] });
  });
  afterAll(async () => {
    await app.close();
  });

  const login = (payload: string | Readable, headers: Record<string, string> = json) =>
    app.inject({ method: 'POST', url: '/api/v1/auth/login', headers: { ...headers, 'x-forwarded-for': randomClientIp() }, payload });

  describe('body size', () => {
    it('refuses a 1 MB body with 413 and the contract body', async () => {
      const res = await login(JSON.stringify({ email: 'a@example.com', password: 'x'.repeat(1_000_000) }));
      expect(res.statusCode).toBe(413);
      expect(res.json()).toEqual({
        statusCode: 413,
        error: 'Payload Too Large',
        message: 'body: is too large',
        requestId: res.headers['x-request-id'],
      });
    });

    it('refuses a body sent without Content-Length once it passes the limit', async () => {
      const chunks = Array.from({ length: 16 }, (_, i) => (i === 0 ? '{"email":"' : 'x'.repeat(64 * 1024)));
      const res = await login(Readable.from(chunks));
      expect(res.statusCode).toBe(413);
    });

    it('refuses the 40,000-key body by size on an ordinary route', async () => {
      const res = await login(manyKeys());
      expect(res.statusCode).toBe(413);
    });

    it('accepts a body up to the default limit', async () => {
      const res = await login(JSON.stringify({ email: 'nobody@example.com', password: 'p'.repeat(100), pad: 'x'.repeat(60_000) }));
      // Parsed and validated: the unknown field is named.
      expect(res.statusCode).toBe(400);
      expect(messagesOf(res)).toEqual(expect.arrayContaining([expect.stringMatching(/^pad: /)]));
    });

    it('lets a route declare a larger limit (admin inventory batch)', async () => {
      const admin = await createAdmin(app);
      const items = Array.from({ length: 100 }, () => ({ productId: '00000000-0000-4000-8000-000000000000', stock: 1 }));
      // Over the 64 KiB default (whitespace padding is valid JSON), within the route's own limit.
      const payload = JSON.stringify({ items }, null, 2) + ' '.repeat(70_000);
      expect(payload.length).toBeGreaterThan(65_536);
      const res = await app.inject({
        method: 'PATCH',
        url: '/api/v1/products/inventory',
        headers: { ...json, ...bearer(admin.accessToken) },
        payload,
      });
      expect(res.statusCode).not.toBe(413);
      expect(res.statusCode).toBe(400); // one productId, 100 times
    });
  });

  describe('body structure', () => {
    it('refuses an object with more than 1,000 keys before anything else reads it', async () => {
      const res = await app.inject({ method: 'POST', url: '/api/v1/probe-hardening/big', headers: json, payload: manyKeys() });
      expect(res.statusCode).toBe(400);
      expect(messagesOf(res)).toEqual(['body: an object has more than 1000 fields']);
      const fine = await app.inject({
        method: 'POST',
        url: '/api/v1/probe-hardening/big',
        headers: json,
        payload: { note: 'x'.repeat(100_000).slice(0, 16_000) },
      });
      expect(fine.statusCode).toBe(201);
    });

    it('answers a body nested 3,000 deep with 400, not 500', async () => {
      const deep = `{"email":"a@example.com","password":${'['.repeat(3000)}${']'.repeat(3000)}}`;
      const res = await login(deep);
      expect(res.statusCode).toBe(400);
      expect(messagesOf(res)).toEqual(['password.0.0.0…: is nested deeper than 32 levels']);
      const deepObject = `${'{"a":'.repeat(3000)}1${'}'.repeat(3000)}`;
      expect(
        (await app.inject({ method: 'POST', url: '/api/v1/probe-hardening/big', headers: json, payload: deepObject })).statusCode,
      ).toBe(400);
    });

    it('still refuses prototype keys and malformed JSON', async () => {
      const proto = await login('{"email":"a@example.com","password":"12345678","__proto__":{"role":"admin"}}');
      expect(proto.statusCode).toBe(400);
      // A refused field, named as such: the text is valid JSON.
      expect(proto.json().message).toEqual(['body: fields named __proto__, or constructor with a prototype field, are not allowed']);
      const ctor = await login('{"email":"a@example.com","password":"12345678","constructor":{"prototype":{"role":"admin"}}}');
      expect(ctor.json().message).toEqual(['body: fields named __proto__, or constructor with a prototype field, are not allowed']);
      const broken = await login('{"email": "a@example.com", "password": [}');
      expect(broken.statusCode).toBe(400);
      expect(broken.json()).toMatchObject({ statusCode: 400, message: 'body: is not valid JSON' });
      const empty = await login('');
      expect(empty.json()).toMatchObject({ statusCode: 400, message: 'body: is not valid JSON' });
      const xml = await login('<login/>', { 'content-type': 'application/xml' });
      expect(xml.json()).toMatchObject({ statusCode: 415, error: 'Unsupported Media Type', message: 'content-type: is not supported' });
    });
  });

  describe('strings', () => {
    it('refuses a NUL character with 400 naming the field', async () => {
      const res = await app.inject({
        method: 'POST',
        url: '/api/v1/auth/register',
        headers: { ...json, 'x-forwarded-for': randomClientIp() },
        payload: JSON.stringify({ email: 'nul@example.com', password: 'long-enough-1', name: 'Ada\u0000Lovelace' }),
      });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toEqual({
        statusCode: 400,
        error: 'Bad Request',
        message: ['name: must not contain NUL (\\u0000) characters'],
        requestId: res.headers['x-request-id'],
      });
    });

    it('refuses a lone surrogate with 400 naming the field (isEmail would throw on it)', async () => {
      const res = await app.inject({
        method: 'POST',
        url: '/api/v1/auth/register',
        headers: { ...json, 'x-forwarded-for': randomClientIp() },
        payload: '{"email":"\\ud800@example.com","password":"long-enough-1","name":"Ada"}',
      });
      expect(res.statusCode).toBe(400);
      expect(messagesOf(res)).toEqual(['email: must be well-formed Unicode (no lone surrogates)']);
    });

    it('names nested fields by path and accepts well-formed astral characters', async () => {
      const user = await registerUser(app);
      const res = await app.inject({
        method: 'POST',
        url: '/api/v1/orders',
        headers: { ...json, ...bearer(user.accessToken), 'idempotency-key': 'k-nul-1' },
        payload: '{"items":[{"productId":"00000000-0000-4000-8000-000000000000","quantity":1},{"productId":"x\\u0000","quantity":1}]}',
      });
      expect(res.statusCode).toBe(400);
      expect(messagesOf(res)).toEqual(['items.1.productId: must not contain NUL (\\u0000) characters']);
      const named = await app.inject({
        method: 'PATCH',
        url: '/api/v1/users/me',
        headers: { ...json, ...bearer(user.accessToken) },
        payload: '{"name":"Ada \\ud83d\\ude00"}',
      });
      expect(named.statusCode).toBe(200);
      expect(named.json().name).toBe('Ada \u{1F600}');
    });

    it('applies the same limits to form bodies', async () => {
      const keys = Array.from({ length: 1_001 }, (_, i) => `k${i}=1`).join('&');
      const tooMany = await login(keys, form);
      expect(tooMany.statusCode).toBe(400);
      expect(messagesOf(tooMany)).toEqual(['body: has more than 1000 fields']);
      const nul = await login('email=a%40example.com&password=abc%00defgh', form);
      expect(nul.statusCode).toBe(400);
      expect(messagesOf(nul)).toEqual(['password: must not contain NUL (\\u0000) characters']);
      const proto = await login('email=a%40example.com&password=abcdefgh&__proto__=x', form);
      expect(proto.statusCode).toBe(400);
      const wrong = await login('email=nobody%40example.com&password=abcdefgh', form);
      expect(wrong.statusCode).toBe(401);
    });
  });

  describe('security headers', () => {
    it('sends CSP, nosniff and HSTS on answers and errors alike', async () => {
      for (const url of ['/health/live', '/api/v1/nope', '/api/v1/products']) {
        const res = await app.inject({ method: 'GET', url });
        const csp = String(res.headers['content-security-policy']);
        expect(csp).toMatch(/default-src 'self'/);
        expect(csp).toMatch(/script-src 'self'(;|$)/);
        expect(csp).toMatch(/object-src 'none'/);
        expect(csp).toMatch(/frame-ancestors 'none'/);
        expect(res.headers['x-content-type-options']).toBe('nosniff');
        expect(res.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
      }
    });

    it('keeps Swagger UI working under the policy: only same-origin scripts, each of them served', async () => {
      const page = await app.inject({ method: 'GET', url: '/docs' });
      expect(page.statusCode).toBe(200);
      const csp = String(page.headers['content-security-policy']);
      expect(csp).toMatch(/style-src 'self' 'unsafe-inline'/);
      expect(csp).toMatch(/img-src 'self' data:/);
      expect(csp).toMatch(/connect-src 'self'/);
      const scripts = [...page.body.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
      expect(scripts.length).toBeGreaterThan(0);
      const assets = [...page.body.matchAll(/<link[^>]+href=["']([^"']+\.css)["']/g)].map((m) => m[1]);
      for (const [, attributes, inline] of scripts) {
        // 'self' without 'unsafe-inline' blocks inline scripts: each must be a same-origin file.
        expect(inline.trim()).toBe('');
        const src = /src=["']([^"']+)["']/.exec(attributes)?.[1];
        expect(src).toBeDefined();
        expect(src).not.toMatch(/^(https?:)?\/\//);
        assets.push(src!);
      }
      for (const asset of assets) {
        const url = new URL(asset, 'http://localhost/docs').pathname;
        const res = await app.inject({ method: 'GET', url });
        expect([url, res.statusCode]).toEqual([url, 200]);
      }
    });
  });

  describe('Cache-Control', () => {
    it('is no-store on private answers: tokens, profile, sessions, cart, orders, admin, errors', async () => {
      const user = await registerUser(app);
      const admin = await createAdmin(app);
      const products = await ProductFactory.create(app);
      const product = await products.product();
      const guest = await app.inject({
        method: 'POST',
        url: '/api/v1/cart/items',
        headers: json,
        payload: { productId: product.id, quantity: 1 },
      });
      expect(guest.statusCode).toBe(200);
      const cartToken = String(guest.headers['x-cart-token']);
      const answers = [
        guest,
        await login(JSON.stringify({ email: user.email, password: user.password })),
        await app.inject({ method: 'GET', url: '/api/v1/users/me', headers: bearer(user.accessToken) }),
        await app.inject({ method: 'GET', url: '/api/v1/auth/sessions', headers: bearer(user.accessToken) }),
        await app.inject({ method: 'GET', url: '/api/v1/cart', headers: { 'x-cart-token': cartToken } }),
        await app.inject({ method: 'GET', url: '/api/v1/cart/count', headers: bearer(user.accessToken) }),
        await app.inject({ method: 'GET', url: '/api/v1/orders', headers: bearer(user.accessToken) }),
        await app.inject({ method: 'GET', url: '/api/v1/users', headers: bearer(admin.accessToken) }),
        await app.inject({ method: 'GET', url: '/api/v1/admin/cache/stats', headers: bearer(admin.accessToken) }),
        await app.inject({ method: 'GET', url: '/api/v1/users/me' }),
      ];
      expect(answers.map((r) => [r.statusCode, r.headers['cache-control']])).toEqual([
        [200, 'no-store'],
        [200, 'no-store'],
        [200, 'no-store'],
        [200, 'no-store'],
        [200, 'no-store'],
        [200, 'no-store'],
        [200, 'no-store'],
        [200, 'no-store'],
        [200, 'no-store'],
        [401, 'no-store'],
      ]);
    });

    it('leaves public catalog reads revalidatable (no-cache with an ETag), with or without a token', async () => {
      const user = await registerUser(app);
      for (const headers of [{}, bearer(user.accessToken)]) {
        for (const url of ['/api/v1/products', '/api/v1/categories']) {
          const res = await app.inject({ method: 'GET', url, headers });
          expect([url, res.statusCode, res.headers['cache-control']]).toEqual([url, 200, 'no-cache']);
          expect(res.headers.etag).toBeDefined();
        }
      }
    });
  });
});

describe('bodies refused before they are read, over TCP', () => {
  let app: NestFastifyApplication;
  let port: number;
  /** Body bytes that reached the request stream of each request to LOGIN, in order. */
  const delivered: number[] = [];
  const LOGIN = '/api/v1/auth/login';
  /** The probe route that takes bodies up to 2 MiB. */
  const BIG = '/api/v1/probe-hardening/big';

  beforeAll(async () => {
    app = await createTestApp({}, { imports: [ProbeModule] });
    await app.listen({ port: 0, host: '127.0.0.1' });
    port = (app.getHttpServer().address() as net.AddressInfo).port;
    app.getHttpServer().on('request', (req: IncomingMessage) => {
      if (req.url !== LOGIN && req.url !== BIG) return;
      const at = delivered.push(0) - 1;
      req.on('data', (chunk: Buffer) => (delivered[at] += chunk.length));
    });
  });
  afterAll(async () => {
    await app.close();
  });

  const login = (body: string) =>
    sendRaw(port, postHead(LOGIN, 'application/json', Buffer.byteLength(body), { 'x-forwarded-for': randomClientIp() }), body);

  it('answers 413 and closes without copying the rest of the body; the next connections read theirs whole', async () => {
    const big = JSON.stringify({ email: 'a@example.com', password: 'x'.repeat(4_000_000) });
    for (let round = 0; round < 3; round++) {
      delivered.length = 0;
      const refused = await login(big);
      expect([refused.status, refused.headers.connection, JSON.parse(refused.text).message]).toEqual([413, 'close', 'body: is too large']);
      await new Promise((resolve) => setTimeout(resolve, 50));
      // Node's parser would hand every chunk it reads until the socket closes to the request stream
      // (128,000 bytes here without the skip); the refusal is decided in the request event, before
      // the first chunk of body is handed on.
      expect(delivered[0]).toBe(0);
      // Node pools its parsers: the next connection takes the one that skipped the body.
      const read = await login(JSON.stringify({ email: 'a@example.com', password: 'p'.repeat(100), pad: 'x'.repeat(60_000) }));
      expect(read.status).toBe(400);
      expect(JSON.parse(read.text).message).toEqual(expect.arrayContaining([expect.stringMatching(/^pad: /)]));
      expect(delivered[1]).toBeGreaterThan(60_000);
    }
  });

  it('refuses a large body by its structure on the chunk that crosses the limit, and answers once it has all arrived', async () => {
    // 40,000 keys then 1 MB of padding: refused at the 1,001st key, in the first chunk read.
    const body = `${manyKeys().slice(0, -1)},"pad":"${'x'.repeat(1_000_000)}"}`;
    for (let round = 0; round < 3; round++) {
      delivered.length = 0;
      const refused = await sendRaw(port, postHead(BIG, 'application/json', Buffer.byteLength(body)), body);
      expect([refused.status, refused.headers.connection, JSON.parse(refused.text).message]).toEqual([
        400,
        'close',
        ['body: an object has more than 1000 fields'],
      ]);
      // Only what came before the refusal reached the request stream (the whole body without the check as it arrives).
      expect(delivered[0]).toBeLessThan(200 * 1024);
      const note = JSON.stringify({ note: 'x'.repeat(27) });
      const fine = await sendRaw(port, postHead(BIG, 'application/json', note.length), note);
      expect([fine.status, JSON.parse(fine.text)]).toEqual([201, { note: 'x'.repeat(27) }]);
    }
  });
});

describe('HTTP server timeouts', () => {
  let app: NestFastifyApplication;
  let port: number;

  beforeAll(async () => {
    app = await createTestApp({ HTTP_REQUEST_TIMEOUT_MS: '1500', HTTP_HEADERS_TIMEOUT_MS: '1000', HTTP_KEEP_ALIVE_TIMEOUT_MS: '61000' });
    await app.listen({ port: 0, host: '127.0.0.1' });
    port = (app.getHttpServer().address() as net.AddressInfo).port;
  });
  afterAll(async () => {
    await app.close();
  });

  /**
   * Sends `head`, then one byte of `trickle` every `everyMs` until the server answers or closes.
   * Resolves with what the server sent and how many trickled bytes it took.
   */
  function trickle(head: string, body: string, everyMs: number): Promise<{ response: string; sent: number }> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1');
      let response = '';
      let sent = 0;
      let timer: NodeJS.Timeout | undefined;
      socket.on('data', (d) => (response += d.toString()));
      socket.on('error', () => undefined);
      socket.on('close', () => {
        clearInterval(timer);
        resolve({ response, sent });
      });
      socket.on('connect', () => {
        socket.write(head);
        timer = setInterval(() => {
          if (sent >= body.length) {
            clearInterval(timer);
            reject(new Error(`the whole body was accepted: ${response}`));
            socket.destroy();
            return;
          }
          socket.write(body[sent++]);
        }, everyMs);
      });
    });
  }

  it('cuts off a body trickled byte by byte with 408, long before it is complete', async () => {
    const body = JSON.stringify({ email: 'slow@example.com', password: 'x'.repeat(60) });
    const head = `POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`;
    const { response, sent } = await trickle(head, body, 100);
    expect(response).toMatch(/^HTTP\/1\.1 408 /);
    expect(sent).toBeLessThan(body.length);
  });

  it('cuts off headers trickled byte by byte', async () => {
    const { response, sent } = await trickle('GET /health/live HTTP/1.1\r\nHost: localhost\r\n', `X-Slow: ${'a'.repeat(200)}\r\n\r\n`, 100);
    expect(response).toMatch(/^HTTP\/1\.1 408 /);
    expect(sent).toBeLessThan(200);
  });

  it('still serves ordinary requests, and keeps idle connections as configured', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/health/live`);
    expect(res.status).toBe(200);
    const server = app.getHttpServer();
    expect(server.keepAliveTimeout).toBe(61_000);
    expect(server.requestTimeout).toBe(1_500);
    expect(server.headersTimeout).toBe(1_000);
    expect(server.timeout).toBe(60_000);
  });
});
