/**
 * Fuzzes every operation of the OpenAPI document served at /docs-json, in-process (app.inject).
 *
 * For each operation, fast-check draws requests from the document: valid ones (path ids, query
 * values, headers and JSON bodies the schemas allow, real ids from fixtures and from earlier
 * answers, real customer/admin tokens and a guest cart token) and invalid ones (one to three
 * mutations: hostile path ids and query values, unknown and duplicated parameters, wrong-typed,
 * missing and extra body fields, raw bodies that are not JSON or not an object, other media
 * types, forged, tampered and expired tokens, hostile cart tokens and headers). Every answer must
 * keep the contract: no 5xx, no stack trace, SQL or Redis text in the body, X-Request-ID on every
 * answer, the error body `{ statusCode, error, message, requestId }` on every 4xx, Retry-After on
 * 429 and 503, and 2xx JSON bodies matching their documented schema. A failing request is shrunk
 * by fast-check to a minimal one and reported with its seed and path.
 *
 *   FUZZ_SEED=<int>          seed (default below; printed at the start)
 *   FUZZ_RUNS_PER_OP=<n>     requests drawn per operation (default 150; password routes get 40 %)
 *   FUZZ_OP=<substring>      only the operations whose `METHOD /path` contains it
 *   FUZZ_PATH=<path>         with FUZZ_SEED and FUZZ_OP: replay one reported counterexample
 *   FUZZ_CONCURRENT_PER_OP=<n>, FUZZ_CONCURRENCY=<n>
 *                            the concurrent phase: n requests per operation (default 25), drawn
 *                            from the same seed, interleaved over all operations and sent 8 at a
 *                            time (races: the order of answers is not reproducible, the requests are)
 */
import fc from 'fast-check';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createHmac, randomUUID } from 'node:crypto';
import { bearer, createAdmin, randomClientIp, registerUser, type RegisteredUser } from '../support/auth.js';
import { ProductFactory } from '../support/catalog.js';
import { createTestApp, testConfig } from '../support/test-app.js';
import { OpenApiModel, type Operation } from './openapi-model.js';
import { RequestArbitraries, type AuthChoice, type FuzzRequest } from './request-arbitraries.js';
import { Taint, contractProblems } from './response-checks.js';

const DEFAULT_SEED = 20_261_202;
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : DEFAULT_SEED;
const RUNS_PER_OP = Number(process.env.FUZZ_RUNS_PER_OP ?? 150);
const ONLY = process.env.FUZZ_OP ?? '';
const REPLAY_PATH = process.env.FUZZ_PATH;
const MIN_REQUESTS = 5_000;
/** Requests per operation in the concurrent phase, sent FUZZ_CONCURRENCY at a time across operations. */
const CONCURRENT_PER_OP = Number(process.env.FUZZ_CONCURRENT_PER_OP ?? 25);
const CONCURRENCY = Number(process.env.FUZZ_CONCURRENCY ?? 8);

/**
 * Limits raised out of the fuzzer's way (every limiter still runs on every request), under a key
 * prefix of its own: thousands of requests from one client IP must not use up the per-IP counters
 * that the suites running beside it share.
 */
const FUZZ_ENV: Record<string, string> = {
  REDIS_KEY_PREFIX: `${process.env.REDIS_KEY_PREFIX}f`,
  THROTTLE_LIMIT: '1000000',
  LOGIN_THROTTLE_IP_LIMIT: '1000000',
  LOGIN_THROTTLE_EMAIL_LIMIT: '1000000',
  LOGIN_THROTTLE_EMAIL_DELAY_AFTER: '1000000',
  REGISTER_THROTTLE_IP_LIMIT: '1000000',
  PASSWORD_CHECK_USER_LIMIT: '1000000',
  PASSWORD_CHECK_IP_LIMIT: '1000000',
  PASSWORD_HASH_MAX_WAIT_MS: '60000',
};

/** Routes that hash a password (argon2): fewer runs, they cost tens of milliseconds each. */
const HASHING = new Set(['POST /api/v1/auth/register', 'POST /api/v1/auth/login', 'PATCH /api/v1/users/me']);

const CART_PATH = /^\/api\/v1\/cart(\/|$)/;

function opSeed(key: string): number {
  let h = SEED | 0;
  for (let i = 0; i < key.length; i++) h = (Math.imul(h, 31) + key.charCodeAt(i)) | 0;
  return h;
}

