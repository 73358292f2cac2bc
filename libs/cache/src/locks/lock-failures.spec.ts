import { Redis } from 'ioredis';
import { KeyBuilder } from '../keys/key-builder.js';
import { waitForReady } from '../redis/connection.js';
import { startRedisServer, type RedisServerHandle } from '../testing/redis-harness.js';
import { LockBusyError, LockLostError, LockUnavailableError } from './lock-errors.js';
import { LockService } from './lock.service.js';

// These tests stop Redis, so they run against private redis-servers, never the shared one.
const keys = new KeyBuilder({ prefix: 'lockfail' });
// Plain ioredis defaults (offline queue on, 20 retries): the LockService must still answer fast.
const connect = (s: RedisServerHandle) => new Redis(s.port, s.host, { retryStrategy: () => 50 });
const until = async (cond: () => boolean) => {
  while (!cond()) await new Promise((r) => setTimeout(r, 10));
};

describe('LockService when Redis fails', () => {
  let server: RedisServerHandle;
  let client: Redis;
  let locks: LockService;

  beforeAll(async () => {
    server = await startRedisServer();
    client = connect(server);
    // Connected before the first test: its first lock has 1 s for Redis to answer, which a connect
    // on a busy machine (the whole suite running) can take by itself.
    await waitForReady(client);
    locks = new LockService({ clients: [client], keys });
  });
  afterAll(async () => {
    client.disconnect();
    await server.dispose();
  });

  it('busy and unavailable are different errors', async () => {
    await locks.withLock('a', async () => {
      await expect(locks.withLock('a', async () => 0, { wait: 0 })).rejects.toBeInstanceOf(LockBusyError);
    });
    await server.stop();
    await until(() => client.status !== 'ready');
    const started = Date.now();
    const error = await locks.withLock('a', async () => 0, { wait: 1_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LockUnavailableError);
    expect(error).not.toBeInstanceOf(LockBusyError);
    expect(Date.now() - started).toBeLessThan(1_000); // not retried as if it were busy
    await server.start();
    await waitForReady(client);
  });

  it('a holder that outlives its lease because Redis went away sees its signal aborted', async () => {
    const reason = await locks.withLock(
      'b',
      async ({ signal }) => {
        await server.stop();
        return new Promise((resolve) => signal.addEventListener('abort', () => resolve(signal.reason)));
      },
      { ttl: 400 },
    );
    expect(reason).toBeInstanceOf(LockLostError);
    await server.start();
    await waitForReady(client);
  });
});

describe('LockService with a quorum of 3 independent nodes', () => {
  let servers: RedisServerHandle[];
  let clients: Redis[];
  let locks: LockService;

  beforeAll(async () => {
    servers = await Promise.all([startRedisServer(), startRedisServer(), startRedisServer()]);
    clients = servers.map(connect);
    locks = new LockService({ clients, keys });
  });
  afterAll(async () => {
    clients.forEach((c) => c.disconnect());
    await Promise.all(servers.map((s) => s.dispose()));
  });

  const down = async (i: number) => {
    await servers[i].stop();
    await until(() => clients[i].status !== 'ready');
  };
  const up = async (i: number) => {
    await servers[i].start();
    await waitForReady(clients[i], 10_000);
  };

  it('locks on a majority, keeps tokens increasing through node loss, fails unavailable without a majority', async () => {
    const t1 = await locks.withLock('q', async (ctx) => ctx.fencingToken);
    await locks.withLock('q', async () => {
      // Held on all three: a second acquirer is busy, not unavailable.
      await expect(locks.withLock('q', async () => 0, { wait: 0 })).rejects.toBeInstanceOf(LockBusyError);
    });

    await down(0);
    const t2 = await locks.withLock('q', async (ctx) => {
      await expect(locks.withLock('q', async () => 0, { wait: 0 })).rejects.toBeInstanceOf(LockBusyError);
      return ctx.fencingToken;
    });
    expect(t2).toBeGreaterThan(t1);

    // Node 0 comes back empty (no persistence) and node 1 goes away: nodes 0 and 2 still agree on
    // a token above t2, because node 2 was raised to t2.
    await up(0);
    await down(1);
    const t3 = await locks.withLock('q', async (ctx) => ctx.fencingToken);
    expect(t3).toBeGreaterThan(t2);

    await down(2);
    await expect(locks.withLock('q', async () => 0, { wait: 500 })).rejects.toBeInstanceOf(LockUnavailableError);
    await Promise.all([up(1), up(2)]);
    await expect(locks.withLock('q', async (ctx) => ctx.fencingToken)).resolves.toBeGreaterThan(t3);
  }, 60_000);
});
