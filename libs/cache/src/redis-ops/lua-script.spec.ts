import { Redis } from 'ioredis';
import { closeConnection, waitForReady } from '../redis/connection.js';
import { startRedisServer, type RedisServerHandle } from '../testing/redis-harness.js';
import { LuaScript } from './lua-script.js';

const INCR_BY = new LuaScript(`return redis.call('INCRBY', KEYS[1], ARGV[1])`);

/** LuaScript on a private Redis: EVALSHA with the EVAL fallback. */
describe('LuaScript', () => {
  let server: RedisServerHandle;
  let client: Redis;

  beforeAll(async () => {
    server = await startRedisServer();
    client = new Redis(server.url);
    await waitForReady(client);
  });

  afterAll(async () => {
    await closeConnection(client);
    await server.dispose();
  });

  it('loads the script with EVAL when the server does not know it (NOSCRIPT), then runs it by SHA', async () => {
    await client.script('FLUSH');
    expect(await INCR_BY.run(client, ['ls:a'], [2])).toBe(2);
    expect(await client.script('EXISTS', INCR_BY.sha)).toEqual([1]);
    expect(await INCR_BY.run(client, ['ls:a'], [3])).toBe(5);
  });
});
