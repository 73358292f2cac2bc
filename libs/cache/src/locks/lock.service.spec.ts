import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { KeyBuilder } from '../keys/key-builder.js';
import { deleteKeysWithPrefix, uniquePrefix } from '../testing/test-keys.js';
import { LockBusyError, LockLostError } from './lock-errors.js';
import { LockService } from './lock.service.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const CONTENDER = fileURLToPath(new URL('../testing/fixtures/lock-contender.ts', import.meta.url));

function runContender(env: Record<string, string>): Promise<{ overlaps: number }> {
  const { NODE_OPTIONS: _ignored, ...parentEnv } = process.env;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx/esm', CONTENDER], {
      cwd: ROOT,
      env: { ...parentEnv, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (err += c));
    child.on('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop()!)) : reject(new Error(`contender exited ${code}: ${err}`)),
    );
  });
}

describe('LockService (single Redis)', () => {
  const prefix = uniquePrefix('locks');
  const client = new Redis(REDIS_URL);
  const keys = new KeyBuilder({ prefix });
  const locks = new LockService({ clients: [client], keys });

  // Connected before the first timed command: connecting is not part of any deadline under test.
  beforeAll(() => client.ping());

  afterAll(async () => {
    await deleteKeysWithPrefix(client, prefix);
    await client.quit();
  });

  it('4 processes x 100 read-modify-write increments: exact total, no overlap, increasing tokens', async () => {
    const iterations = 100;
    const results = await Promise.all(
      [1, 2, 3, 4].map(() => runContender({ REDIS_URL, LOCK_PREFIX: prefix, ITERATIONS: String(iterations), CONTENDERS: '4' })),
    );
    expect(results.map((r) => r.overlaps)).toEqual([0, 0, 0, 0]);
    expect(await client.get(keys.raw('test', 'counter'))).toBe(String(4 * iterations));
    const tokens = (await client.lrange(keys.raw('test', 'tokens'), 0, -1)).map(Number);
    expect(tokens).toHaveLength(4 * iterations);
    for (let i = 1; i < tokens.length; i++) expect(tokens[i]).toBeGreaterThan(tokens[i - 1]);
  }, 120_000);

  it('negative control: without the lock the same workload overlaps or loses updates', async () => {
    const controlPrefix = `${prefix}-control`;
    const results = await Promise.all(
      [1, 2, 3, 4].map(() =>
        runContender({ REDIS_URL, LOCK_PREFIX: controlPrefix, ITERATIONS: '100', WITHOUT_LOCK: '1', CONTENDERS: '4' }),
      ),
    );
    const overlaps = results.reduce((sum, r) => sum + r.overlaps, 0);
    const total = Number(await client.get(new KeyBuilder({ prefix: controlPrefix }).raw('test', 'counter')));
    await deleteKeysWithPrefix(client, controlPrefix);
    expect(overlaps > 0 || total < 400).toBe(true);
  }, 120_000);

  it('returns the result, releases the lock, and tokens increase per resource', async () => {
    const a = await locks.withLock('r1', async (ctx) => ctx.fencingToken);
    const b = await locks.withLock('r1', async (ctx) => ctx.fencingToken);
    expect(b).toBeGreaterThan(a);
    expect(await client.exists(locks.keyFor('r1'))).toBe(0);
  });

  it('busy: wait 0 fails at once with LockBusyError; a short wait times out with it', async () => {
    await locks.withLock('r2', async () => {
      await expect(locks.withLock('r2', async () => 'never', { wait: 0 })).rejects.toBeInstanceOf(LockBusyError);
      await expect(locks.withLock('r2', async () => 'never', { wait: 150 })).rejects.toBeInstanceOf(LockBusyError);
    });
  });

  it('a waiter gets the lock once the holder releases it', async () => {
    let release!: () => void;
    const holder = locks.withLock('r3', () => new Promise<void>((r) => (release = r)));
    await new Promise((r) => setTimeout(r, 20));
    const waiter = locks.withLock('r3', async () => 'got it', { wait: 2_000 });
    setTimeout(() => release(), 100);
    await holder;
    await expect(waiter).resolves.toBe('got it');
  });

  it('extends the lease while fn runs longer than ttl', async () => {
    await locks.withLock(
      'r4',
      async ({ signal }) => {
        await new Promise((r) => setTimeout(r, 700));
        expect(signal.aborted).toBe(false);
        await expect(locks.withLock('r4', async () => 0, { wait: 0 })).rejects.toBeInstanceOf(LockBusyError);
      },
      { ttl: 200 },
    );
  });

  it('a holder whose lock key was taken over sees its signal aborted, and its release does not free the new owner', async () => {
    const key = locks.keyFor('r5');
    let secondOwnerValue: string | null = null;
    await locks.withLock(
      'r5',
      async ({ signal }) => {
        // Our lease "expires" and someone else acquires: simulate by deleting our key and locking again.
        await client.del(key);
        const intruder = new LockService({ clients: [client], keys });
        let releaseIntruder!: () => void;
        const intruderDone = intruder.withLock('r5', () => new Promise<void>((r) => (releaseIntruder = r)), { ttl: 5_000, wait: 0 });
        await new Promise((r) => setTimeout(r, 20));
        secondOwnerValue = await client.get(key);
        expect(secondOwnerValue).not.toBeNull();

        const reason = await new Promise<unknown>((resolve) => signal.addEventListener('abort', () => resolve(signal.reason)));
        expect(reason).toBeInstanceOf(LockLostError);
        // Leave the callback: our release runs now, while the intruder still holds the lock.
        setTimeout(() => releaseIntruder(), 300);
        void intruderDone;
      },
      { ttl: 300, extendBefore: 150 },
    );
    expect(await client.get(key)).toBe(secondOwnerValue);
    await expect(locks.withLock('r5', async () => 0, { wait: 0 })).rejects.toBeInstanceOf(LockBusyError);
    await locks.withLock('r5', async () => 0, { wait: 2_000 }); // the intruder releases later
  });

  it('locks several resources at once, all or nothing', async () => {
    await locks.withLock(['m1', 'm2'], async () => {
      await expect(locks.withLock(['m2', 'm3'], async () => 0, { wait: 0 })).rejects.toBeInstanceOf(LockBusyError);
      // m3 was not left behind by the failed attempt.
      await expect(locks.withLock('m3', async () => 'ok', { wait: 0 })).resolves.toBe('ok');
    });
  });
});
