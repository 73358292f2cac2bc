import { createServer, connect, type Server, type AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { createCache } from '../create-cache.js';
import { SHARED_REDIS_URL, sleep } from '../core/testing/kit.js';
import { deleteKeysWithPrefix, uniquePrefix } from '../testing/test-keys.js';

describe('invalidation bus join', () => {
  const prefix = uniquePrefix('busjoin');

  afterAll(async () => {
    const c = new Redis(SHARED_REDIS_URL);
    await deleteKeysWithPrefix(c, prefix);
    c.disconnect();
  });

  /** A TCP proxy to Redis that holds the first connection's traffic for `holdMs`. */
  async function slowFirstConnectionProxy(holdMs: number): Promise<Server> {
    const target = new URL(SHARED_REDIS_URL);
    let first = true;
    const server = createServer((sock) => {
      const delay = first ? holdMs : 0;
      first = false;
      setTimeout(() => {
        const up = connect(Number(target.port || 6379), target.hostname);
        sock.pipe(up).pipe(sock);
        sock.on('error', () => up.destroy());
        up.on('error', () => sock.destroy());
      }, delay);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return server;
  }

  it('serves L1 soon after the cache connection comes up, when the subscriber connected first', async () => {
    // The cache's own connection becomes ready late: the first presence write fails
    // ("Stream isn't writeable") while the subscriber is already subscribed.
    const proxy = await slowFirstConnectionProxy(600);
    const port = (proxy.address() as AddressInfo).port;
    const publisher = new Redis({ host: '127.0.0.1', port, enableOfflineQueue: false });
    publisher.on('error', () => undefined);
    const svc = createCache({ redis: publisher, prefix, l1: { max: 100, ttlMs: 5_000 } });
    try {
      await sleep(300);
      expect(publisher.status).not.toBe('ready');
      expect(svc.l1!.suspended).toBe(true);
      await new Promise((r) => publisher.once('ready', r));
      const readyAt = Date.now();
      await svc.ready(3_000);
      // Well before the next presence heartbeat (5 s).
      expect(Date.now() - readyAt).toBeLessThan(1_000);
      expect(svc.l1!.suspended).toBe(false);
      const ns = svc.namespace('joined');
      await ns.getOrLoad('k', async () => 'v');
      expect(ns.peek('k')).toEqual({ value: 'v' });
    } finally {
      await svc.close();
      publisher.disconnect();
      proxy.close();
    }
  });

  it('ready() waits until L1 serves, not only until the subscription is made', async () => {
    for (let i = 0; i < 5; i++) {
      const svc = createCache({ redis: { url: SHARED_REDIS_URL }, prefix, l1: { max: 100, ttlMs: 5_000 } });
      try {
        await svc.ready();
        expect(svc.l1!.suspended).toBe(false);
      } finally {
        await svc.close();
      }
    }
  });
});
