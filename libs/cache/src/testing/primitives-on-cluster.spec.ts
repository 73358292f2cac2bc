import type { Cluster } from 'ioredis';
import { RedisAdmin } from '../admin/redis-admin.js';
import { RedisBatch } from '../batch/redis-batch.js';
import { CounterService } from '../counters/counter.service.js';
import { KeyBuilder } from '../keys/key-builder.js';
import { LockBusyError } from '../locks/lock-errors.js';
import { LockService } from '../locks/lock.service.js';
import { closeConnection, createRedisConnection, waitForReady } from '../redis/connection.js';
import { startRedisCluster, type RedisClusterHandle } from './redis-harness.js';

describe('locks, counters, batch and admin on a 3-master cluster', () => {
  let cluster: RedisClusterHandle;
  let client: Cluster;
  const keys = new KeyBuilder({ prefix: 'cl' });

  beforeAll(async () => {
    cluster = await startRedisCluster({ masters: 3 });
    // Generous deadlines: these cases check correctness under concurrency, and a CI machine running
    // other suites beside a freshly started cluster can take longer than the 500 ms default.
    client = createRedisConnection({ nodes: cluster.nodes, commandTimeoutMs: 10_000 }) as Cluster;
    await waitForReady(client, 10_000);
  }, 60_000);
  afterAll(async () => {
    await closeConnection(client);
    await cluster.stop();
  });

  it('pipeline and transaction on hash-tagged keys (one slot); a cross-slot pipeline is refused', async () => {
    const qty = keys.hashTagged('cart', 'c1', 'qty');
    const details = keys.hashTagged('cart', 'c1', 'details');
    const batch = new RedisBatch(client);
    const [a, b] = await batch.transaction((t) => [t.hincrby(qty, 'p1', 2), t.hset(details, 'p1', '{"price":5}')]);
    expect([a, b]).toEqual([2, 1]);
    const [q, d] = await batch.pipeline((p) => [p.hgetall(qty), p.hgetall(details)]);
    expect(q).toEqual({ ok: true, value: { p1: '2' } });
    expect(d).toEqual({ ok: true, value: { p1: '{"price":5}' } });

    const crossSlot = batch.pipeline((p) => [p.get(keys.raw('x', 'a')), p.get(keys.raw('x', 'b'))]);
    await expect(crossSlot).rejects.toThrow(/slot/);
  });

  it('locks (also several resources in different slots) and fencing tokens', async () => {
    const locks = new LockService({ clients: [client], keys, operationTimeout: 10_000 });
    const t1 = await locks.withLock(['alpha', 'beta', 'gamma'], async (ctx) => {
      await expect(locks.withLock('beta', async () => 0, { wait: 0 })).rejects.toBeInstanceOf(LockBusyError);
      return ctx.fencingToken;
    });
    const t2 = await locks.withLock('beta', async (ctx) => ctx.fencingToken);
    expect(t2).toBeGreaterThan(t1);
  });

  it('counters: bounded decrement under concurrency', async () => {
    const counters = new CounterService(client, keys, 'counters', 10_000);
    await counters.set('stock', 50);
    const results = await Promise.all(Array.from({ length: 300 }, () => counters.decrementBounded('stock', 1)));
    expect(results.filter((r) => r.ok)).toHaveLength(50);
    expect(await counters.get('stock')).toBe(0);
    expect(await counters.incr('hits', 2, { ttl: 10_000 })).toBe(2);
  });

  it('admin: dbsize and scan cover every master', async () => {
    const admin = new RedisAdmin(client);
    expect(admin.nodes()).toHaveLength(3);
    const before = await admin.dbsize();
    const written = Array.from({ length: 300 }, (_, i) => keys.raw('spread', i));
    await Promise.all(written.map((k) => client.set(k, '1')));
    expect(await admin.dbsize()).toBe(before + 300);
    for (const node of client.nodes('master')) expect(await node.dbsize()).toBeGreaterThan(0);

    const seen = new Set<string>();
    for await (const key of admin.scan(`${keys.prefix}:spread:*`, { count: 50 })) seen.add(key);
    expect(seen).toEqual(new Set(written));
    expect((await admin.info('server', { node: admin.nodes()[2] })).server?.redis_version).toBeDefined();
  });
});
