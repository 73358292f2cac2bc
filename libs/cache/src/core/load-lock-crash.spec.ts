import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createCache, type CacheService } from '../create-cache.js';
import { createRedisConnection, isCluster, waitForReady, type RedisClient, type RedisConnectionOptions } from '../redis/connection.js';
import { startRedisCluster, type RedisClusterHandle } from '../testing/redis-harness.js';
import { deleteKeysWithPrefix, uniquePrefix } from '../testing/test-keys.js';
import { CacheLoadTimeoutError } from './errors.js';
import { deferred, SHARED_REDIS_URL, sleep } from './testing/kit.js';

const HOLDER = fileURLToPath(new URL('../testing/fixtures/load-holder.ts', import.meta.url));
const NS = 'crash';
/**
 * The load lock's lease (loadLock.ttlMs) of every instance; waitMs is 60 s, so only the lease decides.
 * Long enough that finding the lock (a SCAN of a shared Redis that other suites fill) and reading
 * its PTTL end well before it expires on a busy machine: idle, that takes up to 1 s; under a full
 * test run it once took more than 3 s.
 */
const LEASE = 5_000;
/** What a takeover may take beyond the lease: a waiter polls at most every 100 ms, then reads and loads. */
const MARGIN = 500;
/** A waiter cannot see the lock free before it expires; the PTTL read itself may lag by a round trip. */
const EARLY = 30;

type Event = { event: string; value?: unknown; l1?: { value: unknown } | null; message?: string; errors?: number };

/** A load-holder child process (testing/fixtures/load-holder.ts) and its JSON events. */
class Holder {
  private readonly events: Event[] = [];
  private readonly waiters: ((e: Event) => void)[] = [];
  readonly exited: Promise<void>;

  constructor(readonly proc: ChildProcess) {
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      const e = JSON.parse(line) as Event;
      const w = this.waiters.shift();
      if (w) w(e);
      else this.events.push(e);
    });
    this.exited = new Promise((r) => proc.once('exit', () => r()));
  }

  static async start(redis: RedisConnectionOptions, prefix: string): Promise<Holder> {
    const proc = spawn(process.execPath, ['--import', 'tsx', HOLDER, JSON.stringify(redis), prefix, NS, String(LEASE)], {
      stdio: ['pipe', 'pipe', 'inherit'],
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    const h = new Holder(proc);
    expect(await h.next()).toEqual({ event: 'ready' });
    return h;
  }

  send(cmd: object): void {
    this.proc.stdin!.write(JSON.stringify(cmd) + '\n');
  }

  next(timeoutMs = 20_000): Promise<Event> {
    if (this.events.length) return Promise.resolve(this.events.shift()!);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no event from the holder in time')), timeoutMs);
      this.waiters.push((e) => (clearTimeout(timer), resolve(e)));
    });
  }

  /** Starts getOrLoad(key) whose loader will return `value`; resolves once the loader runs (the lock is held). */
  async holdLock(key: string, value: unknown): Promise<void> {
    this.send({ op: 'load', key, value });
    expect(await this.next()).toEqual({ event: 'loading' });
  }

  async kill(): Promise<void> {
    this.proc.kill('SIGKILL');
    await this.exited;
  }
}

interface Target {
  name: string;
  setUp(): Promise<{ redis: RedisConnectionOptions; close(): Promise<void> }>;
}

const targets: Target[] = [
  { name: 'the shared Redis', setUp: async () => ({ redis: { url: SHARED_REDIS_URL }, close: async () => undefined }) },
  {
    name: 'a 3-master Redis Cluster',
    setUp: async () => {
      const cluster: RedisClusterHandle = await startRedisCluster({ masters: 3 });
      return { redis: { nodes: cluster.nodes }, close: () => cluster.stop() };
    },
  },
];

