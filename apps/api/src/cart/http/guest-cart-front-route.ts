import type { IncomingMessage } from 'node:http';
import type { INestApplicationContext } from '@nestjs/common';
import { CART_TOKEN_HEADER, CartService, CartTokenService, type CartCaller, type CartResult } from '@app/cart';
import { jsonBody } from '../../http/json-body.js';
import type { FrontAnswer, FrontRoute } from '../../http/front-door.js';
import { plainlyValid } from '../../http/plainly-valid.js';
import type { RouteLimitOf } from '../../throttling/route-rate-limit.js';
import { CartController } from '../controllers/cart.controller.js';
import { AddCartItemDto } from '../dto/cart-item.dto.js';
import { GuestCartLimit } from './guest-cart-limit.js';

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
      return () => cart.get({ kind: 'guest', cartId, token: token as string }).then(answerOf);
    },
  };
}

/**
 * POST /cart/items of a guest, answered before Fastify (see FrontDoor): a new guest cart (no
 * X-Cart-Token, counted by GuestCartLimit) or one with a valid token, and a body that is plainly
 * valid for AddCartItemDto. It runs what CartController.add runs and answers its 200, or what the
 * write throws as the exception filter would (unknown product, stock, limits, Redis down). Anything
 * else is the controller's: an Authorization header, an invalid or repeated token (400), any other
 * body (its validation names the field). Null when the route has a rate limit of its own.
 */
export function guestCartAddFrontRoute(
  app: INestApplicationContext,
  prefix: string,
  limitOf: RouteLimitOf,
  clientAddress: (req: IncomingMessage) => string | undefined,
): FrontRoute | null {
  // eslint-disable-next-line @typescript-eslint/unbound-method -- the handler is only read for its metadata and name, never called
  const limit = limitOf(CartController, CartController.prototype.add);
  if (!limit) return null;
  const cart = app.get(CartService);
  const tokens = app.get(CartTokenService);
  const guestLimit = app.get(GuestCartLimit);
  return {
    url: `/${prefix}/cart/items`,
    method: 'POST',
    limit,
    take(_param, req, body) {
      const token = req.headers[CART_TOKEN_HEADER];
      let caller: CartCaller;
      if (token === undefined) caller = { kind: 'guest', cartId: null, token: null };
      else {
        const cartId = typeof token === 'string' ? tokens.verify(token) : null;
        if (cartId === null) return undefined;
        caller = { kind: 'guest', cartId, token: token as string };
      }
      const dto = plainlyValid(AddCartItemDto, body) as AddCartItemDto | undefined;
      if (dto === undefined) return undefined;
      const productId = dto.productId.toLowerCase();
      return () => guestLimit.around(caller, clientAddress(req), () => cart.addItem(caller, productId, dto.quantity)).then(answerOf);
    },
  };
}

/** The controller's answer of a cart result: its body, and X-Cart-Token when the service issued one. */
function answerOf(result: CartResult<unknown>): FrontAnswer {
  return {
    body: jsonBody(result.body),
    conditional: false,
    headers: result.cartToken === undefined ? undefined : [CART_TOKEN_HEADER, result.cartToken],
  };
}
