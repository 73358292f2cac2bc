import { Redis } from 'ioredis';
import { KeyBuilder } from '../keys/key-builder.js';
import { deleteKeysWithPrefix, uniquePrefix } from '../testing/test-keys.js';
import { FencingTokens, LockNotHeldError } from './fencing-tokens.js';
import { LockService } from './lock.service.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('fencing tokens are drawn while the lock is held', () => {
  const prefix = uniquePrefix('fence');
  const client = new Redis(REDIS_URL);
  const keys = new KeyBuilder({ prefix });

  // Connected before the first timed command: connecting is not part of any deadline under test.
  beforeAll(() => client.ping());

  afterAll(async () => {
    await deleteKeysWithPrefix(client, prefix);
    await client.quit();
  });

  it('no token for a holder whose lock now holds someone else', async () => {
    const fencing = new FencingTokens([client], 1_000);
    const lock = { lockKey: keys.hashTagged('locks', 'r'), value: 'mine', tokenKey: keys.hashTagged('locks', 'r', '_fence') };
    await client.set(lock.lockKey, 'mine', 'PX', 10_000);
    const first = await fencing.next([lock]);
    await client.set(lock.lockKey, 'theirs', 'PX', 10_000); // our lease ran out, someone took over
    await expect(fencing.next([lock])).rejects.toBeInstanceOf(LockNotHeldError);
    expect(await fencing.next([{ ...lock, value: 'theirs' }])).toBe(first + 1);
  });

  it('a holder that stalls past its lease before drawing its token never runs beside the next holder', async () => {
    const locks = new LockService({ clients: [client], keys, defaultWait: 5_000 });
    const fencing = (locks as unknown as { fencing: FencingTokens }).fencing;
    const draw = fencing.next.bind(fencing);
    let stalled = false;
    fencing.next = async (l) => {
      if (!stalled) {
        stalled = true;
        await sleep(400); // a GC pause: the 200 ms lease runs out, B takes the lock
      }
      return draw(l);
    };
    const runs: { who: string; token: number; start: number; end: number }[] = [];
    const work =
      (who: string) =>
      async ({ fencingToken }: { fencingToken: number }) => {
        const start = Date.now();
        await sleep(300);
        runs.push({ who, token: fencingToken, start, end: Date.now() });
      };
    const a = locks.withLock('res', work('A'), { ttl: 200, extendBefore: 100 });
    await sleep(250);
    const b = locks.withLock('res', work('B'), { ttl: 2_000 });
    await Promise.all([a, b]);
    runs.sort((x, y) => x.start - y.start);
    expect(runs.map((r) => r.who)).toEqual(['B', 'A']);
    expect(runs[1].start).toBeGreaterThanOrEqual(runs[0].end); // no overlap
    expect(runs[1].token).toBeGreaterThan(runs[0].token);
  });
});
