import { jest } from '@jest/globals';
import { Redis } from 'ioredis';
import { closeConnection, waitForReady } from '../redis/connection.js';
import { startRedisServer, type RedisServerHandle } from '../testing/redis-harness.js';
import { failFast } from './fail-fast.js';
import { RedisUnavailableError } from './unavailable-error.js';

/** failFast on a private Redis whose replies the client stops reading (a stalled server). */
describe('failFast', () => {
  let server: RedisServerHandle;
  const clients: Redis[] = [];

  const client = async (commandTimeout?: number): Promise<Redis> => {
    const c = new Redis(server.url, { commandTimeout, maxRetriesPerRequest: 1 });
    c.on('error', () => undefined);
    await waitForReady(c);
    clients.push(c);
    return c;
  };
  /** The client no longer reads its socket: every reply from now on is left unread. */
  const stall = (c: Redis): void => (c.stream as unknown as { pause(): void }).pause();

  beforeAll(async () => {
    server = await startRedisServer();
  });

  afterEach(() => jest.restoreAllMocks());

  afterAll(async () => {
    for (const c of clients) {
      (c.stream as unknown as { resume(): void }).resume();
      await closeConnection(c);
    }
    await server.dispose();
  });

  it('leaves one command to the client’s own timeout (no timer of its own) and still answers RedisUnavailableError', async () => {
    const c = await client(100);
    stall(c);
    const timers = jest.spyOn(globalThis, 'setTimeout');
    const started = Date.now();
    const failure = await failFast(c, () => c.get('ff:one'), 5_000, true).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(RedisUnavailableError);
    expect((failure as Error).message).toContain('Command timed out');
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(timers).toHaveBeenCalledTimes(1); // the client's command timeout only
  });

  it('keeps its own deadline for one command when the client’s timeout is longer', async () => {
    const c = await client(10_000);
    stall(c);
    const timers = jest.spyOn(globalThis, 'setTimeout');
    const failure = await failFast(c, () => c.get('ff:long'), 150, true).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(RedisUnavailableError);
    expect((failure as Error).message).toBe('Redis did not answer within 150 ms');
    expect(timers).toHaveBeenCalledTimes(2);
  });

  it('keeps its own deadline for an operation of several commands (each may take the client’s whole timeout)', async () => {
    const c = await client(2_000);
    const failure = await failFast(
      c,
      async () => {
        await c.set('ff:a', '1');
        stall(c);
        return c.get('ff:a');
      },
      150,
    ).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(RedisUnavailableError);
    expect((failure as Error).message).toBe('Redis did not answer within 150 ms');
  });

  it('passes command errors through untouched on both paths', async () => {
    const c = await client(500);
    await c.set('ff:str', 'x');
    for (const oneCommand of [true, false]) {
      const failure = await failFast(c, () => c.hget('ff:str', 'f'), 1_000, oneCommand).catch((e: unknown) => e);
      expect(failure).not.toBeInstanceOf(RedisUnavailableError);
      expect((failure as Error).message).toMatch(/^WRONGTYPE/);
    }
  });
});
