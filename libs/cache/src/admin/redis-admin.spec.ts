import { Redis } from 'ioredis';
import { startRedisServer, type RedisServerHandle } from '../testing/redis-harness.js';
import { deleteKeysWithPrefix, uniquePrefix } from '../testing/test-keys.js';
import { parseInfo } from './info-parser.js';
import { RedisAdmin } from './redis-admin.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

describe('parseInfo', () => {
  it('parses sections, numbers, strings and key=value lists', () => {
    const info = parseInfo(
      '# Server\r\nredis_version:7.0.15\r\nuptime_in_seconds:12\r\nmem_fragmentation_ratio:1.25\r\n\r\n' +
        '# Keyspace\r\ndb0:keys=3,expires=1,avg_ttl=5000\r\n# Commandstats\r\ncmdstat_get:calls=2,usec=4,usec_per_call=2.00\r\n',
    );
    expect(info).toEqual({
      server: { redis_version: '7.0.15', uptime_in_seconds: 12, mem_fragmentation_ratio: 1.25 },
      keyspace: { db0: { keys: 3, expires: 1, avg_ttl: 5000 } },
      commandstats: { cmdstat_get: { calls: 2, usec: 4, usec_per_call: 2 } },
    });
  });
});

describe('RedisAdmin (shared Redis, own keys only)', () => {
  const prefix = uniquePrefix('admin');
  const client = new Redis(REDIS_URL);
  const admin = new RedisAdmin(client);

  // Connected before the first timed command: connecting is not part of any deadline under test.
  beforeAll(() => client.ping());

  afterAll(async () => {
    await deleteKeysWithPrefix(client, prefix);
    await client.quit();
  });

  it('ping, version, info, memory stats', async () => {
    expect(await admin.ping()).toBeGreaterThanOrEqual(0);
    expect(await admin.serverVersion()).toMatch(/^\d+\.\d+\.\d+/);
    const info = await admin.info();
    expect(typeof info.server?.redis_version).toBe('string');
    expect(typeof info.memory?.used_memory).toBe('number');
    expect(Object.keys(await admin.info('clients'))).toEqual(['clients']);
    const memory = await admin.memoryStats();
    expect(memory.totalAllocated).toBeGreaterThan(0);
    expect(memory.raw['peak.allocated']).toBe(memory.peakAllocated);
  });

  it('scan iterates over exactly the matching keys', async () => {
    const keys = Array.from({ length: 1_234 }, (_, i) => `${prefix}:k:${i}`);
    await client.mset(...keys.flatMap((k) => [k, '1']));
    await client.hset(`${prefix}:h`, 'f', '1');
    const seen = new Set<string>();
    for await (const key of admin.scan(`${prefix}:k:*`, { count: 100 })) seen.add(key);
    expect(seen).toEqual(new Set(keys));
    const hashes: string[] = [];
    for await (const key of admin.scan(`${prefix}:*`, { type: 'hash' })) hashes.push(key);
    expect(hashes).toEqual([`${prefix}:h`]);
  });

  it('ttl / pttl / expire / pexpire / persist', async () => {
    const key = `${prefix}:ttl`;
    expect(await admin.ttl(key)).toBe(-2);
    await client.set(key, 'v');
    expect(await admin.ttl(key)).toBe(-1);
    expect(await admin.expire(key, 100)).toBe(true);
    expect(await admin.ttl(key)).toBeGreaterThan(90);
    expect(await admin.pexpire(key, 50_000)).toBe(true);
    expect(await admin.pttl(key)).toBeLessThanOrEqual(50_000);
    expect(await admin.persist(key)).toBe(true);
    expect(await admin.ttl(key)).toBe(-1);
    expect(await admin.expire(`${prefix}:missing`, 10)).toBe(false);
  });
});

describe('RedisAdmin dbsize (private Redis)', () => {
  let server: RedisServerHandle;
  let client: Redis;
  beforeAll(async () => {
    server = await startRedisServer();
    client = new Redis(server.port, server.host);
  });
  afterAll(async () => {
    await client.quit();
    await server.dispose();
  });

  it('counts the keys and sees them in the keyspace section', async () => {
    const admin = new RedisAdmin(client);
    expect(await admin.dbsize()).toBe(0);
    await client.mset('a', '1', 'b', '2', 'c', '3');
    await client.expire('a', 100);
    expect(await admin.dbsize()).toBe(3);
    const info = await admin.info('keyspace');
    expect(info.keyspace?.db0).toMatchObject({ keys: 3, expires: 1 });
    expect(admin.nodes()).toEqual([`127.0.0.1:${server.port}`]);
  });
});
