import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { CartService } from '../../libs/cart/src/services/cart.service.js';
import { CartStore, guestCart, userCart, type CapsLookup } from '../../libs/cart/src/store/cart.store.js';
import { CartTokenService } from '../../libs/cart/src/services/cart-token.service.js';
import { randomClientIp, registerUser } from '../support/auth.js';
import { ProductFactory, type Product } from '../support/catalog.js';
import { createTestApp } from '../support/test-app.js';
import { CART_TEST_ENV, CartClient, type CartBody } from './cart-fixtures.js';

const quantities = (body: CartBody): Record<string, number> => Object.fromEntries(body.items.map((i) => [i.productId, i.quantity]));

describe('cart under concurrency', () => {
  let app: NestFastifyApplication;
  let cart: CartClient;
  let products: ProductFactory;
  let a: Product;
  let b: Product;
  let c: Product;

  beforeAll(async () => {
    app = await createTestApp(CART_TEST_ENV);
    cart = new CartClient(app);
    products = await ProductFactory.create(app);
    [a, b, c] = await products.products(3, { stock: 10_000 });
  });
  afterAll(async () => {
    await app.close();
  });

  it('50 concurrent adds of 1 → quantity exactly 50 (user and guest carts)', async () => {
    const u = await registerUser(app);
    const results = await Promise.all(Array.from({ length: 50 }, () => cart.add(a.id, 1, { token: u.accessToken })));
    expect(results.map((r) => r.statusCode)).toEqual(Array(50).fill(200));
    expect(quantities((await cart.get({ token: u.accessToken })).json())).toEqual({ [a.id]: 50 });

    const token = (await cart.add(b.id, 1)).headers['x-cart-token'] as string;
    await Promise.all(Array.from({ length: 49 }, () => cart.add(b.id, 1, { cartToken: token })));
    expect((await cart.count({ cartToken: token })).json()).toEqual({ count: 50, lines: 1 });
  });

  it('concurrent adds never exceed the stock: exactly `stock` succeed, the rest are 409', async () => {
    const u = await registerUser(app);
    const scarce = await products.product({ stock: 7 });
    const results = await Promise.all(Array.from({ length: 20 }, () => cart.add(scarce.id, 1, { token: u.accessToken })));
    expect(results.filter((r) => r.statusCode === 200)).toHaveLength(7);
    expect(results.filter((r) => r.statusCode === 409)).toHaveLength(13);
    expect(quantities((await cart.get({ token: u.accessToken })).json())).toEqual({ [scarce.id]: 7 });
  });

  it('concurrent adds and removes of different lines lose nothing', async () => {
    const u = await registerUser(app);
    const lines = await products.products(10, { stock: 10_000 });
    // lines 0..4 exist and get removed while lines 5..9 are added, all interleaved
    for (const p of lines.slice(0, 5)) await cart.add(p.id, 1, { token: u.accessToken });
    await Promise.all(
      lines.flatMap((p, i) =>
        i < 5
          ? [cart.remove(p.id, { token: u.accessToken }), cart.remove(p.id, { token: u.accessToken })]
          : Array.from({ length: 5 }, () => cart.add(p.id, 2, { token: u.accessToken })),
      ),
    );
    expect(quantities((await cart.get({ token: u.accessToken })).json())).toEqual(
      Object.fromEntries(lines.slice(5).map((p) => [p.id, 10])),
    );
  });

  describe.each([
    ['merge through login (one Lua script over both carts)', 'login'],
    ['CartStore.mergeAtomic', 'atomic'],
    ['CartStore.mergeStepwise (the cluster path, on one node)', 'stepwise'],
  ])('%s under concurrent writes to both carts', (_label, mode) => {
    it('loses nothing: every unit added to either cart ends up in exactly one of them', async () => {
      for (let round = 0; round < 4; round++) {
        const u = await registerUser(app);
        const guestToken = (await cart.add(a.id, 1)).headers['x-cart-token'] as string;
        await cart.add(c.id, 2, { cartToken: guestToken });
        await cart.add(b.id, 1, { token: u.accessToken });
        const guestId = app.get(CartTokenService).verify(guestToken)!;

        const merge = (): Promise<unknown> => {
          if (mode === 'login') {
            return app.inject({
              method: 'POST',
              url: '/api/v1/auth/login',
              headers: { 'x-cart-token': guestToken, 'x-forwarded-for': randomClientIp() },
              payload: { email: u.email, password: u.password },
            });
          }
          const store = app.get(CartStore);
          const caps: CapsLookup = async (ids) => new Map(ids.map((id) => [id, 100]));
          return mode === 'atomic'
            ? store.mergeAtomic(guestCart(guestId), userCart(u.user.id), caps)
            : store.mergeStepwise(guestCart(guestId), userCart(u.user.id), caps);
        };
        // Four writers (guest/user × product a/b) keep adding while the merge runs (at least once
        // each, at most 20 times, so no line reaches the 100 cap); only answered adds are counted.
        let merging = true;
        const added = { a: 1, b: 1 };
        const writer = async (write: () => Promise<{ statusCode: number }>, key: 'a' | 'b') => {
          let n = 0;
          do {
            const res = await write();
            expect(res.statusCode).toBe(200);
            added[key]++;
            n++;
          } while (merging && n < 20);
        };
        await Promise.all([
          merge().finally(() => (merging = false)),
          writer(() => cart.add(a.id, 1, { cartToken: guestToken }), 'a'),
          writer(() => cart.add(b.id, 1, { cartToken: guestToken }), 'b'),
          writer(() => cart.add(a.id, 1, { token: u.accessToken }), 'a'),
          writer(() => cart.add(b.id, 1, { token: u.accessToken }), 'b'),
        ]);

        const user = quantities((await cart.get({ token: u.accessToken })).json());
        const guest = quantities((await cart.get({ cartToken: guestToken })).json());
        const sum = (id: string) => (user[id] ?? 0) + (guest[id] ?? 0);
        expect([round, sum(a.id), sum(b.id), sum(c.id)]).toEqual([round, added.a, added.b, 2]);
        // the guest's lines from before the merge are in the user cart
        expect(user[c.id]).toBe(2);
        expect(user[a.id]).toBeGreaterThanOrEqual(1);
      }
    });
  });

  it('two merges of one guest cart at once apply it once', async () => {
    const u = await registerUser(app);
    const token = (await cart.add(a.id, 3)).headers['x-cart-token'] as string;
    const service = app.get(CartService);
    await Promise.all([service.mergeGuest(u.user.id, token), service.mergeGuest(u.user.id, token), service.mergeGuest(u.user.id, token)]);
    expect(quantities((await cart.get({ token: u.accessToken })).json())).toEqual({ [a.id]: 3 });
  });
});
