import 'reflect-metadata';
import type { ThrottlerModuleOptions, ThrottlerStorage } from '@nestjs/throttler';
import type { AppConfig } from '@app/common';
import { RouteRateLimit } from './route-rate-limit.js';
import { SkipThrottle, Throttle } from './throttler-package.js';
import { buildThrottlerOptions } from './throttlers.js';

const config = { throttle: { ttlSeconds: 60, limit: 300 } } as AppConfig;
const storage = {} as ThrottlerStorage;

class PlainController {
  get(): void {}
}
class ThrottledController {
  @Throttle({ default: { limit: 5, ttl: 1000 } })
  get(): void {}
}
class SkippedController {
  @SkipThrottle()
  get(): void {}
}
@Throttle({ default: { limit: 5, ttl: 1000 } })
class ClassThrottledController {
  get(): void {}
}

describe('RouteRateLimit.forRoute', () => {
  const options = buildThrottlerOptions(config, storage);

  it('reproduces the guard for a route with no throttler metadata of its own', () => {
    expect(RouteRateLimit.forRoute(options, storage, PlainController, PlainController.prototype.get)).toBeInstanceOf(RouteRateLimit);
  });

  it('leaves routes with @Throttle or @SkipThrottle (on the handler or the class) to the guard', () => {
    expect(RouteRateLimit.forRoute(options, storage, ThrottledController, ThrottledController.prototype.get)).toBeNull();
    expect(RouteRateLimit.forRoute(options, storage, SkippedController, SkippedController.prototype.get)).toBeNull();
    expect(RouteRateLimit.forRoute(options, storage, ClassThrottledController, ClassThrottledController.prototype.get)).toBeNull();
  });

  it('declines module options it does not reproduce: another tracker or key, computed limits', () => {
    const plain = options as Exclude<ThrottlerModuleOptions, unknown[]>;
    const get = PlainController.prototype.get;
    expect(RouteRateLimit.forRoute({ ...plain, getTracker: () => 'x' }, storage, PlainController, get)).toBeNull();
    expect(RouteRateLimit.forRoute({ ...plain, generateKey: () => 'x' }, storage, PlainController, get)).toBeNull();
    expect(
      RouteRateLimit.forRoute({ ...plain, throttlers: [{ name: 'default', ttl: 1000, limit: () => 5 }] }, storage, PlainController, get),
    ).toBeNull();
    expect(RouteRateLimit.forRoute([], storage, PlainController, get)).toBeNull();
  });
});
