import {
  BadRequestException,
  createParamDecorator,
  Injectable,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { CART_TOKEN_HEADER, CartTokenService, type CartCaller } from '@app/cart';
import type { AuthUser } from '../../auth/index.js';

interface CartRequest {
  headers: Record<string, string | string[] | undefined>;
  user?: AuthUser;
  cartCaller?: CartCaller;
}

/**
 * Resolves who uses the cart, after the global guards (cart routes are @Public()):
 * - a valid bearer token (the access-token guard set request.user) → the user's cart; X-Cart-Token
 *   is ignored (it only matters to login/register, which merge it);
 * - an Authorization header that did NOT authenticate → 401 (a broken token must not silently fall
 *   back to a guest cart);
 * - otherwise a guest: no X-Cart-Token → no cart yet; a valid one → that cart; anything else
 *   (forged, tampered, `*`, `cart:*`, repeated header) → 400 `x-cart-token: is invalid`, before any
 *   Redis call.
 */
@Injectable()
export class CartCallerGuard implements CanActivate {
  constructor(private readonly tokens: CartTokenService) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<CartRequest>();
    if (request.user) {
      request.cartCaller = { kind: 'user', userId: request.user.id };
      return true;
    }
    if (request.headers.authorization !== undefined) throw new UnauthorizedException('Missing, invalid, expired or revoked access token');
    const raw = request.headers[CART_TOKEN_HEADER];
    if (raw === undefined) {
      request.cartCaller = { kind: 'guest', cartId: null, token: null };
      return true;
    }
    const cartId = this.tokens.verify(raw);
    if (!cartId) throw new BadRequestException([`${CART_TOKEN_HEADER}: is invalid`]);
    request.cartCaller = { kind: 'guest', cartId, token: raw as string };
    return true;
  }
}

/** The CartCaller resolved by CartCallerGuard. */
export const CurrentCartCaller = createParamDecorator((_data: unknown, ctx: ExecutionContext): CartCaller => {
  const caller = ctx.switchToHttp().getRequest<CartRequest>().cartCaller;
  if (!caller) throw new Error('CartCallerGuard did not run');
  return caller;
});
