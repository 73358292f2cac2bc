import { createHmac, randomUUID } from 'node:crypto';
import type { AppConfig } from '@app/common';
import { CartTokenService } from './cart-token.service.js';

const config = (secret: string, cartSecret: string | null = null) => ({ jwt: { secret }, cart: { tokenSecret: cartSecret } }) as AppConfig;

describe('CartTokenService', () => {
  const tokens = new CartTokenService(config('j'.repeat(40)));

  it('issues `<uuid>.<43 base64url chars>` tokens that verify to their cart id', () => {
    const { cartId, token } = tokens.issue();
    expect(token).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\.[A-Za-z0-9_-]{43}$/);
    expect(tokens.verify(token)).toBe(cartId);
    expect(tokens.issue().cartId).not.toBe(cartId);
  });

  it('rejects forged, tampered, non-canonical and pattern-like tokens', () => {
    const { cartId, token } = tokens.issue();
    const [, sig] = token.split('.') as [string, string];
    const other = randomUUID();
    const lastFlipped = sig.slice(0, -1) + (sig.at(-1) === 'A' ? 'B' : 'A');
    // the last base64url character carries 2 spare bits: another spelling of the same bytes
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const nonCanonical = sig.slice(0, -1) + alphabet[alphabet.indexOf(sig.at(-1)!) ^ 1];
    for (const bad of [
      `${other}.${sig}`,
      `${cartId}.${lastFlipped}`,
      `${cartId}.${nonCanonical}`,
      `${cartId.toUpperCase()}.${sig}`,
      `${cartId}.${sig}=`,
      ` ${token}`,
      `${token}\n`,
      cartId,
      '*',
      'cart:*',
      '',
      `${cartId}.*`,
    ]) {
      expect([bad, tokens.verify(bad)]).toEqual([bad, null]);
    }
    for (const notString of [undefined, null, 42, [token], { token }]) expect(tokens.verify(notString)).toBeNull();
  });

  it('answers a repeated token the same way: remembered when valid, never when rejected, and bounded', () => {
    const { cartId, token } = tokens.issue();
    const [, sig] = token.split('.') as [string, string];
    const tampered = `${cartId}.${sig.slice(0, -1)}${sig.at(-1) === 'A' ? 'B' : 'A'}`;
    for (let i = 0; i < 3; i++) {
      expect(tokens.verify(token)).toBe(cartId);
      expect(tokens.verify(tampered)).toBeNull();
      expect(tokens.verify(`${randomUUID()}.${sig}`)).toBeNull();
    }
    // More tokens than are remembered: the first ones are checked again, and still pass.
    const many = Array.from({ length: 5_000 }, () => tokens.issue());
    for (const t of many) expect(tokens.verify(t.token)).toBe(t.cartId);
    expect(tokens.verify(token)).toBe(cartId);
    expect(tokens.verify(many[0].token)).toBe(many[0].cartId);
    // Remembered by one key, never accepted under another.
    expect(new CartTokenService(config('k'.repeat(40))).verify(token)).toBeNull();
  });

  it('depends on the secret: CART_TOKEN_SECRET when set, else a key derived from JWT_SECRET', () => {
    const { token } = tokens.issue();
    expect(new CartTokenService(config('j'.repeat(40))).verify(token)).not.toBeNull();
    expect(new CartTokenService(config('k'.repeat(40))).verify(token)).toBeNull();
    expect(new CartTokenService(config('j'.repeat(40), 'c'.repeat(40))).verify(token)).toBeNull();
    // a derived key, not the JWT secret itself
    const sign = new CartTokenService(config('j'.repeat(40)));
    const id = randomUUID();
    expect(sign.sign(id).split('.')[1]).not.toBe(createHmac('sha256', 'j'.repeat(40)).update(id).digest('base64url'));
  });
});
