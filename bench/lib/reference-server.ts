/**
 * The benchmark's reference: plain Fastify + ioredis answering the same product JSON from Redis
 * (one GET per request, no framework, no validation, no logging). Started by bench/http.ts with
 * PORT, REDIS_URL and REF_PREFIX; the bench loads the bodies under `{REF_PREFIX}:product:{id}`
 * and `{REF_PREFIX}:list` before measuring.
 */
import { randomUUID } from 'node:crypto';
import Fastify from 'fastify';
import { Redis } from 'ioredis';

const prefix = process.env.REF_PREFIX!;
const redis = new Redis(process.env.REDIS_URL!);
const app = Fastify({ logger: false });

app.get<{ Params: { id: string } }>('/api/v1/products/:id', async (request, reply) => {
  const body = await redis.get(`${prefix}:product:${request.params.id}`);
  if (body === null) return reply.code(404).send({ statusCode: 404 });
  return reply.type('application/json; charset=utf-8').send(body);
});

app.get('/api/v1/products', async (_request, reply) => {
  const body = await redis.get(`${prefix}:list`);
  return reply.type('application/json; charset=utf-8').send(body);
});

// Cart reference (bench/http.ts cart rows): the same Redis work as the API's cart, minus the framework.
// add-item: product body from Redis, one Lua script (HINCRBY + snapshot + expiry, returning the
// cart), answer the priced cart of a NEW guest cart. get-cart: one Lua read + one MGET of the
// products, priced body.
const CART_TTL_MS = 7 * 24 * 3_600_000;
const ADD = `local n = redis.call('HINCRBY', KEYS[1], ARGV[1], ARGV[2])
if tonumber(ARGV[3]) < n then redis.call('HINCRBY', KEYS[1], ARGV[1], -ARGV[2]) return {-1} end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[4], '_updatedAt', ARGV[5])
redis.call('PEXPIRE', KEYS[1], ARGV[6]) redis.call('PEXPIRE', KEYS[2], ARGV[6])
return {n, redis.call('HGETALL', KEYS[1])}`;
const READ = `local q = redis.call('HGETALL', KEYS[1]) local u = redis.call('HGET', KEYS[2], '_updatedAt')
redis.call('PEXPIRE', KEYS[1], ARGV[1]) redis.call('PEXPIRE', KEYS[2], ARGV[1])
return {q, u}`;
type Product = { id: string; name: string; priceCents: number; stock: number; currency: string };
const cartKeys = (id: string): [string, string] => [`${prefix}:{cart:${id}}:qty`, `${prefix}:{cart:${id}}:details`];

async function pricedCart(flat: string[], updatedAt: string | null): Promise<unknown> {
  const ids: string[] = [];
  const qty: number[] = [];
  for (let i = 0; i < flat.length; i += 2) {
    ids.push(flat[i]!);
    qty.push(Number(flat[i + 1]));
  }
  const bodies = ids.length ? await redis.mget(ids.map((id) => `${prefix}:product:${id}`)) : [];
  let totalQuantity = 0;
  let totalCents = 0;
  const items = ids.map((productId, i) => {
    const p = bodies[i] ? (JSON.parse(bodies[i]!) as Product) : null;
    const quantity = qty[i]!;
    const available = !!p && p.stock >= quantity;
    const lineTotalCents = (p?.priceCents ?? 0) * quantity;
    if (available) {
      totalQuantity += quantity;
      totalCents += lineTotalCents;
    }
    return { productId, name: p?.name ?? '', priceCents: p?.priceCents ?? 0, quantity, lineTotalCents, available };
  });
  return { items, totalQuantity, totalCents, currency: 'EUR', updatedAt };
}

app.post<{ Body: { productId: string; quantity: number } }>('/api/v1/cart/items', async (request, reply) => {
  const { productId, quantity } = request.body;
  const raw = await redis.get(`${prefix}:product:${productId}`);
  if (raw === null) return reply.code(404).send({ statusCode: 404 });
  const product = JSON.parse(raw) as Product;
  const cartId = randomUUID();
  const now = new Date().toISOString();
  const snapshot = JSON.stringify({ name: product.name, priceCents: product.priceCents, addedAt: now });
  const result = (await redis.eval(ADD, 2, ...cartKeys(cartId), productId, quantity, product.stock, snapshot, now, CART_TTL_MS)) as [number, string[]?];
  if (result[0] < 0) return reply.code(409).send({ statusCode: 409 });
  return reply.header('x-cart-token', cartId).send(await pricedCart(result[1]!, now));
});

app.get('/api/v1/cart', async (request, reply) => {
  const cartId = String(request.headers['x-cart-token'] ?? '');
  const [flat, updatedAt] = (await redis.eval(READ, 2, ...cartKeys(cartId), CART_TTL_MS)) as [string[], string | null];
  return reply.send(await pricedCart(flat, updatedAt));
});

await app.listen({ port: Number(process.env.PORT), host: '127.0.0.1' });
console.log(`reference listening on ${process.env.PORT}`);
