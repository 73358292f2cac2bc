import { Redis } from 'ioredis';
import { KeyBuilder } from '../keys/key-builder.js';
import { deleteKeysWithPrefix, uniquePrefix } from '../testing/test-keys.js';
import type { BatchResult } from './batch-command.js';
import type { ScoredMember } from './batch-builder.js';
import { TransactionAbortedError, TransactionCommandError } from './batch-errors.js';
import { RedisBatch } from './redis-batch.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

describe('RedisBatch', () => {
  const prefix = uniquePrefix('batch');
  const client = new Redis(REDIS_URL);
  const keys = new KeyBuilder({ prefix });
  // The deadline is not what these cases test; a loaded CI machine can stall a worker past 1 s.
  const batch = new RedisBatch(client, 10_000);
  const k = (name: string) => keys.raw('t', name);

  // Connected before the first timed command: connecting is not part of any deadline under test.
  beforeAll(() => client.ping());

  afterAll(async () => {
    await deleteKeysWithPrefix(client, prefix);
    await client.quit();
  });

  it('pipeline: typed results in order, one round trip', async () => {
    const results = await batch.pipeline((b) => [
      b.set(k('s'), 'hello', { px: 60_000 }),
      b.set(k('s'), 'other', { nx: true }),
      b.get(k('s')),
      b.incr(k('n')),
      b.incrby(k('n'), 10),
      b.decrby(k('n'), 3),
      b.hset(k('h'), { a: '1', b: '2' }),
      b.hincrby(k('h'), 'a', 5),
      b.hget(k('h'), 'a'),
      b.hgetall(k('h')),
      b.hdel(k('h'), 'b'),
      b.sadd(k('set'), 'x', 'y'),
      b.srem(k('set'), 'y'),
      b.smembers(k('set')),
      b.zadd(k('z'), { member: 'p1', score: 1 }, { member: 'p2', score: 5 }),
      b.zincrby(k('z'), 10, 'p1'),
      b.zrevrange(k('z'), 0, -1, { withScores: true }),
      b.zrevrange(k('z'), 0, 0),
      b.exists(k('s'), k('missing')),
      b.mget(k('s'), k('missing')),
      b.pexpire(k('n'), 60_000),
      b.expire(k('missing'), 10),
      b.call<string>('type', k('h')),
      b.del(k('set')),
      b.unlink(k('missing')),
    ]);
    // Compile-time check of the inferred tuple types.
    const typed: [BatchResult<boolean>, BatchResult<boolean>, BatchResult<string | null>, BatchResult<number>] = [
      results[0],
      results[1],
      results[2],
      results[3],
    ];
    const zr: BatchResult<ScoredMember[]> = results[16];
    expect(typed).toHaveLength(4);
    expect(zr.ok).toBe(true);
    expect(results.map((r) => (r.ok ? r.value : r.error))).toEqual([
      true,
      false,
      'hello',
      1,
      11,
      8,
      2,
      6,
      '6',
      { a: '6', b: '2' },
      1,
      2,
      1,
      ['x'],
      2,
      11,
      [
        { member: 'p1', score: 11 },
        { member: 'p2', score: 5 },
      ],
      ['p1'],
      1,
      ['hello', null],
      true,
      false,
      'hash',
      1,
      0,
    ]);
  });

  it('pipeline: a failing command is reported alone, the others succeed', async () => {
    await client.set(k('text'), 'not a number');
    const [a, b, c] = await batch.pipeline((b) => [b.set(k('p'), '1'), b.incr(k('text')), b.get(k('p'))]);
    expect(a).toEqual({ ok: true, value: true });
    expect(b.ok).toBe(false);
    if (!b.ok) expect(b.error.message).toMatch(/not an integer/);
    expect(c).toEqual({ ok: true, value: '1' });
  });

  it('transaction: returns the values, and is atomic with respect to other clients', async () => {
    const [n, h] = await batch.transaction((b) => [b.incrby(k('tx'), 5), b.hset(k('txh'), 'f', 'v')]);
    expect(n).toBe(5);
    expect(h).toBe(1);

    // 200 concurrent transactions each doing INCR twice: inside one EXEC nobody interleaves, so
    // the two replies of a transaction are always consecutive numbers.
    const other = new Redis(REDIS_URL);
    const otherBatch = new RedisBatch(other);
    const runs = await Promise.all(
      Array.from({ length: 200 }, (_, i) => (i % 2 ? batch : otherBatch).transaction((b) => [b.incr(k('atomic')), b.incr(k('atomic'))])),
    );
    await other.quit();
    for (const [first, second] of runs) expect(second).toBe(first + 1);
  });

  it('transaction: a queueing error aborts everything (TransactionAbortedError, nothing applied)', async () => {
    const error = await batch
      .transaction((b) => [b.set(k('never'), 'x'), b.call('incr')]) // wrong arity: rejected while queueing
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransactionAbortedError);
    expect(await client.exists(k('never'))).toBe(0);
  });

  it('transaction: a run-time error is reported with what was applied (Redis does not roll back)', async () => {
    await client.set(k('text2'), 'abc');
    const error = await batch.transaction((b) => [b.set(k('applied'), 'x'), b.incr(k('text2'))]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransactionCommandError);
    expect((error as TransactionCommandError).results[0]).toEqual({ ok: true, value: true });
    expect(await client.get(k('applied'))).toBe('x');
  });
});
