import { UnavailableError } from '@app/common';
import { HashSlots } from './hash-slots.js';

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('HashSlots', () => {
  it('runs at most `size` operations at once; the rest wait their turn in arrival order', async () => {
    const slots = new HashSlots(2, 10_000);
    const gates = [deferred(), deferred(), deferred(), deferred()];
    const started: number[] = [];
    const runs = gates.map((g, i) => slots.run(async () => (started.push(i), await g.promise, i)));
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([0, 1]);
    expect(slots.load).toEqual({ active: 2, waiting: 2 });

    gates[1].resolve();
    await runs[1];
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([0, 1, 2]);
    for (const g of gates) g.resolve();
    expect(await Promise.all(runs)).toEqual([0, 1, 2, 3]);
    expect(slots.load).toEqual({ active: 0, waiting: 0 });
  });

  it('refuses at once when every slot is busy and no waiting is allowed', async () => {
    const slots = new HashSlots(1, 0);
    const gate = deferred();
    const first = slots.run(() => gate.promise);
    await expect(slots.run(async () => 'never')).rejects.toBeInstanceOf(UnavailableError);
    gate.resolve();
    await first;
    expect(await slots.run(async () => 'free again')).toBe('free again');
  });

  it('a waiter gives up after maxWaitMs with an unavailable error (Retry-After 1 s) and leaves the queue', async () => {
    const slots = new HashSlots(1, 30);
    const gate = deferred();
    const first = slots.run(() => gate.promise);
    const waiting = slots.run(async () => 'late');
    await expect(waiting).rejects.toMatchObject({ kind: 'unavailable', retryAfterSeconds: 1 });
    expect(slots.load).toEqual({ active: 1, waiting: 0 });
    gate.resolve();
    await first;
    expect(slots.load).toEqual({ active: 0, waiting: 0 });
  });

  it('frees the slot when the operation fails', async () => {
    const slots = new HashSlots(1, 0);
    await expect(slots.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await slots.run(async () => 'ok')).toBe('ok');
  });

  it('refuses at once when the queue is full', async () => {
    const slots = new HashSlots(1, 10_000);
    const gate = deferred();
    const runs = Array.from({ length: 1 + 32 }, () => slots.run(() => gate.promise));
    await expect(slots.run(async () => 'over')).rejects.toBeInstanceOf(UnavailableError);
    gate.resolve();
    await Promise.all(runs);
  });
});
