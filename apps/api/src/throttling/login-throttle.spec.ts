import type { ExecutionContext } from '@nestjs/common';
import type { AppConfig } from '@app/common';
import { buildThrottlers, emailTrackerKey, LOGIN_EMAIL_THROTTLER, LOGIN_IP_THROTTLER, LoginThrottle } from './login-throttle.js';

class Handlers {
  @LoginThrottle()
  login(): void {}
  other(): void {}
}

const config = { throttle: { ttlSeconds: 60, limit: 300 }, loginThrottle: { ttlSeconds: 900, emailLimit: 10, ipLimit: 50 } } as AppConfig;

function context(handler: () => void, body: unknown): ExecutionContext {
  return { getHandler: () => handler, getClass: () => Handlers, switchToHttp: () => ({ getRequest: () => ({ body }) }) } as unknown as ExecutionContext;
}

describe('login throttling', () => {
  const throttlers = buildThrottlers(config);
  const byName = (name: string) => throttlers.find((t) => t.name === name)!;

  it('tracks emails by a digest of the normalized address', () => {
    expect(emailTrackerKey(' Ada@Example.COM ')).toBe(emailTrackerKey('ada@example.com'));
    expect(emailTrackerKey('ada@example.com')).not.toMatch(/ada|example/);
    expect(emailTrackerKey('ada@example.com')).not.toBe(emailTrackerKey('bob@example.com'));
  });

  it('uses THROTTLE_* for the default limit and LOGIN_THROTTLE_* (ms) for the login limits', () => {
    expect(byName('default')).toMatchObject({ ttl: 60_000, limit: 300 });
    expect(byName(LOGIN_IP_THROTTLER)).toMatchObject({ ttl: 900_000, limit: 50, blockDuration: 900_000 });
    expect(byName(LOGIN_EMAIL_THROTTLER)).toMatchObject({ ttl: 900_000, limit: 10, blockDuration: 900_000 });
  });

  it('applies the login limits only to @LoginThrottle() routes, and the email one only with an email', () => {
    const proto = Handlers.prototype;
    expect(byName(LOGIN_IP_THROTTLER).skipIf!(context(proto.login, {}))).toBe(false);
    expect(byName(LOGIN_IP_THROTTLER).skipIf!(context(proto.other, {}))).toBe(true);
    expect(byName(LOGIN_EMAIL_THROTTLER).skipIf!(context(proto.login, { email: 'a@b.co' }))).toBe(false);
    expect(byName(LOGIN_EMAIL_THROTTLER).skipIf!(context(proto.login, { email: 42 }))).toBe(true);
    expect(byName(LOGIN_EMAIL_THROTTLER).skipIf!(context(proto.other, { email: 'a@b.co' }))).toBe(true);
  });
});
