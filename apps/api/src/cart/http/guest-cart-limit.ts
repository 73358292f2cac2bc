import { Inject, Injectable } from '@nestjs/common';
import type { CartCaller, CartResult } from '@app/cart';
import { APP_CONFIG, type AppConfig } from '@app/common';
import { AttemptLimiter, AttemptsExhausted, type Attempt, type AttemptPlan } from '../../throttling/attempt-limiter.service.js';
import { TooManyRequests } from '../../throttling/too-many-requests.js';

/**
 * New guest carts per client IP (CART_GUEST_THROTTLE_IP_LIMIT per CART_GUEST_THROTTLE_TTL_SECONDS).
 * Only a guest's write without X-Cart-Token can create a cart, so only those count; one that
 * created none (unknown product, stock, Redis down, or setting a line to 0) gives its place back
 * before the answer leaves. Over the limit: 429 with Retry-After, before the catalog or Redis are
 * asked. Without it, one address at the default rate limit creates a cart per request, each kept
 * for the guest TTL. The counters are the sign-in limits' (Redis, in-process while Redis fails), so
 * every API instance shares them.
 * Called by the write routes around their service call rather than as an interceptor: a Nest
 * interceptor wraps every call of its routes in Observables, a measurable share of a cart write.
 */
@Injectable()
export class GuestCartLimit {
  private readonly limit: number;
  private readonly windowMs: number;

  constructor(
    private readonly limiter: AttemptLimiter,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.limit = config.cart.guestThrottle.ipLimit;
    this.windowMs = config.cart.guestThrottle.ttlSeconds * 1000;
  }

  /**
   * Runs `write`, counted against the client address when it may create a guest cart. `ip` is
   * undefined once the socket is gone; such a request still counts (as 'unknown').
   */
  async around<T>(caller: CartCaller, ip: string | undefined, write: () => Promise<CartResult<T>>): Promise<CartResult<T>> {
    if (caller.kind !== 'guest' || caller.cartId !== null) return write();
    const plan: AttemptPlan = {
      counters: [{ key: `guest-cart-ip:${ip ?? 'unknown'}`, limit: this.limit, windowMs: this.windowMs, onSuccess: 'keep' }],
    };
    const attempt = this.limiter.beginReserved(plan) ?? (await this.begin(plan));
    let result: CartResult<T>;
    try {
      result = await write();
    } catch (error) {
      await attempt.settle('void');
      throw error;
    }
    // The cart service issued a token: a cart was created. None: nothing was stored.
    await attempt.settle(caller.token ? 'success' : 'void');
    return result;
  }

  private async begin(plan: AttemptPlan): Promise<Attempt> {
    try {
      return await this.limiter.begin(plan);
    } catch (error) {
      if (error instanceof AttemptsExhausted) throw new TooManyRequests(error.retryAfterSeconds);
      throw error;
    }
  }
}
