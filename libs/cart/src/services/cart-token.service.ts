import { Inject, Injectable } from '@nestjs/common';
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { APP_CONFIG, UUID_SOURCE, isUuid, type AppConfig } from '@app/common';
import { Sha256Mac } from './sha256-mac.js';

const TOKEN = new RegExp(`^(${UUID_SOURCE})\\.([A-Za-z0-9_-]{43})$`);
// Cart ids are lower-case: one spelling per cart, so one set of Redis keys.
const isCartId = (id: string): boolean => isUuid(id) && id === id.toLowerCase();
const KEY_LABEL = 'nest-commerce/cart-token/v1';
/** Verified tokens remembered (a guest sends the same token on every cart call). */
const VERIFIED_MAX = 4_096;

/**
 * Guest cart tokens: `<cart uuid>.<HMAC-SHA256(uuid) base64url>`. The uuid is random (122 bits), the
 * MAC key is derived from CART_TOKEN_SECRET (or JWT_SECRET when unset) with a fixed label, so a
 * token can be neither guessed nor forged, and a JWT can never pass for a cart token. Verification
 * is a strict shape check (so no caller text ever reaches a Redis key) and a constant-time compare.
 * Tokens that passed are remembered (bounded, oldest out first): validity is a pure function of the
 * token and the key, so a repeat is answered without the HMAC; rejected tokens are never kept.
 */
@Injectable()
export class CartTokenService {
  private readonly key: Sha256Mac;
  private readonly verified = new Map<string, string>();

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.key = new Sha256Mac(deriveCartTokenKey(config.cart.tokenSecret ?? config.jwt.secret));
  }

  /** A new guest cart: its id and the token the client keeps. */
  issue(): { cartId: string; token: string } {
    // randomUUID() is a lower-case UUID: no shape check needed (it is on every guest's first add).
    const cartId = randomUUID();
    return { cartId, token: this.tokenOf(cartId) };
  }

  sign(cartId: string): string {
    if (!isCartId(cartId)) throw new TypeError('cart id must be a lower-case UUID');
    return this.tokenOf(cartId);
  }

  /** The guest cart id of a well-formed, correctly signed token; null for anything else. */
  verify(token: unknown): string | null {
    if (typeof token !== 'string') return null;
    const known = this.verified.get(token);
    if (known !== undefined) return known;
    const cartId = this.check(token);
    if (cartId !== null) {
      if (this.verified.size >= VERIFIED_MAX) this.verified.delete(this.verified.keys().next().value!);
      this.verified.set(token, cartId);
    }
    return cartId;
  }

  private check(token: string): string | null {
    const match = TOKEN.exec(token);
    if (!match) return null;
    const [, cartId, signature] = match as unknown as [string, string, string];
    if (!isCartId(cartId)) return null;
    const given = Buffer.from(signature, 'base64url');
    const expected = this.mac(cartId);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
    // base64url has spare bits in its last character: accept only the canonical spelling.
    return given.toString('base64url') === signature ? cartId : null;
  }

  private tokenOf(cartId: string): string {
    return `${cartId}.${this.mac(cartId).toString('base64url')}`;
  }

  private mac(cartId: string): Buffer {
    return this.key.digest(cartId);
  }
}

export function deriveCartTokenKey(secret: string): Buffer {
  return createHmac('sha256', secret).update(KEY_LABEL).digest();
}
