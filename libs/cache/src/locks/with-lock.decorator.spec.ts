import { Redis } from 'ioredis';
import { KeyBuilder } from '../keys/key-builder.js';
import { deleteKeysWithPrefix, uniquePrefix } from '../testing/test-keys.js';
import { LockBusyError } from './lock-errors.js';
import { LockService } from './lock.service.js';
import { WithLock, currentLock, setLockServiceForDecorators } from './with-lock.decorator.js';

class OrderProcessor {
  calls = 0;

  @WithLock({ resource: (orderId: string) => `order:${orderId}`, ttl: 2_000, wait: 0 })
  async process(orderId: string, hold = 0): Promise<string> {
    this.calls++;
    const lock = currentLock();
    await new Promise((r) => setTimeout(r, hold));
    return `${orderId}:${lock?.fencingToken}:${lock?.signal.aborted}`;
  }
}

describe('@WithLock', () => {
  const prefix = uniquePrefix('withlock');
  const client = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');

  afterAll(async () => {
    setLockServiceForDecorators(undefined);
    await deleteKeysWithPrefix(client, prefix);
    await client.quit();
  });

  it('fails clearly before a LockService is registered', async () => {
    await expect(new OrderProcessor().process('o0')).rejects.toThrow(/no LockService registered/);
  });

  it('runs the method under the lock computed from its arguments', async () => {
    setLockServiceForDecorators(new LockService({ clients: [client], keys: new KeyBuilder({ prefix }) }));
    const processor = new OrderProcessor();
    expect(await processor.process('o1')).toBe('o1:1:false');
    const slow = processor.process('o2', 200);
    await new Promise((r) => setTimeout(r, 30));
    await expect(processor.process('o2')).rejects.toBeInstanceOf(LockBusyError);
    await expect(processor.process('o3')).resolves.toBe('o3:1:false'); // other resource, not blocked
    await expect(slow).resolves.toBe('o2:1:false');
    expect(processor.calls).toBe(3);
    expect(OrderProcessor.prototype.process.name).toBe('process');
  });

  it('gives each of several concurrent calls its own lock context, also after all of them ended', async () => {
    setLockServiceForDecorators(new LockService({ clients: [client], keys: new KeyBuilder({ prefix }) }));
    const processor = new OrderProcessor();
    const first = await Promise.all(['c1', 'c2', 'c3'].map((id, i) => processor.process(id, 20 * (i + 1))));
    expect(first).toEqual(['c1:1:false', 'c2:1:false', 'c3:1:false']);
    expect(currentLock()).toBeUndefined(); // outside any @WithLock method
    // The context is switched off once no locked method runs, and on again for the next one.
    const [a, b] = await Promise.all([processor.process('c1'), processor.process('c4', 10)]);
    expect([a, b]).toEqual(['c1:2:false', 'c4:1:false']);
  });
});
