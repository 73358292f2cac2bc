import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomUUID } from 'node:crypto';
import { randomClientIp, registerUser } from '../support/auth.js';
import { createTestApp } from '../support/test-app.js';

/** Login limits per (email, IP) and per IP, and the global default limit: Redis-backed, shared by instances. */
describe('identity: rate limits', () => {
  let a: NestFastifyApplication;
  let b: NestFastifyApplication;
  const overrides = {
    LOGIN_THROTTLE_EMAIL_LIMIT: '3',
    LOGIN_THROTTLE_IP_LIMIT: '5',
    LOGIN_THROTTLE_TTL_SECONDS: '120',
    LOGIN_THROTTLE_MAX_DELAY_MS: '50',
    THROTTLE_LIMIT: '100000',
  };

  beforeAll(async () => {
    a = await createTestApp(overrides);
    b = await createTestApp(overrides);
  });
  afterAll(async () => {
    await Promise.all([a.close(), b.close()]);
  });

  const login = (app: NestFastifyApplication, email: string, password: string, ip: string) =>
    app.inject({ method: 'POST', url: '/api/v1/auth/login', headers: { 'x-forwarded-for': ip }, payload: { email, password } });

  it('blocks an email from an IP after repeated failures with 429, Retry-After and the contract body, on every instance', async () => {
    const u = await registerUser(a);
    // From one IP, alternating instances: the per-(email, IP) limit is what counts.
    const ip = randomClientIp();
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await login(i % 2 ? b : a, u.email, 'wrong-password', ip)).statusCode);
    expect(statuses).toEqual([401, 401, 401]);

    const blocked = await login(b, u.email.toUpperCase(), u.password, ip);
    expect(blocked.statusCode).toBe(429);
    const retryAfter = Number(blocked.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(120);
    expect(blocked.json()).toEqual({
      statusCode: 429,
      error: 'Too Many Requests',
      message: expect.any(String),
      requestId: blocked.headers['x-request-id'],
    });
    expect((await login(a, u.email, u.password, ip)).statusCode).toBe(429);

    // The owner from another IP, and other emails from that IP, are not affected.
    expect((await login(a, u.email, u.password, randomClientIp())).statusCode).toBe(200);
    const other = await registerUser(a);
    expect((await login(a, other.email, other.password, ip)).statusCode).toBe(200);
  });

  it('a successful login clears the email’s failure count', async () => {
    const u = await registerUser(a);
    const ip = randomClientIp;
    expect((await login(a, u.email, 'wrong-password', ip())).statusCode).toBe(401);
    expect((await login(a, u.email, 'wrong-password', ip())).statusCode).toBe(401);
    expect((await login(a, u.email, u.password, ip())).statusCode).toBe(200);
    expect((await login(a, u.email, 'wrong-password', ip())).statusCode).toBe(401);
    expect((await login(a, u.email, 'wrong-password', ip())).statusCode).toBe(401);
    expect((await login(b, u.email, u.password, ip())).statusCode).toBe(200);
  });

  it('blocks an IP trying many emails, on every instance', async () => {
    const ip = randomClientIp();
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await login(i % 2 ? b : a, `${randomUUID()}@example.com`, 'whatever-pw', ip)).statusCode);
    expect(statuses).toEqual([401, 401, 401, 401, 401]);
    const u = await registerUser(a);
    const blocked = await login(b, u.email, u.password, ip);
    expect(blocked.statusCode).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    expect((await login(a, u.email, u.password, randomClientIp())).statusCode).toBe(200);
  });

  it('does not count malformed bodies against an email bucket', async () => {
    const res = await login(a, 42 as unknown as string, 'x', randomClientIp());
    expect(res.statusCode).toBe(400);
  });

  describe('global default limit (THROTTLE_*)', () => {
    let limited: NestFastifyApplication;
    beforeAll(async () => {
      limited = await createTestApp({ THROTTLE_LIMIT: '4', THROTTLE_TTL_SECONDS: '60' });
    });
    afterAll(async () => {
      await limited.close();
    });

    it('answers 429 with Retry-After once an IP exceeds the limit on a route, per IP', async () => {
      const ip = randomClientIp();
      const get = (addr: string) => limited.inject({ method: 'GET', url: '/health/live', headers: { 'x-forwarded-for': addr } });
      for (let i = 0; i < 4; i++) {
        const ok = await get(ip);
        expect(ok.statusCode).toBe(200);
        expect(ok.headers['x-ratelimit-limit']).toBe('4');
        expect(ok.headers['x-ratelimit-remaining']).toBe(String(3 - i));
        expect(Number(ok.headers['x-ratelimit-reset'])).toBeGreaterThan(0);
      }
      const blocked = await get(ip);
      expect(blocked.statusCode).toBe(429);
      expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
      expect(blocked.headers['x-ratelimit-limit']).toBeUndefined();
      expect(blocked.json()).toEqual({
        statusCode: 429,
        error: 'Too Many Requests',
        message: expect.stringMatching(/^Too many requests; retry in \d+ s$/),
        requestId: blocked.headers['x-request-id'],
      });
      expect((await get(randomClientIp())).statusCode).toBe(200);
    });

    it('limits before authenticating: over the limit a request without a token gets 429, not 401', async () => {
      const ip = randomClientIp();
      const me = () => limited.inject({ method: 'GET', url: '/api/v1/users/me', headers: { 'x-forwarded-for': ip } });
      for (let i = 0; i < 4; i++) expect((await me()).statusCode).toBe(401);
      const blocked = await me();
      expect(blocked.statusCode).toBe(429);
      expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    });
  });
});