describe.each(targets)('load lock of a crashed or paused holder, across processes, on $name', (target) => {
  const prefix = uniquePrefix('lockcrash');
  let redis: RedisConnectionOptions;
  let close: () => Promise<void>;
  let raw: RedisClient;
  const caches: CacheService[] = [];
  const holders: Holder[] = [];
  let n = 0;
  const key = () => `k${++n}`;

  /** An instance in this process, with L1 and the same lease as the holders. */
  async function instance(): Promise<CacheService> {
    const svc = createCache({
      // A Redis call that fails is failed open (the caller loads without the lock), which these
      // cases would take for a broken lease: a generous deadline, so a busy machine only slows them.
      redis: { ...redis, commandTimeoutMs: 10_000 },
      operationTimeoutMs: 10_000,
      prefix,
      l1: { max: 100, ttlMs: 30_000 },
      loadLock: { ttlMs: LEASE, waitMs: 60_000 },
    });
    caches.push(svc);
    await svc.ready(15_000);
    return svc;
  }

  async function holder(): Promise<Holder> {
    const h = await Holder.start(redis, prefix);
    holders.push(h);
    return h;
  }

  /** Keys matching `pattern` on every master. */
  async function scan(pattern: string): Promise<string[]> {
    const nodes = isCluster(raw) ? raw.nodes('master') : [raw];
    const found: string[] = [];
    for (const node of nodes) {
      let cursor = '0';
      do {
        const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 10_000);
        found.push(...keys);
        cursor = next;
      } while (cursor !== '0');
    }
    return found;
  }

  /** The remaining lease (ms) of the load lock on the missing entry `k`, and when it was read. */
  async function lease(k: string): Promise<{ left: number; at: number }> {
    const locks = await scan(`${prefix}:${NS}:_lock:*${k}*:-`);
    expect(locks).toHaveLength(1);
    const left = await raw.pttl(locks[0]);
    // -2: the lease ran out between the scan and this read (a loaded machine): none of it is left.
    // -1 (a lock without a lease) would be a bug.
    expect(left === -2 || left > 0).toBe(true);
    return { left: Math.max(0, left), at: Date.now() };
  }

  beforeAll(async () => {
    ({ redis, close } = await target.setUp());
    raw = createRedisConnection({ ...redis, commandTimeoutMs: 5_000 });
    await waitForReady(raw, 15_000);
  }, 60_000);

  afterEach(async () => {
    await Promise.all(
      holders
        .splice(0)
        .filter((h) => h.proc.exitCode === null)
        .map((h) => h.kill()),
    );
  });

  afterAll(async () => {
    await deleteKeysWithPrefix(raw, prefix).catch(() => 0);
    await Promise.all(caches.map((c) => c.close()));
    raw.disconnect();
    await close();
  });

  it('a SIGKILLed holder: another process loads once the lease ends, not after lockWaitMs', async () => {
    const b = (await instance()).namespace(NS);
    const k = key();
    const a = await holder();
    await a.holdLock(k, 'from A');
    await a.kill();
    const { left, at } = await lease(k);
    const start = Date.now();
    const remaining = left - (start - at);
    let loads = 0;
    await expect(b.getOrLoad(k, async () => (loads++, 'from B'))).resolves.toBe('from B');
    const took = Date.now() - start;
    console.log(`takeover after SIGKILL: ${took} ms (lease ${LEASE} ms, ${remaining} ms of it left)`);
    expect(loads).toBe(1);
    expect(took).toBeGreaterThanOrEqual(remaining - EARLY);
    expect(took).toBeLessThanOrEqual(remaining + MARGIN);
    expect(await b.get(k, { l1: false })).toBe('from B');
  }, 30_000);

  it('a SIGKILLed holder: a caller with hardTimeoutMs waits no longer than it, and takes over when the lease ends first', async () => {
    const b = (await instance()).namespace(NS);
    const k = key();
    const a = await holder();
    await a.holdLock(k, 'from A');
    await a.kill();
    const { left, at } = await lease(k);

    // Deadline before the lease ends: rejected at the deadline, not at the lease's end.
    const short = Math.max(Math.floor((left - (Date.now() - at)) / 3), 100);
    let start = Date.now();
    await expect(b.getOrLoad(k, async () => 'too early', { hardTimeoutMs: short })).rejects.toBeInstanceOf(CacheLoadTimeoutError);
    const timedOut = Date.now() - start;
    expect(timedOut).toBeGreaterThanOrEqual(short - 5);
    // Well before the lease's end (about 2 x short later); slack for timers on a loaded machine.
    expect(timedOut).toBeLessThanOrEqual(short + 1_000);

    // Deadline past the lease's end: the value, once the lease ends.
    start = Date.now();
    const remaining = left - (start - at);
    await expect(b.getOrLoad(k, async () => 'from B', { hardTimeoutMs: LEASE + MARGIN })).resolves.toBe('from B');
    const took = Date.now() - start;
    console.log(
      `hardTimeoutMs ${short} ms: rejected after ${timedOut} ms; hardTimeoutMs ${LEASE + MARGIN} ms: value after ${took} ms (${remaining} ms of the lease left)`,
    );
    expect(took).toBeGreaterThanOrEqual(remaining - EARLY);
    expect(took).toBeLessThanOrEqual(remaining + MARGIN);
  }, 30_000);

  /**
   * A holds the lock and is SIGSTOPped past its lease; B (this process) takes over with `bLoads`,
   * which calls `started` when it runs. Returns B's load, how long B waited for the lock and how
   * much of A's lease was left when B began.
   */
  async function pausedHolder(
    k: string,
    a: Holder,
    bLoads: (started: () => void) => Promise<unknown>,
  ): Promise<{ b: Promise<unknown>; waited: number; remaining: number }> {
    const svc = await instance();
    await a.holdLock(k, 'old from A');
    a.proc.kill('SIGSTOP');
    const { left, at } = await lease(k);
    const start = Date.now();
    const started = deferred();
    const b = svc.namespace(NS).getOrLoad(k, () => bLoads(started.resolve));
    b.catch(() => undefined);
    await started.promise;
    return { b, waited: Date.now() - start, remaining: left - (start - at) };
  }

  /** Resumes A and lets its loader return its old value; resolves once A's store was tried. */
  async function resumeAndFinish(a: Holder): Promise<void> {
    a.proc.kill('SIGCONT');
    a.send({ op: 'finish' });
    expect(await a.next()).toEqual({ event: 'loaded', value: 'old from A', errors: 0 }); // refused, not failed
  }

  /** What Redis, a fresh instance, the paused holder and every other L1 hold for `k`. */
  async function everywhere(k: string, a: Holder): Promise<unknown[]> {
    a.send({ op: 'read', key: k });
    const seenByA = await a.next();
    const fresh = (await instance()).namespace(NS);
    const l1s = caches.slice(0, -1).map((c) => c.namespace(NS).peek(k)?.value);
    return [await fresh.get(k, { l1: false }), seenByA.l1?.value, seenByA.value, ...l1s.filter((v) => v !== undefined)];
  }

  it('a holder paused past its lease whose takeover already stored: its late write is refused', async () => {
    const k = key();
    const a = await holder();
    const { b, waited, remaining } = await pausedHolder(k, a, async (started) => (started(), 'new from B'));
    expect(waited).toBeGreaterThanOrEqual(remaining - EARLY);
    expect(await b).toBe('new from B');
    await resumeAndFinish(a);
    const seen = await everywhere(k, a);
    expect(seen[0]).toBe('new from B');
    expect(new Set(seen.filter((v) => v !== undefined))).toEqual(new Set(['new from B']));
  }, 30_000);

  it('a holder paused past its lease that writes while its takeover still loads: refused, the takeover stores', async () => {
    const k = key();
    const a = await holder();
    const gate = deferred();
    const { b, waited, remaining } = await pausedHolder(k, a, async (started) => {
      started();
      await gate.promise;
      return 'new from B';
    });
    console.log(`takeover of a SIGSTOPped holder: ${waited} ms (${remaining} ms of the lease left)`);
    expect(waited).toBeGreaterThanOrEqual(remaining - EARLY);
    expect(waited).toBeLessThanOrEqual(remaining + MARGIN);
    await resumeAndFinish(a); // A's expected head is B's too (the entry was missing for both)
    gate.resolve();
    expect(await b).toBe('new from B');
    const seen = await everywhere(k, a);
    expect(seen[0]).toBe('new from B');
    expect(new Set(seen.filter((v) => v !== undefined))).toEqual(new Set(['new from B']));
  }, 30_000);

  it('a holder paused past its lease whose takeover found nothing and let go: its late write is refused', async () => {
    const k = key();
    const a = await holder();
    const { b } = await pausedHolder(k, a, async (started) => (started(), undefined)); // not found, not cached
    expect(await b).toBeUndefined();
    await sleep(50); // B's lock is released after its load settles
    await resumeAndFinish(a);
    const seen = await everywhere(k, a);
    expect(seen.filter((v) => v !== undefined)).toEqual([]);
  }, 30_000);
});
