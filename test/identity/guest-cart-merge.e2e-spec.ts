import { Injectable, Module } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { OnDomainEvent } from '@app/common';
import type { UserSignedIn } from '@app/identity';
import { randomClientIp, registerUser } from '../support/auth.js';
import { createTestApp } from '../support/test-app.js';

const calls: [string, string][] = [];
let failNext = false;

@Injectable()
class FakeCartListener {
  @OnDomainEvent('identity.user-signed-in')
  async onSignedIn(event: UserSignedIn): Promise<void> {
    if (!event.guestCartToken) return;
    calls.push([event.userId, event.guestCartToken]);
    if (failNext) {
      failNext = false;
      throw new Error('cart store down');
    }
  }
}

@Module({ providers: [FakeCartListener] })
class FakeCartModule {}

/** X-Cart-Token on login/register reaches the listeners of identity's sign-in event (the cart's merge). */
describe('identity: guest cart merge event', () => {
  let app: NestFastifyApplication;
  beforeAll(async () => {
    app = await createTestApp({}, { imports: [FakeCartModule] });
  });
  afterAll(async () => {
    await app.close();
  });
  beforeEach(() => calls.splice(0));

  it('emits the sign-in event after register and login with the user id and the cart token', async () => {
    const u = await registerUser(app, { headers: { 'x-cart-token': 'guest-cart-1' } });
    expect(calls).toEqual([[u.user.id, 'guest-cart-1']]);
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: { 'x-cart-token': 'guest-cart-2', 'x-forwarded-for': randomClientIp() },
      payload: { email: u.email, password: u.password },
    });
    expect(res.statusCode).toBe(200);
    expect(calls).toEqual([
      [u.user.id, 'guest-cart-1'],
      [u.user.id, 'guest-cart-2'],
    ]);
  });

  it('carries no token without the header, is not emitted after a failed login, and a failing listener does not fail sign-in', async () => {
    const u = await registerUser(app);
    await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: { 'x-cart-token': 'guest-cart-3', 'x-forwarded-for': randomClientIp() },
      payload: { email: u.email, password: 'wrong-password' },
    });
    expect(calls).toEqual([]);
    failNext = true;
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      headers: { 'x-cart-token': 'guest-cart-4', 'x-forwarded-for': randomClientIp() },
      payload: { email: u.email, password: u.password },
    });
    expect(res.statusCode).toBe(200);
    expect(calls).toEqual([[u.user.id, 'guest-cart-4']]);
  });
});
