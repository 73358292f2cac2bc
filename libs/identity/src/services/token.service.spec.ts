import { jest } from '@jest/globals';
import { createHmac, randomUUID } from 'node:crypto';
import type { AppConfig } from '@app/common';
import { TokenService } from './token.service.js';

const jwt = { secret: 's'.repeat(40), issuer: 'iss-test', audience: 'aud-test', accessTtlSeconds: 900, refreshTtlSeconds: 3600 };
const service = new TokenService({ jwt } as AppConfig);
const claims = { sub: randomUUID(), sid: randomUUID(), role: 'customer' as const };

function sign(payload: object, header: object = { alg: 'HS256', typ: 'JWT' }, secret = jwt.secret): string {
  const head = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  return `${head}.${createHmac('sha256', secret).update(head).digest('base64url')}`;
}
const now = (): number => Math.floor(Date.now() / 1000);
const base = (): Record<string, unknown> => ({ ...claims, typ: 'access', iss: jwt.issuer, aud: jwt.audience, iat: now(), exp: now() + 60 });

describe('TokenService', () => {
  it('signs HS256 access tokens with sub, sid, role, typ, iss, aud and exp', () => {
    const token = service.signAccess(claims);
    const [header, payload] = token
      .split('.')
      .slice(0, 2)
      .map((p) => JSON.parse(Buffer.from(p, 'base64url').toString()));
    expect(header.alg).toBe('HS256');
    expect(payload).toMatchObject({ ...claims, typ: 'access', iss: jwt.issuer, aud: jwt.audience });
    expect(payload.exp - payload.iat).toBe(900);
    expect(service.verifyAccess(token)).toMatchObject({ ...claims, typ: 'access' });
  });

  it('accepts a hand-made token with exactly the right claims', () => {
    expect(service.verifyAccess(sign(base()))).toMatchObject({ ...claims, typ: 'access' });
  });

  it.each([
    ['alg none', () => sign(base(), { alg: 'none' }).split('.').slice(0, 2).join('.') + '.'],
    ['HS384', () => sign(base(), { alg: 'HS384' })],
    ['another secret', () => sign(base(), undefined, 'x'.repeat(40))],
    ['wrong issuer', () => sign({ ...base(), iss: 'other' })],
    ['wrong audience', () => sign({ ...base(), aud: 'other' })],
    ['expired 10 s ago', () => sign({ ...base(), exp: now() - 10 })],
    ['typ refresh', () => sign({ ...base(), typ: 'refresh' })],
    ['sub not a uuid', () => sign({ ...base(), sub: 'admin' })],
    ['missing sid', () => sign({ ...base(), sid: undefined })],
    ['no exp', () => sign({ ...base(), exp: undefined })],
    ['unknown role', () => sign({ ...base(), role: 'superuser' })],
    ['not a JWT', () => 'abc.def'],
  ])('rejects %s', (_name, make) => {
    expect(service.verifyAccess(make())).toBeNull();
  });

  it('tolerates 5 s of clock skew', () => {
    expect(service.verifyAccess(sign({ ...base(), exp: now() - 2 }))).not.toBeNull();
  });

  it('remembers verified tokens but still enforces their expiry', () => {
    const token = sign({ ...base(), exp: now() + 60 });
    expect(service.verifyAccess(token)).not.toBeNull();
    expect(service.verifyAccess(token)).not.toBeNull(); // from the verified cache
    jest.useFakeTimers({ now: Date.now() + 70_000, doNotFake: ['nextTick', 'setImmediate'] });
    try {
      expect(service.verifyAccess(token)).toBeNull();
    } finally {
      jest.useRealTimers();
    }
  });

  it('does not let a cached token vouch for a tampered copy', () => {
    const token = sign(base());
    expect(service.verifyAccess(token)).not.toBeNull();
    const [h, , sig] = token.split('.');
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...base(), role: 'admin' })).toString('base64url')}.${sig}`;
    expect(service.verifyAccess(forged)).toBeNull();
  });
});
