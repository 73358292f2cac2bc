import { connect, type AddressInfo } from 'node:net';
import { Logger } from '@nestjs/common';
import { UnavailableError } from '@app/common';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { capturedLogger } from '@app/common/logging/testing/captured-logger.js';
import { AccessLog } from '../logging/access-log.hook.js';
import type { RouteRateLimit } from '../throttling/route-rate-limit.js';
import type { CachedRead, CachedReadCounts } from './cached-reads.js';
import { cachedReadRoute, FrontDoor, type FrontAnswer, type FrontRoute } from './front-door.js';
import { jsonBody, jsonBodyOf } from './json-body.js';

const ROUTE = '/api/v1/things/:id';
const SECURITY = { 'x-content-type-options': 'nosniff', 'x-frame-options': 'DENY' };

/** The rate limit's answer for the next requests: admitted, refused, or either after a turn. */
type Verdict = boolean | 'later-true' | 'later-false';

/** A FrontDoor on a real HTTP server, with a fake read and limit; what it does not take is answered "fallback". */
async function setup(
  values: Record<string, object>,
  opts: { trustProxy?: boolean; extra?: (limit: RouteRateLimit) => FrontRoute | FrontRoute[] } = {},
) {
  const { logger, lines } = capturedLogger('info');
  const observed: [string, string, number][] = [];
  const trackers: string[] = [];
  let verdict: Verdict = true;
  let peekThrows = false;
  const limit = {
    admitRaw(tracker: string, headers: string[]): boolean | Promise<boolean> {
      trackers.push(tracker);
      if (verdict === 'later-true' || verdict === 'later-false') {
        const ok = verdict === 'later-true';
        return new Promise((resolve) => setTimeout(() => resolve(ok), 20));
      }
      if (verdict) headers.push('x-ratelimit-limit', '10', 'x-ratelimit-remaining', '9', 'x-ratelimit-reset', '60');
      return verdict;
    },
  } as unknown as RouteRateLimit;
  const read: CachedRead = {
    url: ROUTE,
    limit,
    peek: (id) => {
      if (peekThrows) throw new Error('peek failed');
      return values[id];
    },
  };
  const counts: CachedReadCounts = new Map();
  const answered = new Map<string, number>();
  const door = new FrontDoor();
  const fallback = (_req: IncomingMessage, res: ServerResponse): void => {
    res.writeHead(299, { 'content-type': 'text/plain' }).end('fallback');
  };
  const server: Server = door.serverFactory(fallback, { keepAliveTimeout: 5_000, requestTimeout: 10_000, connectionTimeout: 20_000 });
  door.open([cachedReadRoute(read, counts), ...(opts.extra ? [opts.extra(limit)].flat() : [])], {
    securityHeaders: SECURITY,
    accessLog: new AccessLog(logger),
    latency: (method, route, status) => observed.push([method, route, status]),
    answered,
    errorLog: new Logger('HTTP'),
    clientAddress: opts.trustProxy
      ? (req) => String(req.headers['x-forwarded-for'] ?? req.socket.remoteAddress)
      : (req) => req.socket.remoteAddress,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    server,
    door,
    lines,
    observed,
    trackers,
    counts,
    answered,
    setVerdict: (v: Verdict) => (verdict = v),
    setPeekThrows: (v: boolean) => (peekThrows = v),
    get: (path: string, init: RequestInit = {}) => fetch(`${base}${path}`, init),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('FrontDoor: cached reads answered before Fastify', () => {
  const thing = { id: 'a1', name: 'Thing' };
  const answered = (t: { answered: Map<string, number> }): number => t.answered.get(ROUTE) ?? 0;

  it('answers a value the read holds, with every header the route hook sends, and logs and measures it', async () => {
    const t = await setup({ a1: thing });
    try {
      const res = await t.get('/api/v1/things/a1', { headers: { 'x-request-id': 'req-42' } });
      expect(res.status).toBe(200);
      expect(await res.text()).toBe(JSON.stringify(thing));
      const body = jsonBodyOf(thing);
      expect(Object.fromEntries(res.headers)).toMatchObject({
        'x-request-id': 'req-42',
        'x-content-type-options': 'nosniff',
        'x-frame-options': 'DENY',
        'x-ratelimit-limit': '10',
        'x-ratelimit-remaining': '9',
        'x-ratelimit-reset': '60',
        etag: body.etag,
        'cache-control': 'no-cache',
        'content-type': 'application/json; charset=utf-8',
        'content-length': String(Buffer.byteLength(body.json)),
      });
      expect(answered(t)).toBe(1);
      expect(t.counts.get(ROUTE)?.answered).toBe(1);
      expect(t.trackers).toEqual(['127.0.0.1']);
      expect(t.observed).toEqual([['GET', ROUTE, 200]]);
      expect(t.lines).toHaveLength(1);
      expect(t.lines[0]).toMatchObject({
        level: 30,
        context: 'HTTP',
        requestId: 'req-42',
        req: { method: 'GET', url: '/api/v1/things/a1', remoteAddress: '127.0.0.1' },
        res: { statusCode: 200 },
        msg: 'request completed',
      });
      expect(typeof t.lines[0].responseTime).toBe('number');
      // A malformed request id is replaced, as Fastify's genReqId does.
      const generated = await t.get('/api/v1/things/a1', { headers: { 'x-request-id': 'bad id!' } });
      expect(generated.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    } finally {
      await t.close();
    }
  });

  it('answers a matching If-None-Match with 304, no body and no Content-Type', async () => {
    const t = await setup({ a1: thing });
    try {
      const etag = jsonBodyOf(thing).etag;
      const res = await t.get('/api/v1/things/a1', { headers: { 'if-none-match': `W/"other", ${etag}` } });
      expect(res.status).toBe(304);
      expect(await res.text()).toBe('');
      expect(res.headers.get('etag')).toBe(etag);
      expect(res.headers.get('content-type')).toBeNull();
      expect(t.observed).toEqual([['GET', ROUTE, 304]]);
      expect(t.lines[0]).toMatchObject({ res: { statusCode: 304 } });
    } finally {
      await t.close();
    }
  });

  it.each([
    ['another method', '/api/v1/things/a1', { method: 'POST', body: '{}' }],
    ['a query string', '/api/v1/things/a1?x=1', {}],
    ['an encoded character', '/api/v1/things/a%31', {}],
    ['a longer path', '/api/v1/things/a1/more', {}],
    ['an empty parameter', '/api/v1/things/', {}],
    ['another route', '/api/v1/other/a1', {}],
    ['a value the read does not hold', '/api/v1/things/zz', {}],
    ['an Authorization header', '/api/v1/things/a1', { headers: { authorization: 'Bearer x' } }],
  ] as const)('leaves %s to Fastify', async (_what, path, init) => {
    const t = await setup({ a1: thing });
    try {
      const res = await t.get(path, init);
      expect(res.status).toBe(299);
      expect(await res.text()).toBe('fallback');
      expect(answered(t)).toBe(0);
      expect(t.lines).toHaveLength(0); // Fastify's own hooks log what Fastify answers
    } finally {
      await t.close();
    }
  });

  it('leaves a refused rate limit to Fastify (the guard answers the 429), also when it is decided after a turn', async () => {
    const t = await setup({ a1: thing });
    try {
      t.setVerdict(false);
      expect((await t.get('/api/v1/things/a1')).status).toBe(299);
      t.setVerdict('later-false');
      expect((await t.get('/api/v1/things/a1')).status).toBe(299);
      t.setVerdict('later-true');
      const late = await t.get('/api/v1/things/a1');
      expect(late.status).toBe(200);
      expect(await late.text()).toBe(JSON.stringify(thing));
      expect(answered(t)).toBe(1);
    } finally {
      await t.close();
    }
  });

  it('hands every request to Fastify once closing starts, and survives a failing read', async () => {
    const t = await setup({ a1: thing });
    try {
      t.setPeekThrows(true);
      expect((await t.get('/api/v1/things/a1')).status).toBe(299);
      t.setPeekThrows(false);
      expect((await t.get('/api/v1/things/a1')).status).toBe(200);
      t.door.close();
      expect((await t.get('/api/v1/things/a1')).status).toBe(299);
      expect(answered(t)).toBe(1);
    } finally {
      await t.close();
    }
  });

  it('counts the client the way Fastify reads it (the trusted proxy header when configured)', async () => {
    const t = await setup({ a1: thing }, { trustProxy: true });
    try {
      await t.get('/api/v1/things/a1', { headers: { 'x-forwarded-for': '203.0.113.9' } });
      expect(t.trackers).toEqual(['203.0.113.9']);
      expect(t.lines[0]).toMatchObject({ req: { remoteAddress: '203.0.113.9' } });
    } finally {
      await t.close();
    }
  });

  it('answers a route whose answer takes a turn (the guest cart): no-store, its own headers; Fastify when it has none or fails', async () => {
    const carts: Record<string, Promise<FrontAnswer | undefined>> = {
      good: Promise.resolve({ body: jsonBody({ items: [] }), conditional: false, headers: ['x-cart-token', 'tok'] }),
      none: Promise.resolve(undefined),
    };
    const cart = (limit: RouteRateLimit): FrontRoute => ({
      url: '/api/v1/cart',
      limit,
      take: (_param, req) => {
        const id = req.headers['x-cart'];
        return typeof id === 'string' ? () => carts[id] ?? Promise.reject(new Error('read failed')) : undefined;
      },
    });
    const t = await setup({}, { extra: cart });
    try {
      const res = await t.get('/api/v1/cart', { headers: { 'x-cart': 'good', 'if-none-match': '*' } });
      expect(res.status).toBe(200); // not conditional: If-None-Match does not apply
      expect(await res.text()).toBe('{"items":[]}');
      expect(Object.fromEntries(res.headers)).toMatchObject({
        'x-cart-token': 'tok',
        'cache-control': 'no-store',
        'x-frame-options': 'DENY',
      });
      expect(res.headers.get('etag')).toBeNull();
      expect(t.answered.get('/api/v1/cart')).toBe(1);
      expect(t.observed).toEqual([['GET', '/api/v1/cart', 200]]);
      for (const headers of [{}, { 'x-cart': 'none' }, { 'x-cart': 'broken' }])
        expect((await t.get('/api/v1/cart', { headers })).status).toBe(299);
      expect((await t.get('/api/v1/cart/', { headers: { 'x-cart': 'good' } })).status).toBe(299); // exact url only
      expect(t.answered.get('/api/v1/cart')).toBe(1);
    } finally {
      await t.close();
    }
  });

  /** A POST route taking `{ n }` bodies: 201-like work answering n, failing for n < 0. */
  const counter = (limit: RouteRateLimit): FrontRoute => ({
    url: '/api/v1/count',
    method: 'POST',
    limit,
    take: (_param, _req, body) => {
      const n = (body as { n?: unknown } | null)?.n;
      if (typeof n !== 'number') return undefined;
      if (n === 13) throw new Error('take failed'); // a fault after the body's turn
      return () =>
        n < 0 ? Promise.reject(new UnavailableError('counter: down', 7)) : Promise.resolve({ body: jsonBody({ n }), conditional: false });
    },
  });

  it('answers a POST from its small JSON body; a failed write as the exception filter would, never twice', async () => {
    const t = await setup({}, { extra: counter });
    const post = (body: string, headers: Record<string, string> = {}) =>
      t.get('/api/v1/count', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    try {
      const res = await post('{"n":3}');
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('{"n":3}');
      expect(res.headers.get('cache-control')).toBe('no-store');
      const failed = await post('{"n":-1}', { 'x-request-id': 'req-1' });
      expect(failed.status).toBe(503);
      expect(await failed.json()).toEqual({ statusCode: 503, error: 'Service Unavailable', message: 'counter: down', requestId: 'req-1' });
      expect(failed.headers.get('retry-after')).toBe('7');
      expect(failed.headers.get('cache-control')).toBe('no-store');
      expect(failed.headers.get('x-frame-options')).toBe('DENY');
      expect(t.answered.get('/api/v1/count')).toBe(2);
      expect(t.observed).toEqual([
        ['POST', '/api/v1/count', 200],
        ['POST', '/api/v1/count', 503],
      ]);
      // Fastify's: what take refuses or fails on, malformed JSON, another type, no length, a large body, GET on the route.
      for (const [body, headers] of [
        ['{"n":"3"}', {}],
        ['{"n":13}', {}],
        ['{"n":', {}],
        ['{"n":3}', { 'content-type': 'text/plain' }],
        [`{"n":3}${' '.repeat(1_100)}`, {}],
      ] as const)
        expect((await post(body, headers)).status).toBe(299);
      const chunked = await t.get('/api/v1/count', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: new Blob(['{"n":3}']).stream(),
        duplex: 'half',
      });
      expect(chunked.status).toBe(299);
      expect((await t.get('/api/v1/count')).status).toBe(299);
      expect(t.answered.get('/api/v1/count')).toBe(2);
    } finally {
      await t.close();
    }
  });

  it('logs a POST whose client leaves before its body ends as aborted, and answers nothing', async () => {
    const t = await setup({}, { extra: counter });
    try {
      const { port } = t.server.address() as AddressInfo;
      await new Promise<void>((resolve, reject) => {
        const socket = connect(port, '127.0.0.1', () => {
          socket.write('POST /api/v1/count HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 20\r\n\r\n{"n":');
          setTimeout(() => socket.destroy(), 50);
        });
        socket.on('close', () => resolve());
        socket.on('error', reject);
      });
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(t.lines).toEqual([
        expect.objectContaining({ msg: 'request aborted', req: expect.objectContaining({ method: 'POST', url: '/api/v1/count' }) }),
      ]);
      expect(t.answered.get('/api/v1/count')).toBe(0);
      expect(t.observed).toEqual([]);
    } finally {
      await t.close();
    }
  });

  it('answers the requests of one turn together and in order; a fault writing one answer spares the others and never runs a write twice', async () => {
    let writes = 0;
    // An answer whose header Node refuses: writing it throws.
    const badHeader = ['x-bad', 'a\nb'];
    const faulty = (limit: RouteRateLimit): FrontRoute[] => [
      { url: '/api/v1/odd', limit, take: () => () => ({ body: jsonBody({ odd: true }), conditional: false, headers: badHeader }) },
      {
        url: '/api/v1/write',
        method: 'POST',
        limit,
        take: () => () => {
          writes++;
          return Promise.resolve({ body: jsonBody({ written: writes }), conditional: false, headers: badHeader });
        },
      },
    ];
    const t = await setup({ a1: thing, b2: { id: 'b2', name: 'Other' } }, { extra: faulty });
    try {
      const { port } = t.server.address() as AddressInfo;
      // Pipelined on one connection, sent in one write: the three answers come back in order.
      const raw = await new Promise<string>((resolve, reject) => {
        let text = '';
        const socket = connect(port, '127.0.0.1', () => {
          const get = (path: string) => `GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`;
          socket.write(get('/api/v1/things/a1') + get('/api/v1/things/b2') + get('/api/v1/things/a1'));
        });
        socket.on('data', (chunk: Buffer) => {
          text += chunk.toString('latin1');
          if (text.split('HTTP/1.1 200').length === 4 && text.endsWith('}')) {
            socket.destroy();
            resolve(text);
          }
        });
        socket.on('error', reject);
      });
      const bodies = raw
        .split('HTTP/1.1 ')
        .slice(1)
        .map((answer) => JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as { id: string });
      expect(bodies.map((b) => b.id)).toEqual(['a1', 'b2', 'a1']);
      // Arriving together with good reads: the faulty read goes to Fastify, the others are answered.
      const [odd, ...reads] = await Promise.all([t.get('/api/v1/odd'), t.get('/api/v1/things/a1'), t.get('/api/v1/things/b2')]);
      expect(odd.status).toBe(299);
      expect(reads.map((r) => r.status)).toEqual([200, 200]);
      // A write whose answer cannot be written: done once, its connection dropped, not handed to Fastify.
      const written = t.get('/api/v1/write', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      await expect(written).rejects.toThrow();
      expect(writes).toBe(1);
      expect((await t.get('/api/v1/things/a1')).status).toBe(200);
    } finally {
      await t.close();
    }
  });

  it('applies the server options Fastify would (timeouts, keep-alive)', async () => {
    const t = await setup({});
    try {
      expect(t.server.keepAliveTimeout).toBe(5_000);
      expect(t.server.requestTimeout).toBe(10_000);
      expect(t.server.timeout).toBe(20_000);
    } finally {
      await t.close();
    }
  });
});
