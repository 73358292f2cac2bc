/**
 * The benchmark's reference: plain Fastify + ioredis answering the same product JSON from Redis
 * (one GET per request, no framework, no validation, no logging). Started by bench/http.ts with
 * PORT, REDIS_URL and REF_PREFIX; the bench loads the bodies under `{REF_PREFIX}:product:{id}`
 * and `{REF_PREFIX}:list` before measuring. With REF_DB_URL (and REF_DB_POOL), a list query with
 * `maxPrice` is the uncached list: the API's list statement (libs/catalog product-list.repository)
 * sent by a plain `pg` pool, every request.
 */
import { randomUUID } from 'node:crypto';
import Fastify from 'fastify';
import { Redis } from 'ioredis';
import pg from 'pg';

const prefix = process.env.REF_PREFIX!;
const redis = new Redis(process.env.REDIS_URL!);
const db = process.env.REF_DB_URL
  ? new pg.Pool({ connectionString: process.env.REF_DB_URL, max: Number(process.env.REF_DB_POOL ?? 10) })
  : null;
const app = Fastify({ logger: false });

// The API's statement for `?maxPrice=N&sort=price&limit=L` (page 1): page and total from one snapshot.
const LIST_SQL = `
  WITH filtered AS NOT MATERIALIZED (
    SELECT p.id, p.sku, p.name, p.description, p.price_cents, p.currency, p.stock, p.created_at, p.updated_at,
      c.id AS category_id, c.name AS category_name, c.slug AS category_slug
    FROM catalog.products p JOIN catalog.categories c ON c.id = p.category_id
    WHERE p.deleted_at IS NULL AND p.price_cents <= $1::int
  )
  SELECT t.total, f.id, f.sku, f.name, f.description, f.price_cents, f.currency, f.stock,
    to_char(f.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS created_at,
    to_char(f.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS updated_at,
    f.category_id, f.category_name, f.category_slug
  FROM (SELECT count(*)::int AS total FROM filtered) t
  LEFT JOIN LATERAL (SELECT * FROM filtered f ORDER BY f.price_cents ASC, f.id ASC LIMIT $2::int OFFSET 0) f ON true
  ORDER BY f.price_cents ASC, f.id ASC`;
type ListRow = {
  total: number;
  id: string | null;
  sku: string;
  name: string;
  description: string;
  price_cents: number;
  currency: string;
  stock: number;
  created_at: string;
  updated_at: string;
  category_id: string;
  category_name: string;
  category_slug: string;
};

async function uncachedList(maxPrice: number, limit: number): Promise<unknown> {
  const { rows } = await db!.query<ListRow>(LIST_SQL, [maxPrice, limit]);
  const items = rows
    .filter((r) => r.id !== null)
    .map((r) => ({
      id: r.id,
      sku: r.sku,
      name: r.name,
      description: r.description,
      priceCents: r.price_cents,
      currency: r.currency.trim(),
      stock: r.stock,
      category: { id: r.category_id, name: r.category_name, slug: r.category_slug },
      createdAt: r.created_at,
      updatedAt: r.updated_at,
    }));
  return { items, total: rows[0]?.total ?? 0, page: 1, limit };
}

app.get<{ Params: { id: string } }>('/api/v1/products/:id', async (request, reply) => {
  const body = await redis.get(`${prefix}:product:${request.params.id}`);
  if (body === null) return reply.code(404).send({ statusCode: 404 });
  return reply.type('application/json; charset=utf-8').send(body);
});

app.get<{ Querystring: { maxPrice?: string; limit?: string } }>('/api/v1/products', async (request, reply) => {
  if (db && request.query.maxPrice !== undefined)
    return reply.send(await uncachedList(Number(request.query.maxPrice), Number(request.query.limit ?? 20)));
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
    ids.push(flat[i]);
    qty.push(Number(flat[i + 1]));
  }
  const bodies = ids.length ? await redis.mget(ids.map((id) => `${prefix}:product:${id}`)) : [];
  let totalQuantity = 0;
  let totalCents = 0;
  const items = ids.map((productId, i) => {
    const p = bodies[i] ? (JSON.parse(bodies[i]) as Product) : null;
    const quantity = qty[i];
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
  const result = (await redis.eval(ADD, 2, ...cartKeys(cartId), productId, quantity, product.stock, snapshot, now, CART_TTL_MS)) as [
    number,
    string[]?,
  ];
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
