import { Redis } from 'ioredis';
import { closeConnection, waitForReady } from '../redis/connection.js';
import { startRedisServer, type RedisServerHandle } from '../testing/redis-harness.js';
import { watchSocketWrites } from '../testing/socket-writes.js';
import { LuaScript } from './lua-script.js';

const INCR_BY = new LuaScript(`return redis.call('INCRBY', KEYS[1], ARGV[1])`);

/** LuaScript on a private Redis: EVALSHA with the EVAL fallback, and one socket write per event-loop turn. */
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

  /** Counts the socket's writes (each a syscall) while `fn` runs. */
  async function countWrites<T>(fn: () => Promise<T>): Promise<{ writes: number; result: T }> {
    const writes = watchSocketWrites(client);
    try {
      const result = await fn();
      return { writes: writes.total, result };
    } finally {
      writes.restore();
    }
  }

  it('loads the script with EVAL when the server does not know it (NOSCRIPT), then runs it by SHA', async () => {
    await client.script('FLUSH');
    expect(await INCR_BY.run(client, ['ls:a'], [2])).toBe(2);
    expect(await client.script('EXISTS', INCR_BY.sha)).toEqual([1]);
    expect(await INCR_BY.run(client, ['ls:a'], [3])).toBe(5);
  });

  it('sends the scripts of one event-loop turn, issued from separate callbacks, in one write, answers in order', async () => {
    await INCR_BY.run(client, ['ls:warm'], [1]); // known to the server: no NOSCRIPT round trip below
    const { writes, result } = await countWrites(
      () =>
        new Promise<unknown[]>((resolve, reject) => {
          const runs: Promise<unknown>[] = [];
          // Like the requests an HTTP server reads in one poll phase: each in a callback of its own.
          for (let i = 0; i < 20; i++)
            setImmediate(() => {
              runs.push(INCR_BY.run(client, ['ls:b'], [i + 1]));
              if (runs.length === 20) Promise.all(runs).then(resolve, reject);
            });
        }),
    );
    expect(writes).toBe(1);
    let total = 0;
    expect(result).toEqual(Array.from({ length: 20 }, (_, i) => (total += i + 1)));
    // The next turn's script is sent on its own, promptly.
    const next = await countWrites(() => INCR_BY.run(client, ['ls:b'], [1]));
    expect(next).toEqual({ writes: 1, result: total + 1 });
  });
});
