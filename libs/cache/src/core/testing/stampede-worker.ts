/**
 * Child process for the cross-process stampede test: waits for "go" on stdin, fires `concurrency`
 * getOrLoad calls on one cold key; the loader counts its runs with a Redis INCR.
 * argv: url prefix concurrency loaderMs
 */
import { createInterface } from 'node:readline';
import { createCache } from '../../create-cache.js';

const [url, prefix, concurrencyArg, loaderMsArg] = process.argv.slice(2);
const concurrency = Number(concurrencyArg);
const loaderMs = Number(loaderMsArg);

process.on('unhandledRejection', (err) => {
  console.log(JSON.stringify({ unhandled: String(err) }));
  process.exit(2);
});

const svc = createCache({ redis: { url, commandTimeoutMs: 2_000 }, prefix, loadLock: { waitMs: 10_000 } });
await svc.ready();
const cache = svc.namespace('stampede');
const counterKey = `${prefix}:loader-runs`;

const rl = createInterface({ input: process.stdin });
console.log('ready');
await new Promise<void>((resolve) => rl.once('line', () => resolve()));
rl.close();

const results = await Promise.all(
  Array.from({ length: concurrency }, () =>
    cache.getOrLoad('cold-key', async () => {
      await svc.client.incr(counterKey);
      await new Promise((r) => setTimeout(r, loaderMs));
      return { value: 'loaded-once', pid: process.pid };
    }),
  ),
);
const distinct = new Set(results.map((r) => JSON.stringify(r)));
console.log(JSON.stringify({ done: results.length, distinct: [...distinct] }));
await svc.close();
