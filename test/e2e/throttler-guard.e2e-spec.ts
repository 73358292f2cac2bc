import { Controller, Get, Module } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Public } from '@app/common';
import { randomClientIp } from '../support/auth.js';
import { createTestApp } from '../support/test-app.js';
import { SkipThrottle, Throttle } from '../../apps/api/src/throttling/throttler-package.js';

/** Routes with throttler metadata of their own take @nestjs/throttler's own path in ApiThrottlerGuard. */
@Public()
@Controller('throttle-probe')
class ThrottleProbeController {
  @Get('plain')
  plain(): { ok: true } {
    return { ok: true };
  }

  @Get('own')
  @Throttle({ default: { limit: 2, ttl: 60_000 } })
  own(): { ok: true } {
    return { ok: true };
  }

  @Get('skipped')
  @SkipThrottle()
  skipped(): { ok: true } {
    return { ok: true };
  }
}

@Module({ controllers: [ThrottleProbeController] })
class ThrottleProbeModule {}

describe('ApiThrottlerGuard', () => {
  let app: NestFastifyApplication;
  beforeAll(async () => {
    app = await createTestApp({ THROTTLE_LIMIT: '3', THROTTLE_TTL_SECONDS: '60' }, { imports: [ThrottleProbeModule] });
  });
  afterAll(async () => {
    await app.close();
  });

  const get = (path: string, ip: string) =>
    app.inject({ method: 'GET', url: `/api/v1/throttle-probe/${path}`, headers: { 'x-forwarded-for': ip } });

  it('a route without metadata of its own: the module limit, per route and client', async () => {
    const ip = randomClientIp();
    const left = [];
    for (let i = 0; i < 3; i++) left.push((await get('plain', ip)).headers['x-ratelimit-remaining']);
    expect(left).toEqual(['2', '1', '0']);
    const refused = await get('plain', ip);
    expect(refused.statusCode).toBe(429);
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // Another route of the same client has its own counter.
    expect((await get('own', ip)).statusCode).toBe(200);
  });

  it('@Throttle on the handler: its own limit', async () => {
    const ip = randomClientIp();
    const first = await get('own', ip);
    expect(first.headers['x-ratelimit-limit']).toBe('2');
    expect((await get('own', ip)).statusCode).toBe(200);
    expect((await get('own', ip)).statusCode).toBe(429);
  });

  it('@SkipThrottle: never limited, no rate-limit headers', async () => {
    const ip = randomClientIp();
    for (let i = 0; i < 5; i++) {
      const res = await get('skipped', ip);
      expect(res.statusCode).toBe(200);
      expect(res.headers['x-ratelimit-limit']).toBeUndefined();
    }
  });
});
