import { ConflictError, InvalidInputError, UnauthenticatedError, UnavailableError, type AppConfig } from '@app/common';
import { IncorrectPasswordError } from '@app/identity';
import { ATTEMPT_POLICIES, emailTrackerKey } from './attempt-policies.js';

const config = {
  loginThrottle: { ttlSeconds: 900, emailLimit: 10, ipLimit: 50, emailDelayAfter: 5, maxDelayMs: 5_000 },
  registerThrottle: { ttlSeconds: 3_600, ipLimit: 20 },
  passwordCheckThrottle: { ttlSeconds: 600, userLimit: 5, ipLimit: 20 },
} as AppConfig;

describe('attempt policies', () => {
  const { login, register } = ATTEMPT_POLICIES;
  const passwordChange = ATTEMPT_POLICIES['password-change'];

  it('tracks emails by a digest of the normalized address', () => {
    expect(emailTrackerKey(' Ada@Example.COM ')).toBe(emailTrackerKey('ada@example.com'));
    expect(emailTrackerKey('ada@example.com')).not.toMatch(/ada|example/);
    expect(emailTrackerKey('ada@example.com')).not.toBe(emailTrackerKey('bob@example.com'));
  });

  it('login: failures per IP and per (email, IP) refuse; per email they only slow down', () => {
    const plan = login.plan(config, { ip: '203.0.113.9', body: { email: ' Ada@Example.com', password: 'x' } })!;
    const tracker = emailTrackerKey('ada@example.com');
    expect(plan.counters).toEqual([
      { key: 'login-ip:203.0.113.9', limit: 50, windowMs: 900_000, onSuccess: 'release' },
      { key: `login-email-ip:${tracker}:203.0.113.9`, limit: 10, windowMs: 900_000, onSuccess: 'reset' },
    ]);
    expect(plan.slowdown).toEqual({
      key: `login-email:${tracker}`,
      windowMs: 900_000,
      after: 5,
      maxDelayMs: 5_000,
      trusted: { key: `login-known:${tracker}:203.0.113.9`, trustMs: 30 * 24 * 3600 * 1000 },
    });
    // No usable email: only the IP counter (validation will answer 400 and give it back).
    for (const body of [{ email: 42 }, { email: '  ' }, null, 'text']) {
      expect(login.plan(config, { ip: '203.0.113.9', body })).toEqual({
        counters: [expect.objectContaining({ key: 'login-ip:203.0.113.9' })],
      });
    }
    expect(login.outcomeOf(new UnauthenticatedError('nope'))).toBe('failure');
    expect(login.outcomeOf(new InvalidInputError(['password: x']))).toBe('void');
    expect(login.outcomeOf(new UnavailableError('busy'))).toBe('void');
  });

  it('register: every registration per IP counts, a taken email too; invalid or failed requests do not', () => {
    expect(register.plan(config, { ip: '198.51.100.1', body: {} })).toEqual({
      counters: [{ key: 'register-ip:198.51.100.1', limit: 20, windowMs: 3_600_000, onSuccess: 'keep' }],
    });
    expect(register.outcomeOf(new ConflictError('email: taken'))).toBe('failure');
    expect(register.outcomeOf(new InvalidInputError(['password: x']))).toBe('void');
  });

  it('password change: only bodies with password or currentPassword, per user (cleared by a right one) and per IP', () => {
    const facts = { ip: '198.51.100.2', userId: 'u-1' };
    expect(passwordChange.plan(config, { ...facts, body: { name: 'x' } })).toBeNull();
    expect(passwordChange.plan(config, { ip: '198.51.100.2', body: { password: 'x' } })).toBeNull();
    for (const body of [{ password: 'new-one' }, { currentPassword: 'old-one' }]) {
      expect(passwordChange.plan(config, { ...facts, body })).toEqual({
        counters: [
          { key: 'password-user:u-1', limit: 5, windowMs: 600_000, onSuccess: 'reset' },
          { key: 'password-ip:198.51.100.2', limit: 20, windowMs: 600_000, onSuccess: 'keep' },
        ],
      });
    }
    expect(passwordChange.outcomeOf(new IncorrectPasswordError())).toBe('failure');
    expect(passwordChange.outcomeOf(new InvalidInputError(['currentPassword: is required to change the password']))).toBe('void');
  });
});
