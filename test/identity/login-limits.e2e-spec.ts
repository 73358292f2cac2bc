import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomUUID } from 'node:crypto';
import { randomClientIp, registerUser } from '../support/auth.js';
import { createTestApp } from '../support/test-app.js';

/**
 * Sign-in limits as OWASP recommends: failures per (email, IP) and per IP refuse (429); failures
 * of an email from other IPs never lock its owner out; successful logins do not count.
 */
describe('identity: login limits', () => {
  let a: NestFastifyApplication;
  let b: NestFastifyApplication;
  // Defaults for the (email, IP) and slowdown thresholds; a short maximum delay keeps the suite quick.
  const overrides = {
    LOGIN_THROTTLE_EMAIL_LIMIT: '10',
    LOGIN_THROTTLE_IP_LIMIT: '20',
    LOGIN_THROTTLE_MAX_DELAY_MS: '40',
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

  it('10 wrong logins for someone else’s email from a stranger’s IP do not stop the owner signing in from their IP', async () => {
    const owner = await registerUser(a);
    const stranger = randomClientIp();
    const statuses = [];
    for (let i = 0; i < 10; i++) statuses.push((await login(i % 2 ? b : a, owner.email, `guess-${i}`, stranger)).statusCode);
    expect(statuses).toEqual(Array(10).fill(401));

    // The stranger is now refused for this email, even with the right password, on every instance…
    for (const app of [a, b]) {
      const blocked = await login(app, owner.email, owner.password, stranger);
      expect(blocked.statusCode).toBe(429);
      expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
      expect(blocked.json()).toEqual({
        statusCode: 429,
        error: 'Too Many Requests',
        message: expect.any(String),
        requestId: blocked.headers['x-request-id'],
      });
    }
    // …the owner is not, from their own address, on either instance.
    const ownerIp = randomClientIp();
    expect((await login(b, owner.email, owner.password, ownerIp)).statusCode).toBe(200);
    expect((await login(a, owner.email.toUpperCase(), owner.password, ownerIp)).statusCode).toBe(200);
  });

  it('failures spread over many IPs (a distributed guess) never lock the owner out', async () => {
    const owner = await registerUser(a);
    for (let i = 0; i < 20; i++) expect((await login(a, owner.email, `guess-${i}`, randomClientIp())).statusCode).toBe(401);
    expect((await login(b, owner.email, owner.password, randomClientIp())).statusCode).toBe(200);
  });

  it('successful logins do not count toward the per-IP block', async () => {
    const u = await registerUser(a);
    const ip = randomClientIp(); // per-IP limit: 20 failures
    for (let i = 0; i < 25; i++) expect((await login(i % 2 ? a : b, u.email, u.password, ip)).statusCode).toBe(200);
    // Failures still do: 20 of them (over many emails) and the IP is refused, successes included.
    for (let i = 0; i < 20; i++) expect((await login(a, `${randomUUID()}@example.com`, 'whatever-pw', ip)).statusCode).toBe(401);
    const blocked = await login(b, u.email, u.password, ip);
    expect(blocked.statusCode).toBe(429);
    expect(Number(blocked.headers['retry-after'])).toBeGreaterThan(0);
    expect((await login(a, u.email, u.password, randomClientIp())).statusCode).toBe(200);
  });

  it('a successful login clears its (email, IP) failures', async () => {
    const u = await registerUser(a);
    const ip = randomClientIp();
    for (let i = 0; i < 9; i++) expect((await login(a, u.email, 'wrong-password', ip)).statusCode).toBe(401);
    expect((await login(b, u.email, u.password, ip)).statusCode).toBe(200);
    for (let i = 0; i < 9; i++) expect((await login(b, u.email, 'wrong-password', ip)).statusCode).toBe(401);
    expect((await login(a, u.email, u.password, ip)).statusCode).toBe(200);
  });

  it('parallel guesses cannot overshoot a limit: of 30 concurrent wrong logins from one IP, exactly 10 are checked', async () => {
    const u = await registerUser(a);
    const ip = randomClientIp();
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => login(i % 2 ? a : b, u.email, `guess-${i}`, ip)));
    const statuses = results.map((r) => r.statusCode).sort();
    expect(statuses.filter((s) => s === 401)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(20);
  });

  it('a malformed body is answered 400 and counts against nothing', async () => {
    const ip = randomClientIp();
    for (let i = 0; i < 20; i++) expect((await login(a, 42 as unknown as string, 'x', ip)).statusCode).toBe(400);
    const u = await registerUser(a);
    expect((await login(a, u.email, u.password, ip)).statusCode).toBe(200);
  });
});
