import { Writable } from 'node:stream';
import { QueryFailedError } from 'typeorm';
import { createErrorSerializer, scrub, stringsIn } from './error-serializer.js';
import { createRootLogger } from './root-logger.js';

const email = 'ada@example.com';
const hash = '$argon2id$v=19$m=19456,t=2,p=1$ZQ0SzU+Z9JQBTpcosDNQ8w$wZ0ypHXJxqhzYO3T4BUPKPEhHa7o+SlvJqRs/SPfcG0';
const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ';

function queryFailed(): QueryFailedError {
  const driverError = Object.assign(new Error(`invalid input syntax for type uuid: "${email}"`), {
    code: '22P02',
    detail: `Key (email)=(${email}) already exists.`,
    where: `unnamed portal parameter $1 = '${email}'`,
    constraint: 'users_email_key',
    table: 'users',
  });
  return new QueryFailedError('INSERT INTO identity.users (email, password_hash) VALUES ($1, $2)', [email, hash, 42, null], driverError);
}

describe('error serializer', () => {
  it('keeps type, message, stack and codes of a query error, without its query, parameters or driver details', () => {
    const out = createErrorSerializer()(queryFailed());
    expect(out).toMatchObject({
      type: 'QueryFailedError',
      code: '22P02',
      constraint: 'users_email_key',
      table: 'users',
      message: 'invalid input syntax for type uuid: "[redacted]"',
    });
    expect(Object.keys(out).sort()).toEqual(['code', 'constraint', 'message', 'stack', 'table', 'type']);
    const text = JSON.stringify(out);
    for (const secret of [email, hash, '$argon2', 'INSERT INTO', 'password_hash', 'Key (email)']) expect(text).not.toContain(secret);
    expect(out.stack).toMatch(/^QueryFailedError: invalid input syntax for type uuid: "\[redacted\]"\n\s+at /);
  });

  it('cuts secret-shaped text and the given secret values out of messages, stacks and causes', () => {
    const cause = new Error(`connect to redis://default:s3cret-pass@10.0.0.1:6379 failed for ${email}`);
    const error = new Error(`token ${jwt}, hash ${hash}, Authorization: Bearer abc.def-ghi, config key local-config-secret-123`, { cause });
    const out = createErrorSerializer(['local-config-secret-123', null, 'abc'])(error);
    expect(out.message).toBe('token [jwt], hash [hash], Authorization: Bearer [redacted], config key [redacted]');
    expect(out.cause).toMatchObject({ type: 'Error', message: 'connect to redis://default:[redacted]@10.0.0.1:6379 failed for [email]' });
    expect(JSON.stringify(out)).not.toMatch(/s3cret-pass|local-config-secret|argon2|eyJ/);
  });

  it('copies no other field of an error, and serializes non-errors', () => {
    const error = Object.assign(new Error('boom'), {
      config: { password: 'p4ssw0rd!' },
      options: { url: 'x' },
      response: { body: 'secret' },
      statusCode: 502,
    });
    expect(createErrorSerializer()(error)).toEqual({ type: 'Error', message: 'boom', stack: expect.any(String), statusCode: 502 });
    expect(createErrorSerializer()(`failed for ${email}`)).toEqual({ type: 'string', message: 'failed for [email]' });
    expect(createErrorSerializer()({ type: 'Error', message: `x ${jwt}`, stack: 'Error: x\n    at y' })).toEqual({
      type: 'Error',
      message: 'x [jwt]',
      stack: 'Error: x\n    at y',
    });
  });

  it('scrub replaces the longest value first and leaves ordinary text alone', () => {
    expect(scrub('user ada@example.com logged in', ['ada@example.com', 'ada@'])).toBe('user [redacted] logged in');
    expect(scrub('node_modules/@nestjs/core/router.js:12 and pkg v1.2.3')).toBe('node_modules/@nestjs/core/router.js:12 and pkg v1.2.3');
  });

  it('stringsIn collects the strings of a body, bounded', () => {
    expect(stringsIn({ email, password: 'hunter22', n: 1, nested: [{ token: 'abcd' }, 'ab'] })).toEqual([email, 'hunter22', 'abcd']);
    expect(stringsIn(Array.from({ length: 500 }, (_, i) => `value-${i}`))).toHaveLength(200);
  });
});

describe('root logger', () => {
  it('writes errors through the serializer and blanks password and token fields', () => {
    let text = '';
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        text += chunk.toString();
        done();
      },
    });
    const logger = createRootLogger({ level: 'info', destination: sink, secrets: ['config-secret-value-0123456789'] });
    logger.error(
      { err: queryFailed(), password: 'hunter22', accessToken: jwt, req: { headers: { authorization: `Bearer ${jwt}` } } },
      'failed with config-secret-value-0123456789',
    );
    logger.error(new Error('jwt secret config-secret-value-0123456789 rejected'));
    const lines = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[0]).toMatchObject({
      password: '[redacted]',
      accessToken: '[redacted]',
      req: { headers: { authorization: '[redacted]' } },
      err: { type: 'QueryFailedError', code: '22P02' },
    });
    expect(lines[1]).toMatchObject({ err: { message: 'jwt secret [redacted] rejected' } });
    for (const secret of [email, hash, jwt, 'hunter22', 'INSERT INTO']) expect(text).not.toContain(secret);
  });
});
