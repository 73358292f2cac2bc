import { Inject, Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { catchError, mergeMap, type Observable } from 'rxjs';
import type { CartCaller } from '@app/cart';
import { APP_CONFIG, type AppConfig } from '@app/common';
import { AttemptLimiter, AttemptsExhausted, type Attempt } from '../../throttling/attempt-limiter.service.js';
import { tooManyRequests } from '../../throttling/too-many-requests.js';

interface CartRequest extends FastifyRequest {
  cartCaller?: CartCaller;
}

/**
 * New guest carts per client IP (CART_GUEST_THROTTLE_IP_LIMIT per CART_GUEST_THROTTLE_TTL_SECONDS).
 * Only a guest's write without X-Cart-Token can create a cart, so only those count; one that
 * created none (validation, unknown product, stock, Redis down, or setting a line to 0) gives its
 * place back. Over the limit: 429 with Retry-After, before the catalog or Redis are asked. Without
 * it, one address at the default rate limit creates a cart per request, each kept for the guest
 * TTL. The counters are the sign-in limits' (Redis, in-process while Redis fails), so every API
 * instance shares them. Runs after CartCallerGuard, which resolved the caller.
 */
@Injectable()
export class GuestCartLimitInterceptor implements NestInterceptor {
  private readonly limit: number;
  private readonly windowMs: number;

  constructor(
    private readonly limiter: AttemptLimiter,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.limit = config.cart.guestThrottle.ipLimit;
    this.windowMs = config.cart.guestThrottle.ttlSeconds * 1000;
  }

  async intercept(context: ExecutionContext, next: CallHandler): Promise<Observable<unknown>> {
    const http = context.switchToHttp();
    const request = http.getRequest<CartRequest>();
    const caller = request.cartCaller;
    if (caller?.kind !== 'guest' || caller.cartId !== null) return next.handle();
    let attempt: Attempt;
    try {
      // request.ip is undefined once the socket is gone; such a request still counts (as 'unknown').
      attempt = await this.limiter.begin({
        counters: [{ key: `guest-cart-ip:${request.ip ?? 'unknown'}`, limit: this.limit, windowMs: this.windowMs, onSuccess: 'keep' }],
      });
    } catch (error) {
      if (error instanceof AttemptsExhausted) throw tooManyRequests(http.getResponse<FastifyReply>(), error.retryAfterSeconds);
      throw error;
    }
    return next.handle().pipe(
      mergeMap(async (value: unknown) => {
        // The cart service issued a token: a cart was created. None: nothing was stored.
        await attempt.settle(caller.token ? 'success' : 'void');
        return value;
      }),
      catchError(async (error: unknown) => {
        await attempt.settle('void');
        throw error;
      }),
    );
  }
}
