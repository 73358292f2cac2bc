import { APP_CONFIG, type AppConfig } from '@app/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { isCluster, REDIS_CLIENT, type RedisClient } from '@app/cache';
import { bearer } from '../support/auth.js';

/** Cart suites: rate limits (identity's subject) and the guest-cart limit (its own suite's) out of the way. */
export const CART_TEST_ENV = { THROTTLE_LIMIT: '1000000', CART_GUEST_THROTTLE_IP_LIMIT: '1000000' };

export interface CartBody {
  items: { productId: string; name: string; priceCents: number; quantity: number; lineTotalCents: number; available: boolean }[];
  totalQuantity: number;
  totalCents: number;
  currency: string;
  updatedAt: string | null;
}

/** Who calls: a bearer token, a guest token, or nobody. */
export type As = { token?: string; cartToken?: string; headers?: Record<string, string> };

export function headersOf(as: As = {}): Record<string, string> {
  return { ...(as.token ? bearer(as.token) : {}), ...(as.cartToken ? { 'x-cart-token': as.cartToken } : {}), ...as.headers };
}

export class CartClient {
  constructor(readonly app: NestFastifyApplication) {}

  get(as?: As) {
    return this.app.inject({ method: 'GET', url: '/api/v1/cart', headers: headersOf(as) });
  }
  count(as?: As) {
    return this.app.inject({ method: 'GET', url: '/api/v1/cart/count', headers: headersOf(as) });
  }
  add(productId: string, quantity: number, as?: As, extra: Record<string, unknown> = {}) {
    return this.app.inject({
      method: 'POST',
      url: '/api/v1/cart/items',
      headers: headersOf(as),
      payload: { productId, quantity, ...extra },
    });
  }
  set(productId: string, quantity: number, as?: As) {
    return this.app.inject({ method: 'PUT', url: `/api/v1/cart/items/${productId}`, headers: headersOf(as), payload: { quantity } });
  }
  remove(productId: string, as?: As) {
    return this.app.inject({ method: 'DELETE', url: `/api/v1/cart/items/${productId}`, headers: headersOf(as) });
  }
  clear(as?: As) {
    return this.app.inject({ method: 'DELETE', url: '/api/v1/cart', headers: headersOf(as) });
  }
}

/** Every key under `prefix:` on every master (SCAN, never KEYS). */
export async function scanKeys(client: RedisClient, pattern: string): Promise<string[]> {
  const nodes = isCluster(client) ? client.nodes('master') : [client];
  const out: string[] = [];
  for (const node of nodes) {
    let cursor = '0';
    do {
      const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
      cursor = next;
      out.push(...keys);
    } while (cursor !== '0');
  }
  return out;
}

export function redisOf(app: NestFastifyApplication): RedisClient {
  return app.get<RedisClient>(REDIS_CLIENT);
}

/** Every cart key of this run (the run's own prefix). */
/** Cart keys in the app's own keyspace (its REDIS_KEY_PREFIX). */
export function cartKeys(app: NestFastifyApplication): Promise<string[]> {
  const prefix = app.get<AppConfig>(APP_CONFIG).redis.keyPrefix;
  return scanKeys(redisOf(app), `${prefix}:{cart:*`);
}
