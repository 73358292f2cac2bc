import type { AppConfig } from '@app/common';
import { buildThrottlers } from './throttlers.js';

const config = { throttle: { ttlSeconds: 60, limit: 300 }, loginThrottle: { ttlSeconds: 900, emailLimit: 10, ipLimit: 50, emailDelayAfter: 5, maxDelayMs: 5000 } } as AppConfig;

describe('buildThrottlers', () => {
  it('uses THROTTLE_* (ms) for the default limit, the only request-count throttler', () => {
    expect(buildThrottlers(config)).toEqual([{ name: 'default', ttl: 60_000, limit: 300 }]);
  });
});
