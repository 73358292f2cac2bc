import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { CacheService } from '../create-cache.js';
import type { InvalidationBus } from './invalidation-bus.js';
import { CacheKit, SHARED_REDIS_URL, sleep } from '../core/testing/kit.js';

const MEMBER = fileURLToPath(new URL('../testing/fixtures/l1-member.ts', import.meta.url));

async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(10);
  }
}

/** Internals a test reaches into to make a message go missing. */
type BusInternals = { seq: number; beat(): Promise<void>; subscriberId: number | undefined };
const internals = (bus: InvalidationBus | undefined): BusInternals => bus as unknown as BusInternals;

describe('L1 coherence when invalidation messages are lost (real Redis)', () => {
  const kit = new CacheKit('l1loss');
  const l1 = { max: 1_000, ttlMs: 1_000 };
  let a: CacheService;
  let b: CacheService;

  beforeAll(async () => {
    a = await kit.cache({ l1, defaultTtl: 60_000 });
    b = await kit.cache({ l1, defaultTtl: 60_000 });
  });
  afterAll(() => kit.cleanup());

  it('a gap in a publisher sequence flushes the receiver L1', async () => {
    await a.namespace('gap').delete('first'); // b has seen a message of a's
    await a.namespace('gap').getOrLoad('k', async () => 'v1');
    await b.namespace('gap').getOrLoad('k', async () => 'unexpected');
    expect(b.namespace('gap').peek('k')).toEqual({ value: 'v1' });
    internals(a.bus).seq++; // the message with this number never arrives
    const flushes = b.bus!.lossFlushes;
    await a.namespace('gap').delete('other'); // the next message shows the gap
    expect(b.bus!.lossFlushes).toBe(flushes + 1);
    expect(b.namespace('gap').peek('k')).toBeUndefined();
  });

  it('an instance dropped from presence flushes its L1 at its next heartbeat', async () => {
    await b.namespace('dropped').getOrLoad('k', async () => 'v');
    expect(b.namespace('dropped').peek('k')).toEqual({ value: 'v' });
    const raw = await kit.client();
    await raw.hdel(`${kit.prefix}:__cache_instances`, b.instanceId); // as a publisher that timed out on it
    await internals(b.bus).beat();
    expect(b.namespace('dropped').peek('k')).toBeUndefined();
    expect(await raw.hexists(`${kit.prefix}:__cache_instances`, b.instanceId)).toBe(1); // joined again
  });

  it('a SIGKILLed instance stalls one invalidation, not every one until its presence expires', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', MEMBER, SHARED_REDIS_URL, kit.prefix, String(l1.ttlMs)], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    const ready = await new Promise<string>((resolve) => createInterface({ input: child.stdout }).once('line', resolve));
    expect(ready).toBe('ready');
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const c = a.namespace('crash');
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      const start = Date.now();
      await c.set('k', i);
      times.push(Date.now() - start);
    }
    // The first waits for the dead instance's acknowledgement (ackTimeoutMs = ttl + 1 s), then drops it.
    expect(times[0]).toBeGreaterThanOrEqual(l1.ttlMs);
    // The later ones wait for no dead instance: well under the 2 s acknowledgement timeout.
    for (const t of times.slice(1)) expect(t).toBeLessThan(1_500);
  });

  it('killing the subscriber connections during 1,000 writes leaves no stale read', async () => {
    const raw = await kit.client();
    let source = 0; // the database: written first, then the cache (write-through)
    let committed = 0; // the last write whose cache update returned
    const stale: number[] = [];
    let worstStaleMs = 0;
    const ca = a.namespace('kill');
    const cb = b.namespace('kill');
    let writing = true;
    const reader = (async () => {
      while (writing) {
        const floor = committed;
        const since = Date.now();
        const v = await cb.getOrLoad<number>('k', async () => source);
        if (v < floor) {
          stale.push(floor - v);
          worstStaleMs = Math.max(worstStaleMs, Date.now() - since);
        }
        await sleep(0);
      }
    })();
    for (let i = 1; i <= 1_000; i++) {
      source = i;
      await ca.set('k', i);
      committed = i;
      // Only this test's subscribers: the shared Redis also serves the suites running beside it.
      if (i === 300 || i === 700) {
        for (const bus of [a.bus, b.bus]) await raw.call('CLIENT', 'KILL', 'ID', String(internals(bus).subscriberId));
      }
    }
    writing = false;
    await reader;
    await eventually(() => !a.l1!.suspended && !b.l1!.suspended);
    console.log(`subscriber killed twice during 1,000 writes: ${stale.length} stale reads, worst stale window ${worstStaleMs} ms`);
    expect(stale).toEqual([]);
    expect(await cb.getOrLoad('k', async () => -1)).toBe(1_000);
  });
});
