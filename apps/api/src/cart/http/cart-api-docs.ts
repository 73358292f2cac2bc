import { applyDecorators } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader } from '@nestjs/swagger';
import { ApiErrors } from '../../http/api-errors.decorator.js';

/** The X-Cart-Token response header of guest answers. */
export const CART_TOKEN_RESPONSE_HEADER = {
  'X-Cart-Token': {
    description:
      'Guest callers only: the token of their cart (issued by the first write that stores a line); send it back on later cart calls and with login/register to merge',
    schema: { type: 'string', example: '9b2f6f0e-1c1e-4f62-8d7b-3c5a2e1f0a9d.pG3v…43 base64url characters' },
  },
};

/**
 * What every cart route shares: optional bearer auth (signed-in → the user's cart), the optional
 * X-Cart-Token request header (guests), and the common error answers.
 */
/** `<lower-case cart uuid>.<HMAC-SHA256 base64url>`: the shape of a guest cart token (its signature is checked by the API). */
export const CART_TOKEN_PATTERN = '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\\.[A-Za-z0-9_-]{43}$';

export const CartRoute = (): MethodDecorator =>
  applyDecorators(
    ApiBearerAuth(),
    ApiHeader({
      name: 'X-Cart-Token',
      required: false,
      description:
        'Guest cart token from an earlier cart answer; ignored when a valid bearer token is sent. Malformed, forged or tampered → 400',
      schema: { type: 'string', pattern: CART_TOKEN_PATTERN },
    }),
    ApiErrors({ status: 400, description: 'Validation error naming each field, malformed productId, or invalid X-Cart-Token' }),
    ApiErrors({
      status: 401,
      description: 'An Authorization header was sent but the token is invalid, expired or revoked (send none to use a guest cart)',
    }),
    ApiErrors({ status: 429, description: 'Rate limit' }),
    ApiErrors({ status: 503, description: 'Cart storage (Redis) unreachable: `cart: temporarily unavailable`' }),
  );
