import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { bearer, registerUser } from '../support/auth.js';
import { createTestApp } from '../support/test-app.js';
import { decodeJwt } from './forge-jwt.js';

interface Pair {
  accessToken: string;
  refreshToken: string;
}

/**
 * The refresh grace window (RFC 9700 §4.14): a retried or concurrent refresh of one token within
 * JWT_REFRESH_GRACE_SECONDS gets the successor the first refresh issued; reuse after the window,
 * or after the successor was used, still revokes the whole session.
 */
describe('identity: refresh grace window', () => {
  let app: NestFastifyApplication;
  let short: NestFastifyApplication;

  beforeAll(async () => {
    app = await createTestApp(); // default window (10 s)
    short = await createTestApp({ JWT_REFRESH_GRACE_SECONDS: '1' });
  });
  afterAll(async () => {
    await Promise.all([app.close(), short.close()]);
  });

  const refresh = (on: NestFastifyApplication, refreshToken: string) =>
    on.inject({ method: 'POST', url: '/api/v1/auth/refresh', payload: { refreshToken } });
  const me = (on: NestFastifyApplication, token: string) => on.inject({ method: 'GET', url: '/api/v1/users/me', headers: bearer(token) });

  it('a retried refresh within the window gets the same successor; the session stays live', async () => {
    const u = await registerUser(app);
    const first = await refresh(app, u.refreshToken);
    expect(first.statusCode).toBe(200);
    const retried = await refresh(app, u.refreshToken);
    expect(retried.statusCode).toBe(200);
    const [a, b] = [first.json<Pair>(), retried.json<Pair>()];
    expect(b.refreshToken).toBe(a.refreshToken);
    expect(decodeJwt(b.accessToken).sid).toBe(decodeJwt(a.accessToken).sid);
    expect(retried.json().user).toEqual(u.user);

    for (const token of [a.accessToken, b.accessToken, u.accessToken]) expect((await me(app, token)).statusCode).toBe(200);
    // The successor is still single use and rotates on.
    const next = await refresh(app, a.refreshToken);
    expect(next.statusCode).toBe(200);
    expect((await me(app, next.json().accessToken)).statusCode).toBe(200);
  });

  it.each([2, 5])('%i concurrent refreshes of one token all succeed with one successor', async (n) => {
    const u = await registerUser(app);
    const results = await Promise.all(Array.from({ length: n }, () => refresh(app, u.refreshToken)));
    expect(results.map((r) => r.statusCode)).toEqual(Array(n).fill(200));
    const successors = new Set(results.map((r) => r.json<Pair>().refreshToken));
    expect(successors.size).toBe(1);
    const [successor] = [...successors];
    expect(successor).not.toBe(u.refreshToken);
    expect((await me(app, results[0].json().accessToken)).statusCode).toBe(200);
    expect((await refresh(app, successor)).statusCode).toBe(200);
  });

  it('reuse of a token whose successor was already used revokes the session, even within the window', async () => {
    const u = await registerUser(app);
    const b = (await refresh(app, u.refreshToken)).json<Pair>();
    const c = (await refresh(app, b.refreshToken)).json<Pair>();
    expect((await me(app, c.accessToken)).statusCode).toBe(200);

    expect((await refresh(app, u.refreshToken)).statusCode).toBe(401);
    expect((await refresh(app, c.refreshToken)).statusCode).toBe(401);
    expect((await me(app, c.accessToken)).statusCode).toBe(401);
  });

  it('reuse after the window answers 401 and revokes the whole session', async () => {
    const u = await registerUser(short);
    const b = (await refresh(short, u.refreshToken)).json<Pair>();
    expect((await me(short, b.accessToken)).statusCode).toBe(200);
    await new Promise((r) => setTimeout(r, 2_100)); // the window (1 s) has passed, by Postgres's clock too

    expect((await refresh(short, u.refreshToken)).statusCode).toBe(401);
    expect((await refresh(short, b.refreshToken)).statusCode).toBe(401);
    expect((await me(short, b.accessToken)).statusCode).toBe(401);
    expect((await me(short, u.accessToken)).statusCode).toBe(401);
  });

  it('a revoked session is not revived by a refresh within the window', async () => {
    const u = await registerUser(app);
    const b = (await refresh(app, u.refreshToken)).json<Pair>();
    expect((await app.inject({ method: 'POST', url: '/api/v1/auth/logout', headers: bearer(b.accessToken) })).statusCode).toBe(204);
    expect((await refresh(app, u.refreshToken)).statusCode).toBe(401);
    expect((await refresh(app, b.refreshToken)).statusCode).toBe(401);
  });

  it('JWT_REFRESH_GRACE_SECONDS=0 turns the window off: a second refresh is reuse', async () => {
    const strict = await createTestApp({ JWT_REFRESH_GRACE_SECONDS: '0' });
    try {
      const u = await registerUser(strict);
      const b = (await refresh(strict, u.refreshToken)).json<Pair>();
      expect((await refresh(strict, u.refreshToken)).statusCode).toBe(401);
      expect((await me(strict, b.accessToken)).statusCode).toBe(401);
    } finally {
      await strict.close();
    }
  });
});
