import { randomUUID } from 'node:crypto';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createTestApp } from '../support/test-app.js';
import type { Redis } from 'ioredis';
import { REDIS_CLIENT } from '@app/cache';
import { watchSocketWrites } from '../../libs/cache/src/testing/socket-writes.js';
import { ADD_WRITE_CHUNK, CartStore, guestCart, parseFlatCart } from '../../libs/cart/src/store/cart.store.js';

/** The cart scripts answer a whole cart as one string (cart-scripts.ts flat()): what it must keep. */
describe('cart store: a cart in one reply string', () => {
  let app: NestFastifyApplication;
  let store: CartStore;
  beforeAll(async () => {
    app = await createTestApp();
    store = app.get(CartStore);
  });
  afterAll(async () => {
    await app.close();
  });

  it('reads back every line, quantity and snapshot, whatever characters the snapshot holds', async () => {
    const cart = guestCart(randomUUID());
    const names = ['plain', 'quote " and \\ backslash', 'control \u0000 \u0001 \u001f chars', 'emoji 🧪 and é', ''];
    const ids = names.map(() => randomUUID());
    for (let i = 0; i < names.length; i++) {
      const outcome = await store.add(cart, ids[i], i + 1, 100, {
        name: names[i],
        priceCents: 100 + i,
        addedAt: `2026-01-0${i + 1}T00:00:00.000Z`,
      });
      expect(outcome.ok).toBe(true);
    }
    const stored = await store.read(cart);
    expect([...stored.quantities]).toEqual(ids.map((id, i) => [id, i + 1]));
    for (let i = 0; i < names.length; i++) {
      expect(stored.snapshots.get(ids[i])).toEqual({ name: names[i], priceCents: 100 + i, addedAt: `2026-01-0${i + 1}T00:00:00.000Z` });
    }
    expect(stored.updatedAt).toEqual(expect.stringMatching(/^\d{4}-\d\d-\d\dT/));
    // The write answers carry the same cart.
    const removed = await store.remove(cart, ids[0]);
    expect([...removed.quantities.keys()]).toEqual(ids.slice(1));
    await store.clear(cart);
  });

  it('sends the adds of one event-loop turn to Redis in writes of eight, each answered with its own cart', async () => {
    const carts = Array.from({ length: 20 }, () => guestCart(randomUUID()));
    const productId = randomUUID();
    const writes = watchSocketWrites(app.get<Redis>(REDIS_CLIENT));
    let outcomes;
    try {
      outcomes = await Promise.all(
        carts.map((cart, i) =>
          store.add(cart, productId, i + 1, 100, { name: `n${i}`, priceCents: 1, addedAt: '2026-01-01T00:00:00.000Z' }),
        ),
      );
    } finally {
      writes.restore();
    }
    expect(writes.total).toBe(Math.ceil(carts.length / ADD_WRITE_CHUNK)); // 3: one per turn would be 1, uncorked 20
    expect(outcomes.map((o) => (o.ok ? [...o.cart.quantities] : o))).toEqual(carts.map((_, i) => [[productId, i + 1]]));
    await Promise.all(carts.map((cart) => store.clear(cart)));
  });

  it('an unknown or emptied cart is empty', async () => {
    const stored = await store.read(guestCart(randomUUID()));
    expect(stored.quantities.size).toBe(0);
    expect(stored.snapshots.size).toBe(0);
    expect(stored.updatedAt).toBeNull();
    expect(parseFlatCart('\x01')).toEqual({ quantities: new Map(), snapshots: new Map(), updatedAt: null });
  });
});
