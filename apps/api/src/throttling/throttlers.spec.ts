import type { ExecutionContext } from '@nestjs/common';
import type { ThrottlerStorage } from '@nestjs/throttler';
import type { AppConfig } from '@app/common';
import { buildThrottlerOptions, buildThrottlers, generateKey, getTracker } from './throttlers.js';

const config = {
  throttle: { ttlSeconds: 60, limit: 300 },
  loginThrottle: { ttlSeconds: 900, emailLimit: 10, ipLimit: 50, emailDelayAfter: 5, maxDelayMs: 5000 },
} as AppConfig;

describe('buildThrottlers', () => {
  it('uses THROTTLE_* (ms) for the default limit, the only request-count throttler', () => {
    expect(buildThrottlers(config)).toEqual([{ name: 'default', ttl: 60_000, limit: 300 }]);
  });
});

describe('buildThrottlerOptions', () => {
  const storage = {} as ThrottlerStorage;
  const options = buildThrottlerOptions(config, storage);
  const context = (type: string) =>
    ({
      getType: () => type,
      getClass: () => class ProductsController {},
      getHandler: () => function findOne() {},
    }) as unknown as ExecutionContext;

  it('runs the throttlers over the given storage', () => {
    expect(Array.isArray(options)).toBe(false);
    if (Array.isArray(options)) return;
    expect(options.storage).toBe(storage);
    expect(options.throttlers).toEqual(buildThrottlers(config));
  });

  it('limits HTTP requests only', () => {
    if (Array.isArray(options)) return;
    expect(options.skipIf!(context('http'))).toBe(false);
    expect(options.skipIf!(context('rpc'))).toBe(true);
  });

  it('tracks the client IP as resolved under TRUST_PROXY, unchanged, and keys by route', () => {
    expect(getTracker({ ip: '2001:db8::1' })).toBe('2001:db8::1');
    expect(getTracker({})).toBe('unknown');
    expect(generateKey(context('http'), '10.0.0.1')).toBe('ProductsController.findOne:10.0.0.1');
  });

  it('names the wait in the message', () => {
    if (Array.isArray(options) || typeof options.errorMessage !== 'function') throw new Error('expected an errorMessage function');
    const detail = {
      limit: 300,
      ttl: 60_000,
      key: 'k',
      tracker: 't',
      totalHits: 301,
      timeToExpire: 42,
      isBlocked: true,
      timeToBlockExpire: 42,
    };
    expect(options.errorMessage(context('http'), detail)).toBe('Too many requests; retry in 42 s');
  });
});
