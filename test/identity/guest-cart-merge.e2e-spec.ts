import { Module } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { GUEST_CART_MERGER, type GuestCartMerger } from '../../apps/api/src/identity/guest-cart-merger.js';
import { randomClientIp, registerUser } from '../support/auth.js';
import { createTestApp } from '../support/test-app.js';

const calls: [string, string][] = [];
let failNext = false;

const merger: GuestCartMerger = {
  async merge(userId, cartToken) {
    calls.push([userId, cartToken]);
    if (failNext) {
      failNext = false;
      throw new Error('cart store down');
    }
  },
};

@Module({ providers: [{ provide: GUEST_CART_MERGER, useValue: merger }], exports: [GUEST_CART_MERGER] })
class FakeCartModule {}

/** X-Cart-Token on login/register reaches the GuestCartMerger hook (when a module provides one). */
describe('identity: guest cart merge hook', () => {
  let app: NestFastifyApplication;
  beforeAll(async () => {
    app = await createTestApp({}, { imports: [FakeCartModule] });
  });
  afterAll(async () => {
    await app.close();
  });
  beforeEach(() => calls.splice(0));

  it('calls the merger after register and login with the user id and the cart token', async () => {
    const u = await registerUser(app, { headers: { 'x-cart-token': 'guest-cart-1' } });
    expect(calls).toEqual([[u.user.id, 'guest-cart-1']]);
    const res = await app.inject({ method: 'POST', url: '/api/v1/auth/login', headers: { 'x-cart-token': 'guest-cart-2', 'x-forwarded-for': randomClientIp() }, payload: { email: u.email, password: u.password } });
    expect(res.statusCode).toBe(200);
    expect(calls).toEqual([[u.user.id, 'guest-cart-1'], [u.user.id, 'guest-cart-2']]);
  });

  it('does not call it without the header or after a failed login, and a failing merge does not fail sign-in', async () => {
    const u = await registerUser(app);
    await app.inject({ method: 'POST', url: '/api/v1/auth/login', headers: { 'x-cart-token': 'guest-cart-3', 'x-forwarded-for': randomClientIp() }, payload: { email: u.email, password: 'wrong-password' } });
    expect(calls).toEqual([]);
    failNext = true;
    const res = await app.inject({ method: 'POST', url: '/api/v1/auth/login', headers: { 'x-cart-token': 'guest-cart-4', 'x-forwarded-for': randomClientIp() }, payload: { email: u.email, password: u.password } });
    expect(res.statusCode).toBe(200);
    expect(calls).toEqual([[u.user.id, 'guest-cart-4']]);
  });
});
