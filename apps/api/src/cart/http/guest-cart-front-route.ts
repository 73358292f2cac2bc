import type { INestApplicationContext } from '@nestjs/common';
import { CART_TOKEN_HEADER, CartService, CartTokenService } from '@app/cart';
import { jsonBody } from '../../http/json-body.js';
import type { FrontRoute } from '../../http/front-door.js';
import type { RouteLimitOf } from '../../throttling/route-rate-limit.js';
import { CartController } from '../controllers/cart.controller.js';

/**
 * GET /cart of a guest with a valid X-Cart-Token, answered before Fastify (see FrontDoor): the body
 * and X-Cart-Token CartController.get sends, with the API's default `Cache-Control: no-store`.
 * Everything else is the controller's: a caller with an Authorization header (the guards decide
 * between user cart and 401), no token (no cart yet), an invalid or repeated token (400), and a
 * read that fails (503). Null when the route has a rate limit of its own (only the guard applies it).
 */
export function guestCartFrontRoute(app: INestApplicationContext, prefix: string, limitOf: RouteLimitOf): FrontRoute | null {
  // eslint-disable-next-line @typescript-eslint/unbound-method -- the handler is only read for its metadata and name, never called
  const limit = limitOf(CartController, CartController.prototype.get);
  if (!limit) return null;
  const cart = app.get(CartService);
  const tokens = app.get(CartTokenService);
  return {
    url: `/${prefix}/cart`,
    limit,
    take(_param, req) {
      const token = req.headers[CART_TOKEN_HEADER];
      const cartId = typeof token === 'string' ? tokens.verify(token) : null;
      if (cartId === null) return undefined;
      return () =>
        cart.get({ kind: 'guest', cartId, token: token as string }).then((result) => ({
          body: jsonBody(result.body),
          conditional: false,
          headers: result.cartToken === undefined ? undefined : [CART_TOKEN_HEADER, result.cartToken],
        }));
    },
  };
}
