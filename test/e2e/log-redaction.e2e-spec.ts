import { Body, Controller, Get, Module, Post } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { InjectDataSource } from '@nestjs/typeorm';
import { Writable } from 'node:stream';
import { DataSource } from 'typeorm';
import { Public, SAMPLE_JWT_SECRET } from '@app/common';
import { bearer, randomClientIp, registerUser, type RegisteredUser } from '../support/auth.js';
import { createTestApp } from '../support/test-app.js';

/** The values the probe's failing query carries as parameters. */
const leaked: { values: string[] } = { values: [] };

@Public()
@Controller('probe-logs')
class ProbeController {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** A real Postgres error whose message quotes its first parameter and whose parameters are secrets. */
  @Get('db-error')
  async dbError(): Promise<unknown> {
    return this.dataSource.query('SELECT $1::uuid AS a, $2::text AS b, $3::text AS c, $4::text AS d', leaked.values);
  }

  /** An error whose message and fields quote what the client sent, and more secrets. */
  @Post('secret-error')
  secretError(@Body() body: { password: string }): never {
    const [email, , hash, jwt] = leaked.values;
    const password = body.password;
    throw Object.assign(
      new Error(`login failed for ${email} with ${password}; stored ${hash}; token ${jwt}; redis://:${password}@127.0.0.1:6379`),
      {
        config: { jwtSecret: SAMPLE_JWT_SECRET },
        password,
        detail: `Key (email)=(${email}) already exists.`,
      },
    );
  }
}

@Module({ controllers: [ProbeController] })
class ProbeModule {}

describe.each(['explicit', 'nestjs-pino'])('log output under hostile requests (LOG_REQUEST_CONTEXT=%s)', (mode) => {
  let app: NestFastifyApplication;
  let output = '';
  let user: RegisteredUser;
  let hash: string;

  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        output += chunk.toString();
        done();
      },
    });
    app = await createTestApp({ LOG_LEVEL: 'trace', LOG_REQUEST_CONTEXT: mode }, { imports: [ProbeModule], logDestination: sink });
    user = await registerUser(app, { email: `redact-${Date.now()}@example.com`, password: 'Correct-Horse-Battery-9' });
    const rows: Array<{ password_hash: string }> = await app
      .get(DataSource)
      .query('SELECT password_hash FROM identity.users WHERE id = $1', [user.user.id]);
    hash = rows[0].password_hash;
    leaked.values = [user.email, user.password, hash, user.accessToken];
  });
  afterAll(async () => {
    await app.close();
  });

  const post = (url: string, payload: string, headers: Record<string, string> = {}) =>
    app.inject({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/json', 'x-forwarded-for': randomClientIp(), ...headers },
      payload,
    });

  it('never writes the password, its hash, the email or a token, whatever the request', async () => {
    expect(hash).toMatch(/^\$argon2/);
    const { email, password, accessToken, refreshToken } = user;
    const answers = [
      // Wrong password, right email; right password with a NUL; a lone surrogate in the email.
      await post('/api/v1/auth/login', JSON.stringify({ email, password: `${password}-wrong` })),
      await post('/api/v1/auth/login', JSON.stringify({ email, password: `${password}\u0000` })),
      await post('/api/v1/auth/login', `{"email":"${email}\\ud800","password":"${password}"}`),
      // Deep and wide bodies carrying the secrets.
      await post('/api/v1/auth/login', `{"email":"${email}","password":"${password}","x":${'['.repeat(3000)}${']'.repeat(3000)}}`),
      await post(
        '/api/v1/auth/login',
        `{"email":"${email}","password":"${password}",${Array.from({ length: 2000 }, (_, i) => `"k${i}":1`).join(',')}}`,
      ),
      await post('/api/v1/auth/register', JSON.stringify({ email, password, name: 'Taken' })),
      await post('/api/v1/auth/register', JSON.stringify({ email: `x${email}`, password, name: 'NUL\u0000name' })),
      await post('/api/v1/auth/refresh', JSON.stringify({ refreshToken: `${refreshToken}x` })),
      // Tokens in headers, valid and tampered, on good and bad routes.
      await app.inject({ method: 'GET', url: '/api/v1/users/me', headers: bearer(`${accessToken}x`) }),
      await app.inject({ method: 'GET', url: '/api/v1/nope', headers: { ...bearer(accessToken), 'x-cart-token': refreshToken } }),
      await app.inject({
        method: 'PATCH',
        url: '/api/v1/users/me',
        headers: { 'content-type': 'application/json', ...bearer(accessToken) },
        payload: JSON.stringify({ password: 'new-password-1', currentPassword: `${password}-wrong` }),
      }),
      // Unhandled errors: a Postgres error on the secrets, and an error that quotes them.
      await app.inject({ method: 'GET', url: '/api/v1/probe-logs/db-error', headers: bearer(accessToken) }),
      await app.inject({
        method: 'POST',
        url: '/api/v1/probe-logs/secret-error',
        headers: { 'content-type': 'application/json', ...bearer(accessToken) },
        payload: { password },
      }),
    ];
    expect(answers.map((r) => r.statusCode)).toEqual([401, 400, 400, 400, 400, 409, 400, 401, 401, 404, 400, 500, 500]);

    // The failures were logged, with what is needed to find them.
    const lines = output
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const errors = lines.filter((l) => l.msg === 'unhandled error');
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatchObject({
      url: '/api/v1/probe-logs/db-error',
      err: { type: 'QueryFailedError', code: '22P02', message: expect.stringMatching(/invalid input syntax for type uuid/) },
    });
    expect(errors[1]).toMatchObject({
      url: '/api/v1/probe-logs/secret-error',
      err: {
        type: 'Error',
        message: 'login failed for [email] with [redacted]; stored [hash]; token [redacted]; redis://:[redacted]@127.0.0.1:6379',
      },
    });
    expect(lines.filter((l) => l.msg === 'request completed')).toHaveLength(answers.length + 1); // and the registration

    for (const secret of [password, hash, '$argon2', email, accessToken, refreshToken, SAMPLE_JWT_SECRET, 'SELECT $1']) {
      expect(output.includes(secret) ? secret : null).toBeNull();
    }
  });
});
