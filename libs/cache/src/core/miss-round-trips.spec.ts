import { Redis } from 'ioredis';
import type { CacheService } from '../create-cache.js';
import type { RedisClient } from '../redis/connection.js';
import { CacheKit, SHARED_REDIS_URL, deferred, sleep } from './testing/kit.js';

/** The commands this process sends that name `needle` (MONITOR, without what scripts run inside). */
class CommandLog {
  readonly sent: string[][] = [];
  private monitor: Redis | undefined;
  private readonly conn = new Redis(SHARED_REDIS_URL, { lazyConnect: true });

  constructor(private readonly needle: string) {}

  async start(): Promise<void> {
    this.monitor = await this.conn.monitor();
    this.monitor.on('monitor', (_time: string, args: string[], source: string) => {
      if (source !== 'lua' && args.some((a) => a.includes(this.needle))) this.sent.push(args);
    });
    // MONITOR starts with the next command: wait until it sees one of ours.
    const probe = new Redis(SHARED_REDIS_URL);
    for (let i = 0; this.sent.length === 0 && i < 100; i++) {
      await probe.get(`${this.needle}:probe`);
      await sleep(10);
    }
    probe.disconnect();
    expect(this.sent.length).toBeGreaterThan(0);
    this.sent.length = 0;
  }

  /** Command names sent until nothing more comes for a moment (the fire-and-forget ones included). */
  async settle(): Promise<string[]> {
    await sleep(150);
    return this.sent.map((args) => args[0].toLowerCase());
  }

  stop(): void {
    this.monitor?.disconnect();
    this.conn.disconnect();
  }
}

describe('the miss path in round trips (real Redis)', () => {
  const kit = new CacheKit('trips');
  let svc: CacheService;
  let raw: RedisClient;
  let log: CommandLog;

  beforeAll(async () => {
    svc = await kit.cache({ l1: false });
    raw = await kit.client();
    log = new CommandLog(kit.prefix);
    await log.start();
  });
  afterAll(async () => {
    log.stop();
    await kit.cleanup();
  });

  it('a miss loaded under the load lock: read, lock with the second read, store with the release (3 commands)', async () => {
    const c = svc.namespace('list');
    await c.getOrLoad('warm', async () => 1); // the namespace version exists: no ensure script below
    await log.settle();
    log.sent.length = 0;

    expect(await c.getOrLoad('k', async () => ({ page: 1 }))).toEqual({ page: 1 });
    expect(await log.settle()).toEqual(['mget', 'evalsha', 'evalsha']);
    // Nothing of the lock is left: the store freed the lock and its fence.
    expect(await raw.keys(`${kit.prefix}*_lock*`)).toEqual([]);
    expect(await c.getOrLoad('k', async () => ({ page: 2 }))).toEqual({ page: 1 });
  });

  it('a load that stores nothing (no negative caching) still frees its lock', async () => {
    const c = svc.namespace('nothing');
    await c.getOrLoad('warm', async () => 1);
    expect(await c.getOrLoad('gone', async () => undefined)).toBeUndefined();
    await sleep(100);
    expect(await raw.keys(`${kit.prefix}*nothing*_lock*`)).toEqual([]);
  });

  it('a holder that finds the value stored by the previous holder answers it, reading it with the lock', async () => {
    const c = svc.namespace('handover');
    await c.getOrLoad('warm', async () => 1);
    const started = deferred();
    const release = deferred<string>();
    const first = c.getOrLoad('k', async () => {
      started.resolve();
      return release.promise;
    });
    await started.promise;
    let secondCalls = 0;
    const second = c.getOrLoad(
      'k',
      async () => {
        secondCalls++;
        return 'second';
      },
      {},
    );
    await sleep(30);
    release.resolve('first');
    expect(await first).toBe('first');
    expect(await second).toBe('first');
    expect(secondCalls).toBe(0);
  });

  it('tagged entries keep the two-step lock (their tags are more keys): same answers', async () => {
    const c = svc.namespace('tagged');
    await c.getOrLoad('warm', async () => 1);
    await log.settle();
    log.sent.length = 0;
    expect(await c.getOrLoad('k', async () => 'v', { tags: ['t1'] })).toBe('v');
    const names = await log.settle();
    expect(names.filter((n) => n === 'evalsha').length).toBeGreaterThanOrEqual(2);
    expect(await raw.keys(`${kit.prefix}*tagged*_lock*`)).toEqual([]);
    await c.invalidateTag('t1');
    expect(await c.getOrLoad('k', async () => 'w', { tags: ['t1'] })).toBe('w');
  });
});