/** Percent-encodes the UTF-8 bytes of `s` (a lone surrogate becomes U+FFFD, as a browser would send it). */
function pct(s: string, keep: RegExp = /[A-Za-z0-9_.~-]/): string {
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += byte < 0x80 && keep.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** Long runs of one character shortened, then the text cut at `max`. */
function abbreviate(text: string, max: number): string {
  return text.replace(/(.)\1{19,}/g, (run, c: string) => `${c.repeat(8)}…(${run.length}×)`).slice(0, max);
}

const b64url = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

/** Pools of real values, keyed `path:<METHOD> <path>:<param>` (falling back to `path:<path>:<param>`) or `field:<name>`. */
class PoolMap {
  private readonly map = new Map<string, string[]>();

  set(key: string, values: string[]): void {
    this.map.set(key, values);
  }

  push(key: string, value: string): void {
    const list = this.map.get(key) ?? [];
    list.push(value);
    this.map.set(key, list);
  }

  /** Exact key, then without the method, then the same parameter of a parent path (`/orders/{id}/cancel` → `/orders/{id}`). */
  get(key: string): readonly string[] | undefined {
    const exact = this.map.get(key);
    if (exact) return exact;
    const m = /^path:(?:[A-Z]+ )?(.*):([^:]+)$/.exec(key);
    if (!m) return undefined;
    let path = m[1];
    for (;;) {
      const found = this.map.get(`path:${path}:${m[2]}`);
      if (found || !path.includes(`{${m[2]}}/`)) return found;
      path = path.slice(0, path.lastIndexOf('/'));
    }
  }
}

interface OpStats {
  requests: number;
  statuses: Map<number, number>;
  validRejected: Map<string, number>;
  undocumented: Set<number>;
  skipped: number;
}

describe('OpenAPI fuzzing', () => {
  let app: NestFastifyApplication;
  let model: OpenApiModel;
  let arbitraries: RequestArbitraries;
  const pools = new PoolMap();
  const taint = new Taint();
  let customer: RegisteredUser;
  let admin: RegisteredUser;
  let sessionUser: RegisteredUser;
  let guestCartToken: string;
  /** Access tokens of sessionUser's spare sessions, spent by logout. */
  const logoutTokens: string[] = [];
  let jwtSecret: string;
  let issuer: string;
  let audience: string;
  let customerSid: string;
  let requestCount = 0;

  function sign(payload: Record<string, unknown>): string {
    const head = b64url({ alg: 'HS256', typ: 'JWT' });
    const body = b64url(payload);
    return `${head}.${body}.${createHmac('sha256', jwtSecret).update(`${head}.${body}`).digest('base64url')}`;
  }

  function authorization(choice: AuthChoice, op: Operation): string | undefined {
    const now = Math.floor(Date.now() / 1000);
    const std = { iss: issuer, aud: audience, typ: 'access' };
    switch (choice) {
      case 'none':
        return undefined;
      case 'customer':
      case 'admin':
        if (op.key === 'POST /api/v1/auth/logout') return `Bearer ${logoutTokens.length > 1 ? logoutTokens.shift()! : logoutTokens[0]}`;
        if (op.path.startsWith('/api/v1/auth/sessions')) return `Bearer ${sessionUser.accessToken}`;
        return `Bearer ${(choice === 'admin' ? admin : customer).accessToken}`;
      case 'garbage':
        return 'Bearer not-a-jwt';
      case 'tampered': {
        const t = customer.accessToken;
        return `Bearer ${t.slice(0, -2)}${t.endsWith('AA') ? 'BB' : 'AA'}`;
      }
      case 'alg-none':
        return `Bearer ${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({ ...std, sub: admin.user.id, sid: customerSid, role: 'admin', exp: now + 600 })}.`;
      case 'forged-unknown-session':
        return `Bearer ${sign({ ...std, sub: customer.user.id, sid: randomUUID(), role: 'admin', iat: now, exp: now + 600 })}`;
      case 'forged-expired':
        return `Bearer ${sign({ ...std, sub: customer.user.id, sid: customerSid, role: 'customer', iat: now - 7200, exp: now - 3600 })}`;
      case 'forged-bad-claims':
        return `Bearer ${sign({ ...std, sub: "' OR 1=1 --", sid: { $ne: null }, role: 'root', iat: now, exp: 1e20 })}`;
      case 'basic':
        return 'Basic YWRtaW46YWRtaW4=';
    }
  }

  function buildUrl(op: Operation, request: FuzzRequest): string {
    let path = op.path;
    for (const [name, value] of Object.entries(request.pathParams)) {
      path = path.replace(`{${name}}`, request.rawPath ? pct(value, /[^?#\s]/) : pct(value));
    }
    const qs = Object.entries(request.query)
      .flatMap(([name, value]) => (Array.isArray(value) ? value : [value]).map((v) => `${pct(name)}=${pct(v)}`))
      .join('&');
    return qs ? `${path}?${qs}` : path;
  }

  async function send(op: Operation, request: FuzzRequest) {
    const headers: Record<string, string> = { 'x-forwarded-for': '10.9.8.7', ...request.headers };
    const auth = authorization(request.auth, op);
    if (auth !== undefined) headers.authorization = auth;
    if (request.cartToken === 'real') headers['x-cart-token'] = guestCartToken;
    let payload: string | undefined;
    if (request.body.kind === 'json') {
      payload = JSON.stringify(request.body.value);
      headers['content-type'] = 'application/json';
    } else if (request.body.kind === 'raw') {
      payload = request.body.raw;
      if (request.body.contentType) headers['content-type'] = request.body.contentType;
    }
    taint.add([
      request.pathParams,
      request.query,
      request.headers,
      request.body.kind === 'json' ? request.body.value : request.body.kind === 'raw' ? request.body.raw : null,
    ]);
    requestCount++;
    return app.inject({ method: op.method as 'GET', url: buildUrl(op, request), headers, payload });
  }

  /** Grows the pools from answers, so later requests reach the new resources. */
  function learn(op: Operation, statusCode: number, body: unknown): void {
    if (statusCode !== 201 || typeof body !== 'object' || body === null) return;
    const id = (body as { id?: unknown }).id;
    if (typeof id !== 'string') return;
    if (op.key === 'POST /api/v1/products') {
      pools.push('path:DELETE /api/v1/products/{id}:id', id);
      pools.push('path:PATCH /api/v1/products/{id}:id', id);
    } else if (op.key === 'POST /api/v1/categories') {
      pools.push('path:DELETE /api/v1/categories/{id}:id', id);
      pools.push('path:/api/v1/categories/{id}:id', id);
    } else if (op.key === 'POST /api/v1/orders') {
      pools.push('path:/api/v1/orders/{id}:id', id);
    }
  }

  /** The contract problems of one answer; counts it in `s`. */
  function judge(
    op: Operation,
    request: FuzzRequest,
    res: { statusCode: number; headers: Record<string, string | string[] | number | undefined>; body: string },
    s: OpStats,
  ): string[] {
    const problems: string[] = [];
    s.requests++;
    s.statuses.set(res.statusCode, (s.statuses.get(res.statusCode) ?? 0) + 1);
    if (!op.responses.has(res.statusCode)) {
      s.undocumented.add(res.statusCode);
      // A hostile path parameter may change which route matches at all (an empty or `../` id).
      const pathChanged = request.mutations.some((m) => m.startsWith('path '));
      if (!(res.statusCode === 404 && pathChanged)) problems.push(`status ${res.statusCode} is not in the document for this operation`);
    }
    // Redis INFO is Redis text by design (errorstat_* sections name Redis errors).
    const body = op.key === 'GET /api/v1/admin/redis/info' && res.statusCode === 200 ? '{}' : res.body;
    problems.push(...contractProblems({ statusCode: res.statusCode, headers: res.headers, body }, taint));
    let parsed: unknown;
    if (res.statusCode < 300 && res.body && /json/.test(String(res.headers['content-type']))) {
      parsed = JSON.parse(res.body);
      const schema = op.responses.get(res.statusCode);
      if (schema)
        problems.push(
          ...model
            .conformance(parsed, schema)
            .slice(0, 5)
            .map((p) => `response schema: ${p}`),
        );
      learn(op, res.statusCode, parsed);
    }
    // Unknown body fields and query parameters are refused, never silently ignored.
    if (request.unknown.length && res.statusCode < 300)
      problems.push(`${res.statusCode} although the request carried unknown ${request.unknown.join(', ')}`);
    // A 400 caused only by broken body fields names at least one of them (API.md: validation
    // errors name every offending field).
    if (!request.valid && res.statusCode === 400 && request.touched.length === request.mutations.length) {
      const names = request.touched.filter((k) => k.trim() !== '');
      const message = JSON.stringify((JSON.parse(res.body) as { message?: unknown }).message);
      // A 400 about another documented field is the base request's own (semantic) refusal.
      const aboutOtherField = (op.body ? Object.keys(model.resolve(op.body).properties ?? {}) : []).some((f) =>
        new RegExp(`"${f}[.:]`).test(message),
      );
      if (names.length === request.touched.length && !aboutOtherField && !names.some((k) => message.includes(k)))
        problems.push(`400 does not name the offending field(s) ${names.join(', ')}: ${message.slice(0, 200)}`);
    }
    if (request.valid && res.statusCode === 400) {
      const message = String((JSON.parse(res.body) as { message?: unknown }).message).slice(0, 120);
      s.validRejected.set(message, (s.validRejected.get(message) ?? 0) + 1);
    }
    return problems;
  }

  /** Valid (2 in 5) and invalid (3 in 5) requests for `op`, with the callers it is meant for. */
  function requestsFor(op: Operation): fc.Arbitrary<FuzzRequest> {
    const cartRoute = CART_PATH.test(op.path);
    const takesCartToken = cartRoute || op.parameters.some((p) => p.in === 'header' && p.name === 'x-cart-token');
    const authChoices: fc.Arbitrary<AuthChoice> = cartRoute
      ? fc.constantFrom<AuthChoice>('none', 'none', 'none', 'customer', 'customer', 'admin')
      : op.secured
        ? fc.constantFrom<AuthChoice>('customer', 'customer', 'admin', 'admin', 'none')
        : fc.constantFrom<AuthChoice>('none', 'none', 'none', 'none', 'customer', 'admin');
    return fc.oneof(
      { weight: 2, arbitrary: arbitraries.validRequest(op, authChoices, takesCartToken) },
      { weight: 3, arbitrary: arbitraries.invalidRequest(op, authChoices, takesCartToken) },
    );
  }

  const newStats = (): OpStats => ({ requests: 0, statuses: new Map(), validRejected: new Map(), undocumented: new Set(), skipped: 0 });

  beforeAll(async () => {
    app = await createTestApp(FUZZ_ENV);
    const config = testConfig(FUZZ_ENV);
    jwtSecret = config.jwt.secret;
    issuer = config.jwt.issuer;
    audience = config.jwt.audience;

    const docs = await app.inject({ method: 'GET', url: '/docs-json' });
    expect(docs.statusCode).toBe(200);
    model = new OpenApiModel(docs.json());

    // Who the valid requests are: a customer, an admin, a user whose sessions may be revoked and
    // logged out, and a user whose role may be changed.
    [customer, admin, sessionUser] = await Promise.all([registerUser(app), createAdmin(app), registerUser(app)]);
    const victimUser = await registerUser(app);
    customerSid = JSON.parse(Buffer.from(customer.accessToken.split('.')[1], 'base64url').toString()).sid;
    const spare: { accessToken: string; refreshToken: string }[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        headers: { 'x-forwarded-for': randomClientIp() },
        payload: { email: sessionUser.email, password: sessionUser.password },
      });
      expect(res.statusCode).toBe(200);
      spare.push(res.json());
    }
    logoutTokens.push(...spare.slice(0, 3).map((s) => s.accessToken));
    const sessions = (await app.inject({ method: 'GET', url: '/api/v1/auth/sessions', headers: bearer(sessionUser.accessToken) })).json<
      { id: string; current: boolean }[]
    >();
    const sid = (t: string) => JSON.parse(Buffer.from(t.split('.')[1], 'base64url').toString()).sid as string;
    const keep = sid(sessionUser.accessToken);
    pools.set(
      'path:/api/v1/auth/sessions/{id}:id',
      sessions.map((s) => s.id).filter((id) => id !== keep),
    );
    pools.set(
      'field:refreshToken',
      spare.slice(3).map((s) => s.refreshToken),
    );

    // The catalog: products the cart and orders use (never deleted by the fuzzer), and victims.
    const factory = await ProductFactory.create(app);
    const kept = await factory.products(6, { stock: 1_000_000_000 });
    const victims = await factory.products(6, { stock: 1_000 });
    const spareCategory = await factory.client.createCategory({ name: 'Fuzz spare', slug: `fuzz-spare-${randomUUID().slice(0, 8)}` });
    const keptIds = kept.map((p) => p.id);
    const victimIds = victims.map((p) => p.id);
    pools.set('path:/api/v1/products/{id}:id', [...keptIds, ...victimIds]);
    pools.set('path:DELETE /api/v1/products/{id}:id', [...victimIds]);
    pools.set('path:PATCH /api/v1/products/{id}:id', [...victimIds]);
    pools.set('field:productId', keptIds);
    pools.set('path:/api/v1/cart/items/{productId}:productId', keptIds);
    pools.set('field:categoryId', [factory.categoryId, spareCategory.id]);
    pools.set('field:parentId', [factory.categoryId]);
    pools.set('path:/api/v1/categories/{id}:id', [factory.categoryId, spareCategory.id]);
    pools.set('path:DELETE /api/v1/categories/{id}:id', [spareCategory.id, factory.categoryId]);
    pools.set('field:sku', [kept[0].sku]);
    pools.set('field:slug', [spareCategory.slug]);
    pools.set('field:email', [customer.email, sessionUser.email]);
    pools.set('field:password', [customer.password]);
    pools.set('field:userId', [customer.user.id, admin.user.id]);
    pools.set('path:/api/v1/users/{id}:id', [victimUser.user.id]);

    // A guest cart, and an order each for the customer and the admin.
    const guest = await app.inject({ method: 'POST', url: '/api/v1/cart/items', payload: { productId: keptIds[0], quantity: 1 } });
    expect(guest.statusCode).toBe(200);
    guestCartToken = guest.headers['x-cart-token'] as string;
    expect(guestCartToken).toBeTruthy();
    const orderIds: string[] = [];
    for (const buyer of [customer, admin]) {
      const res = await app.inject({
        method: 'POST',
        url: '/api/v1/orders',
        headers: { ...bearer(buyer.accessToken), 'idempotency-key': randomUUID() },
        payload: { items: [{ productId: keptIds[1], quantity: 1 }] },
      });
      expect(res.statusCode).toBe(201);
      orderIds.push(res.json().id);
    }
    pools.set('path:/api/v1/orders/{id}:id', orderIds);

    // Admin names: cache namespaces and job queues.
    const stats = (await app.inject({ method: 'GET', url: '/api/v1/admin/cache/stats', headers: bearer(admin.accessToken) })).json<{
      namespaces: Record<string, unknown>;
    }>();
    pools.set(
      'path:/api/v1/admin/cache/{namespace}:namespace',
      Object.keys(stats.namespaces).length ? Object.keys(stats.namespaces) : ['products'],
    );
    const queues = (await app.inject({ method: 'GET', url: '/api/v1/admin/queues', headers: bearer(admin.accessToken) })).json<{
      queues: { name: string }[];
    }>();
    pools.set(
      'path:/api/v1/admin/queues/{name}/retry-failed:name',
      queues.queues.map((q) => q.name),
    );

    arbitraries = new RequestArbitraries(model, pools);
  }, 120_000);

  afterAll(async () => {
    await app?.close();
  });

  it('finds every route of the contract in the document', () => {
    const keys = model.operations.map((o) => o.key);
    expect(keys).toEqual(
      expect.arrayContaining([
        'POST /api/v1/auth/register',
        'GET /api/v1/users/me',
        'GET /api/v1/products/{id}',
        'PATCH /api/v1/products/inventory',
        'POST /api/v1/cart/items',
        'POST /api/v1/orders',
        'GET /api/v1/orders/{id}/history/verify',
        'POST /api/v1/admin/queues/{name}/retry-failed',
      ]),
    );
    expect(keys.length).toBeGreaterThanOrEqual(40);
  });

  it('keeps the contract for every generated request', async () => {
    const started = Date.now();
    const operations = model.operations.filter((o) => !ONLY || o.key.includes(ONLY));
    const stats = new Map<string, OpStats>();
    const failures: string[] = [];
    process.stdout.write(
      `openapi fuzz: FUZZ_SEED=${SEED}${process.env.FUZZ_SEED ? '' : ' (default)'}, ${operations.length} operations, ${RUNS_PER_OP} runs per operation\n`,
    );

    for (const op of operations) {
      const requests = requestsFor(op);
      const s = newStats();
      stats.set(op.key, s);

      const property = fc.asyncProperty(requests, async (request) => {
        let res;
        try {
          res = await send(op, request);
        } catch (error) {
          // light-my-request refuses some shapes before the server sees them (a header it cannot send).
          if (/header|invalid|URL/i.test((error as Error).message)) {
            s.skipped++;
            return;
          }
          throw error;
        }
        const problems = judge(op, request, res, s);
        if (problems.length) {
          throw new Error(`${res.statusCode} ${problems.join('; ').slice(0, 400)}\n  body: ${res.body.slice(0, 300)}`);
        }
      });
      const runs = Math.max(1, Math.round(HASHING.has(op.key) ? RUNS_PER_OP * 0.4 : RUNS_PER_OP));
      const details = await fc.check(property, {
        seed: opSeed(op.key),
        numRuns: REPLAY_PATH ? 1 : runs,
        path: REPLAY_PATH,
        endOnFailure: false,
      });
      if (details.failed) {
        const request = details.counterexample?.[0];
        failures.push(
          [
            `${op.key}: ${(details.errorInstance as Error | undefined)?.message ?? 'failed'}`,
            `  minimal request: ${request ? abbreviate(JSON.stringify(request), 800) : '?'}`,
            `  url: ${request ? abbreviate(buildUrl(op, request), 200) : '?'}`,
            `  replay: FUZZ_SEED=${SEED} FUZZ_OP='${op.key}' FUZZ_PATH='${details.counterexamplePath}'`,
          ].join('\n'),
        );
      }
    }

    const seconds = (Date.now() - started) / 1000;
    const lines = [...stats].map(([key, s]) => {
      const statuses = [...s.statuses]
        .sort(([a], [b]) => a - b)
        .map(([c, n]) => `${c}×${n}`)
        .join(' ');
      const undocumented = s.undocumented.size ? ` | undocumented: ${[...s.undocumented].join(',')}` : '';
      const rejected = s.validRejected.size
        ? ` | valid→400: ${[...s.validRejected]
            .slice(0, 2)
            .map(([m, n]) => `${n}× ${m}`)
            .join(' / ')}`
        : '';
      return `  ${key.padEnd(52)} ${statuses}${undocumented}${rejected}${s.skipped ? ` | skipped ${s.skipped}` : ''}`;
    });
    process.stdout.write(`openapi fuzz: ${requestCount} requests in ${seconds.toFixed(1)} s (seed ${SEED})\n${lines.join('\n')}\n`);
    if (failures.length) process.stdout.write(`openapi fuzz: ${failures.length} failing operation(s)\n${failures.join('\n\n')}\n`);

    expect(failures.map((f) => f.split('\n')[0].slice(0, 200))).toEqual([]);
    if (!ONLY && !REPLAY_PATH) expect(requestCount).toBeGreaterThanOrEqual(MIN_REQUESTS);
    // Every answer was counted: the fuzzer did reach the handlers, not only the guards.
    const reached = [...stats.values()].reduce((n, s) => n + [...s.statuses].filter(([c]) => c < 300).reduce((m, [, k]) => m + k, 0), 0);
    if (!ONLY && !REPLAY_PATH) expect(reached).toBeGreaterThan(requestCount * 0.15);
  }, 900_000);
  it('keeps the contract when requests to different operations run concurrently', async () => {
    const operations = model.operations.filter((o) => !ONLY || o.key.includes(ONLY));
    const queue: { op: Operation; request: FuzzRequest }[] = [];
    const samples = operations.map((op) =>
      fc.sample(requestsFor(op), { seed: opSeed(`concurrent ${op.key}`), numRuns: CONCURRENT_PER_OP }),
    );
    for (let i = 0; i < CONCURRENT_PER_OP; i++) operations.forEach((op, k) => queue.push({ op, request: samples[k][i] }));
    const stats = newStats();
    const failures: string[] = [];
    const started = Date.now();
    for (let i = 0; i < queue.length; i += CONCURRENCY) {
      await Promise.all(
        queue.slice(i, i + CONCURRENCY).map(async ({ op, request }) => {
          let res;
          try {
            res = await send(op, request);
          } catch (error) {
            if (/header|invalid|URL/i.test((error as Error).message)) return;
            throw error;
          }
          const problems = judge(op, request, res, stats);
          if (problems.length && failures.length < 20)
            failures.push(
              `${op.key}: ${res.statusCode} ${problems.join('; ').slice(0, 300)}\n  request: ${abbreviate(JSON.stringify(request), 600)}`,
            );
        }),
      );
    }
    const statuses = [...stats.statuses]
      .sort(([a], [b]) => a - b)
      .map(([c, n]) => `${c}×${n}`)
      .join(' ');
    process.stdout.write(
      `openapi fuzz (concurrent, ${CONCURRENCY} in flight): ${stats.requests} requests in ${((Date.now() - started) / 1000).toFixed(1)} s: ${statuses}\n`,
    );
    if (failures.length) process.stdout.write(`${failures.join('\n\n')}\n`);
    expect(failures.map((f) => f.split('\n')[0].slice(0, 200))).toEqual([]);
    expect(stats.requests).toBeGreaterThanOrEqual(operations.length * CONCURRENT_PER_OP * 0.9);
  }, 300_000);
});
