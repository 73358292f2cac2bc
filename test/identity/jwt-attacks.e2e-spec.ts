import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { randomUUID } from 'node:crypto';
import { bearer, registerUser, type RegisteredUser } from '../support/auth.js';
import { createTestApp, testConfig } from '../support/test-app.js';
import { decodeJwt, forgeJwt } from './forge-jwt.js';

/** Every access token that is not exactly what we issued, for a live session, is a 401. */
describe('identity: access token attacks', () => {
  let app: NestFastifyApplication;
  let user: RegisteredUser;
  let claims: Record<string, unknown>;
  const { secret } = testConfig().jwt;
  const now = () => Math.floor(Date.now() / 1000);

  beforeAll(async () => {
    app = await createTestApp();
    user = await registerUser(app);
    claims = decodeJwt(user.accessToken);
  });
  afterAll(async () => {
    await app.close();
  });

  const me = (headers: Record<string, string>) => app.inject({ method: 'GET', url: '/api/v1/users/me', headers });
  const valid = (extra: Record<string, unknown> = {}) => ({ ...claims, iat: now(), exp: now() + 600, ...extra });

  it('accepts a token forged with the real secret and the right claims (control)', async () => {
    expect((await me(bearer(forgeJwt(valid(), { secret })))).statusCode).toBe(200);
  });

  it.each([
    ['alg none', () => forgeJwt(valid(), { alg: 'none' })],
    ['alg none with a signature', () => forgeJwt(valid(), { alg: 'none', signature: 'AAAA' })],
    ['HS512 with the real secret', () => forgeJwt(valid(), { alg: 'HS512', secret })],
    ['wrong signature', () => forgeJwt(valid(), { secret: 'x'.repeat(40) })],
    ['tampered payload (role admin)', () => forgeJwt(valid({ role: 'admin' }), { signature: user.accessToken.split('.')[2] })],
    ['wrong issuer', () => forgeJwt(valid({ iss: 'evil' }), { secret })],
    ['wrong audience', () => forgeJwt(valid({ aud: 'other-api' }), { secret })],
    ['no issuer/audience', () => forgeJwt(valid({ iss: undefined, aud: undefined }), { secret })],
    ['expired beyond the clock tolerance', () => forgeJwt(valid({ iat: now() - 1000, exp: now() - 30 }), { secret })],
    ['typ refresh', () => forgeJwt(valid({ typ: 'refresh' }), { secret })],
    ['no typ', () => forgeJwt(valid({ typ: undefined }), { secret })],
    ['unknown session id', () => forgeJwt(valid({ sid: randomUUID() }), { secret })],
    ['session of another user', () => forgeJwt(valid({ sub: randomUUID() }), { secret })],
    ['unknown role', () => forgeJwt(valid({ role: 'root' }), { secret })],
  ])('rejects %s with 401', async (_name, make) => {
    const res = await me(bearer(make()));
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ statusCode: 401, error: 'Unauthorized', requestId: expect.any(String) });
  });

  it('accepts a token expired by less than the clock tolerance', async () => {
    expect((await me(bearer(forgeJwt(valid({ iat: now() - 600, exp: now() - 2 }), { secret })))).statusCode).toBe(200);
  });

  it('rejects a refresh token used as an access token', async () => {
    expect((await me(bearer(user.refreshToken))).statusCode).toBe(401);
  });

  it.each([
    ['missing header', (): Record<string, string> => ({})],
    ['empty bearer', () => ({ authorization: 'Bearer ' })],
    ['other scheme', () => ({ authorization: `Basic ${user.accessToken}` })],
    ['scheme without space', () => ({ authorization: `Bearer${user.accessToken}` })],
    ['garbage', () => ({ authorization: 'Bearer not.a.jwt!' })],
    ['two tokens', () => ({ authorization: `Bearer ${user.accessToken} ${user.accessToken}` })],
  ])('rejects %s with 401', async (_name, headers) => {
    expect((await me(headers())).statusCode).toBe(401);
  });

  it('does not leak token internals in the error', async () => {
    const res = await me(bearer(forgeJwt(valid({ iss: 'evil' }), { secret })));
    expect(res.body).not.toMatch(/jwt|issuer|signature|stack/i);
  });
});
