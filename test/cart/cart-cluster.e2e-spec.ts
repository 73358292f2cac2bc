import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Cluster } from 'ioredis';
import { startRedisCluster, type RedisClusterHandle } from '@app/cache/testing/redis-harness.js';
import { CartStore, guestCart, userCart, type CapsLookup } from '../../libs/cart/src/store/cart.store.js';
import { CartTokenService } from '../../libs/cart/src/services/cart-token.service.js';
import { registerUser } from '../support/auth.js';
import { ProductFactory, type Product } from '../support/catalog.js';
import { createTestApp } from '../support/test-app.js';
import { CART_TEST_ENV, CartClient, cartKeys, redisOf, type CartBody } from './cart-fixtures.js';

const quantities = (body: CartBody): Record<string, number> => Object.fromEntries(body.items.map((i) => [i.productId, i.quantity]));

/** The whole cart on a 3-master Redis Cluster: guest and user carts live in different slots. */
describe('cart on a Redis Cluster', () => {
  let cluster: RedisClusterHandle;
  let app: NestFastifyApplication;
  let cart: CartClient;
  let store: CartStore;
  let a: Product;
  let b: Product;

  beforeAll(async () => {
    cluster = await startRedisCluster({ masters: 3 });
    app = await createTestApp({
      ...CART_TEST_ENV,
      REDIS_MODE: 'cluster',
      REDIS_URL: '',
      REDIS_CLUSTER_NODES: cluster.nodes.map((n) => `${n.host}:${n.port}`).join(','),
    });
    cart = new CartClient(app);
    store = app.get(CartStore);
    [a, b] = await (await ProductFactory.create(app)).products(2, { stock: 1000 });
  }, 120_000);
  afterAll(async () => {
    await app?.close();
    await cluster?.stop();
  });

  it('runs every route; a cart’s two keys share one slot', async () => {
    const u = await registerUser(app);
    const res = await cart.add(a.id, 2, { token: u.accessToken });
    expect(res.statusCode).toBe(200);
    await cart.add(b.id, 1, { token: u.accessToken });
    await cart.set(b.id, 5, { token: u.accessToken });
    expect((await cart.count({ token: u.accessToken })).json()).toEqual({ count: 7, lines: 2 });
    expect(quantities((await cart.get({ token: u.accessToken })).json())).toEqual({ [a.id]: 2, [b.id]: 5 });
    await cart.remove(a.id, { token: u.accessToken });
    expect((await cart.clear({ token: u.accessToken })).statusCode).toBe(204);

    const redis = redisOf(app) as Cluster;
    const [q, d] = store.keys(userCart(u.user.id));
    expect(await redis.cluster('KEYSLOT', q)).toBe(await redis.cluster('KEYSLOT', d));
  });

  it('50 concurrent adds → 50', async () => {
    const u = await registerUser(app);
    await Promise.all(Array.from({ length: 50 }, () => cart.add(a.id, 1, { token: u.accessToken })));
    expect(quantities((await cart.get({ token: u.accessToken })).json())).toEqual({ [a.id]: 50 });
  });

  it('merge on register crosses slots (freeze → apply → drop) and leaves no guest keys', async () => {
    const token = (await cart.add(a.id, 2)).headers['x-cart-token'] as string;
    await cart.add(b.id, 3, { cartToken: token });
    const u = await registerUser(app, { headers: { 'x-cart-token': token } });
    const redis = redisOf(app) as Cluster;
    const guestId = app.get(CartTokenService).verify(token)!;
    expect(await redis.cluster('KEYSLOT', store.keys(guestCart(guestId))[0])).not.toBe(
      await redis.cluster('KEYSLOT', store.keys(userCart(u.user.id))[0]),
    );
    expect(quantities((await cart.get({ token: u.accessToken })).json())).toEqual({ [a.id]: 2, [b.id]: 3 });
    expect((await cartKeys(app)).filter((k) => k.includes(`g-${guestId}`))).toEqual([]);
  });

  it('a merge stopped after any step is resumed by the next one: never lost, never applied twice', async () => {
    const caps: CapsLookup = async (ids) => new Map(ids.map((id) => [id, 100]));
    for (const stopAfter of ['freeze', 'apply'] as const) {
      const u = await registerUser(app);
      await cart.add(a.id, 1, { token: u.accessToken });
      const token = (await cart.add(a.id, 4)).headers['x-cart-token'] as string;
      const guest = guestCart(app.get(CartTokenService).verify(token)!);
      await store.mergeStepwise(guest, userCart(u.user.id), caps, stopAfter); // "crash"
      // the guest keeps writing meanwhile (a new guest cart next to the hand-off)
      await cart.add(b.id, 2, { cartToken: token });
      await store.mergeStepwise(guest, userCart(u.user.id), caps);
      expect([stopAfter, quantities((await cart.get({ token: u.accessToken })).json())]).toEqual([stopAfter, { [a.id]: 5, [b.id]: 2 }]);
      expect((await cartKeys(app)).filter((k) => k.includes(`g-${guest.ownerId}`))).toEqual([]);
    }
  });

  it('concurrent writes to both carts during the merge lose nothing', async () => {
    const u = await registerUser(app);
    const token = (await cart.add(a.id, 1)).headers['x-cart-token'] as string;
    const guest = guestCart(app.get(CartTokenService).verify(token)!);
    let merging = true;
    const added = { a: 1, b: 0 };
    const writer = async (write: () => Promise<{ statusCode: number }>, key: 'a' | 'b') => {
      let n = 0;
      do {
        expect((await write()).statusCode).toBe(200);
        added[key]++;
        n++;
      } while (merging && n < 20);
    };
    await Promise.all([
      store.merge(guest, userCart(u.user.id), async (ids) => new Map(ids.map((id) => [id, 100]))).finally(() => (merging = false)),
      writer(() => cart.add(a.id, 1, { cartToken: token }), 'a'),
      writer(() => cart.add(b.id, 1, { cartToken: token }), 'b'),
      writer(() => cart.add(a.id, 1, { token: u.accessToken }), 'a'),
      writer(() => cart.add(b.id, 1, { token: u.accessToken }), 'b'),
    ]);
    const user = quantities((await cart.get({ token: u.accessToken })).json());
    const rest = quantities((await cart.get({ cartToken: token })).json());
    expect([(user[a.id] ?? 0) + (rest[a.id] ?? 0), (user[b.id] ?? 0) + (rest[b.id] ?? 0)]).toEqual([added.a, added.b]);
  });
});
