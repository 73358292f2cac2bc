import { Redis } from 'ioredis';
import { createCache } from '../../libs/cache/src/create-cache.js';

/** One thing being measured: read key i (a hit once warmed) through some cache API. */
export interface Subject {
  name: string;
  /** Fill all keys (through the subject's own write path, so its format is used). */
  warm(keys: number, value: (i: number) => unknown): Promise<void>;
  read(i: number): Promise<unknown>;
  close(): Promise<void>;
}

const TTL_MS = 10 * 60_000;

/** Baseline: one GET and JSON.parse with a default ioredis client. */
export function rawIoredis(url: string): Subject {
  const client = new Redis(url);
  const key = (i: number) => `bench:raw:${i}`;
  return {
    name: 'raw',
    async warm(keys, value) {
      const pipe = client.pipeline();
      for (let i = 0; i < keys; i++) pipe.set(key(i), JSON.stringify(value(i)), 'PX', TTL_MS);
      await pipe.exec();
    },
    async read(i) {
      const s = await client.get(key(i));
      return s === null ? null : JSON.parse(s);
    },
    close: async () => void (await client.quit()),
  };
}

/** Our cache-aside (getOrLoad), with or without the in-process L1. */
export function ours(url: string, l1: boolean, autoPipelining = false): Subject {
  const svc = createCache({
    redis: { url, autoPipelining },
    prefix: l1 ? 'bench-l1' : autoPipelining ? 'bench-l2ap' : 'bench-l2',
    namespace: 'products',
    defaultTtl: TTL_MS,
    l1: l1 ? { max: 10_000, ttlMs: TTL_MS } : false,
  });
  let value: (i: number) => unknown = () => null;
  const loader = (i: number) => async () => value(i);
  const loaders: (() => Promise<unknown>)[] = [];
  return {
    name: l1 ? 'l1' : autoPipelining ? 'l2AutoPipelining' : 'l2',
    async warm(keys, v) {
      await svc.ready();
      value = v;
      for (let i = 0; i < keys; i++) loaders[i] = loader(i);
      for (let i = 0; i < keys; i++) await svc.cache.getOrLoad(i, loaders[i]);
    },
    read: (i) => svc.cache.getOrLoad(i, loaders[i]),
    close: () => svc.close(),
  };
}
