/**
 * One process of the cold-miss stampede: builds the named library's cache, says "ready", waits
 * for "go" on stdin, then fires CALLS concurrent reads of one cold key whose loader takes 200 ms.
 * Prints {"loads": n} — how often this process ran the loader.
 */
import { createCache } from '../../libs/cache/src/create-cache.js';
import { bentocache, cacheManager } from './subjects.js';

const [lib, host, port, key, calls] = process.argv.slice(2) as [string, string, string, string, string];
const url = `redis://${host}:${port}`;
let loads = 0;
const loader = async () => {
  loads++;
  await new Promise((r) => setTimeout(r, 200));
  return { key, loadedBy: process.pid };
};

let get: () => Promise<unknown>;
let close: () => Promise<void>;
if (lib === 'ours') {
  const svc = createCache({ redis: { url }, prefix: 'bench-stampede', namespace: 'products', l1: false });
  await svc.ready();
  get = () => svc.cache.getOrLoad(key, loader, { ttl: 60_000 });
  close = () => svc.close();
} else {
  const peer = lib === 'bentocache' ? bentocache(host, Number(port), 'bench-stampede-bento') : cacheManager(url, 'bench-stampede-cm');
  await peer.load(`connect-${process.pid}`, async () => 1); // connect before the race starts
  get = () => peer.load(key, loader);
  close = () => peer.close();
}

process.stdout.write('ready\n');
await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));
const results = await Promise.allSettled(Array.from({ length: Number(calls) }, () => get()));
const errors = results.filter((r) => r.status === 'rejected').length;
process.stdout.write(JSON.stringify({ loads, errors }) + '\n');
await close();
process.exit(0);
