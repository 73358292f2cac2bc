#!/usr/bin/env bash
# `npm run cache:pack-check`: libs/cache as the published package @nest-commerce/cache. Builds it,
# packs it, checks what the tarball holds, installs the tarball into a fresh project (registry
# available; --prefer-offline reuses the npm cache) and uses it from there against Redis:
#   1. with only the tarball installed (no Nest, no keyv): an ESM script imports "." and runs
#      getOrLoad; "./nest" and "./keyv" refuse to load without their optional peers;
#   2. after `npm install keyv cache-manager`: cache-manager on the "./keyv" store;
#   3. TypeScript consumers type-check against the shipped declarations.
# REDIS_URL (default redis://127.0.0.1:6379); keys live under a prefix of their own, deleted at the end.
# CACHE_PACK_CHECK_KEEP=1 keeps the temp directory.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
work="$(mktemp -d "${TMPDIR:-/tmp}/cache-pack-check.XXXXXX")"
if [[ "${CACHE_PACK_CHECK_KEEP:-}" == 1 ]]; then echo "temp dir: $work"; else trap 'rm -rf "$work"' EXIT; fi
started=$SECONDS
step() { echo "[$((SECONDS - started))s] $*"; }
npm_install() { npm install --prefer-offline --no-audit --no-fund --loglevel=error "$@"; }

# Build and pack under a lock: two checks at once would delete each other's libs/cache/dist.
exec 9>"${TMPDIR:-/tmp}/cache-package-check-$(echo "$root" | cksum | cut -d' ' -f1).lock"
flock 9
step "build libs/cache (tsc -p libs/cache/tsconfig.build.json)"
(cd "$root/libs/cache" && npm run --silent build)

step "npm pack"
(cd "$root/libs/cache" && npm pack --ignore-scripts --silent --pack-destination "$work" >/dev/null)
flock -u 9
tgz="$(ls "$work"/*.tgz)"
tar -tzf "$tgz" | sort >"$work/contents.txt"
for f in package/package.json package/README.md package/dist/standalone.js package/dist/standalone.d.ts \
  package/dist/nest/index.js package/dist/nest/index.d.ts package/dist/adapters/keyv-store.js \
  package/dist/adapters/keyv-store.d.ts package/dist/stats/prometheus.js package/dist/locks/redlock-typings.d.ts; do
  grep -qx "$f" "$work/contents.txt" || { echo "missing from the tarball: $f" >&2; exit 1; }
done
if grep -E '\.spec\.|/testing/|^package/src/|\.ts$' "$work/contents.txt" | grep -v '\.d\.ts$'; then
  echo "the tarball holds test or source files (listed above)" >&2
  exit 1
fi
echo "$(basename "$tgz"): $(wc -l <"$work/contents.txt") files, $(du -k "$tgz" | cut -f1) kB"

step "install the tarball into a fresh project"
mkdir "$work/app"
cd "$work/app"
[[ "$PWD" == "$work/app" ]] || { echo "not in the temp project" >&2; exit 1; } # files below are written to the cwd
echo '{ "name": "cache-package-consumer", "private": true, "type": "module" }' >package.json
npm_install "$tgz"
for peer in @nestjs/common @nestjs/core keyv prom-client rxjs; do
  [[ ! -e "node_modules/$peer" ]] || { echo "optional peer $peer was installed" >&2; exit 1; }
done

cat >core.mjs <<'EOF'
import assert from 'node:assert/strict';
import { createCache, CacheService } from '@nest-commerce/cache';

const prefix = `pack-check-${process.pid}-${Date.now()}`;
const cache = createCache({ redis: { url: process.env.REDIS_URL }, prefix, l1: { max: 100, ttlMs: 5_000 } });
assert.ok(cache instanceof CacheService);
await cache.ready();
try {
  const products = cache.namespace('products');
  let calls = 0;
  const load = async () => {
    calls++;
    await new Promise((r) => setTimeout(r, 20));
    return { id: 42, name: 'widget', at: new Date(0) };
  };
  const [a, b] = await Promise.all([products.getOrLoad(['product', 42], load), products.getOrLoad(['product', 42], load)]);
  assert.deepEqual(a, { id: 42, name: 'widget', at: new Date(0) });
  assert.deepEqual(b, a);
  assert.equal(calls, 1, 'one loader call for concurrent misses');
  assert.deepEqual(await products.getOrLoad(['product', 42], load), a);
  assert.equal(calls, 1, 'a hit does not load');
  assert.equal(await cache.client.exists(products.key(['product', 42])), 1, 'the entry is in Redis');
  await products.delete(['product', 42]);
  await products.getOrLoad(['product', 42], load);
  assert.equal(calls, 2, 'loaded again after delete');
  console.log(`core: getOrLoad against ${process.env.REDIS_URL} ok (1 load for 2 concurrent misses, hit, reload after delete)`);

  for (const [entry, peer] of [['@nest-commerce/cache/nest', '@nestjs/'], ['@nest-commerce/cache/keyv', 'keyv']]) {
    await assert.rejects(import(entry), (err) => err.code === 'ERR_MODULE_NOT_FOUND' && err.message.includes(`'${peer}`));
    console.log(`core: ${entry} needs its optional peer (${peer}…), "." does not`);
  }
} finally {
  for await (const key of cache.admin.scan(`${prefix}:*`)) await cache.client.unlink(key);
  await cache.close();
}
EOF
step "run core.mjs (only the tarball installed)"
node core.mjs

step "install keyv and cache-manager (the versions of the root package.json)"
read -r keyv_version cm_version < <(node -e '
  const p = require(process.argv[1]);
  const v = (n) => p.devDependencies?.[n] ?? p.dependencies?.[n];
  console.log(v("keyv"), v("cache-manager"));' "$root/package.json")
npm_install "keyv@$keyv_version" "cache-manager@$cm_version"

cat >keyv.mjs <<'EOF'
import assert from 'node:assert/strict';
import { createCache as createCacheManager } from 'cache-manager';
import { createCache } from '@nest-commerce/cache';
import { cacheManagerStore } from '@nest-commerce/cache/keyv';

const prefix = `pack-check-${process.pid}-${Date.now()}`;
const cache = createCache({ redis: { url: process.env.REDIS_URL }, prefix });
await cache.ready();
try {
  const manager = createCacheManager({ stores: [cacheManagerStore(cache, { namespace: 'http' })], ttl: 10_000 });
  await manager.set('greeting', { text: 'hello', at: new Date(1) });
  assert.deepEqual(await manager.get('greeting'), { text: 'hello', at: new Date(1) });
  assert.deepEqual(await cache.namespace('http').get('greeting'), { text: 'hello', at: new Date(1) });
  let calls = 0;
  assert.equal(await manager.wrap('answer', async () => ++calls && 42), 42);
  assert.equal(await manager.wrap('answer', async () => ++calls && 43), 42);
  assert.equal(calls, 1);
  assert.equal(await manager.del('greeting'), true);
  assert.equal(await manager.get('greeting'), undefined);
  console.log('keyv: cache-manager on the libs/cache store ok (set/get, wrap, del)');
} finally {
  for await (const key of cache.admin.scan(`${prefix}:*`)) await cache.client.unlink(key);
  await cache.close();
}
EOF
step "run keyv.mjs"
node keyv.mjs

cat >consumer.ts <<'EOF'
import { createCache, type CacheAside, type CacheService, type GetOrLoadOptions } from '@nest-commerce/cache';
import { cacheManagerStore, type CacheKeyvStore } from '@nest-commerce/cache/keyv';

const cache: CacheService = createCache({ redis: { url: 'redis://127.0.0.1:6379' }, l1: { max: 10, ttlMs: 1_000 } });
const products: CacheAside = cache.namespace('products');
const options: GetOrLoadOptions = { ttl: 60_000, staleFor: 10_000, tags: ['t'] };
export const name: Promise<string> = products.getOrLoad(['p', 1], async () => 'widget', options);
export const stock: Promise<number> = cache.counters.incr('stock', 1);
export const store = cacheManagerStore(cache, { namespace: 'http' }).store as CacheKeyvStore;
// @ts-expect-error a number is not a string
export const wrong: Promise<number> = products.getOrLoad(['p', 1], async () => 'widget');
EOF
cat >nest-consumer.ts <<'EOF'
import { CacheModule, HttpCacheInterceptor, type CacheModuleOptions } from '@nest-commerce/cache/nest';
import { registerCacheMetrics } from '@nest-commerce/cache/prometheus';

export const options: CacheModuleOptions = { redis: { url: 'redis://127.0.0.1:6379' }, http: { ttl: 1_000 } };
export const modules = [CacheModule.forRoot(options), HttpCacheInterceptor, registerCacheMetrics];
// @ts-expect-error http.ttl is a number
export const wrong: CacheModuleOptions = { redis: {}, http: { ttl: 'soon' } };
EOF
consumer_tsconfig() { # <file> <skipLibCheck>
  cat <<JSON
{
  "compilerOptions": {
    "target": "ES2023", "lib": ["ES2023"], "module": "nodenext", "moduleResolution": "nodenext",
    "strict": true, "noEmit": true, "skipLibCheck": $2, "experimentalDecorators": true,
    "typeRoots": ["$root/node_modules/@types"], "types": ["node"]
  },
  "files": ["$1"]
}
JSON
}
step "type-check a TypeScript consumer against the shipped declarations (skipLibCheck off)"
consumer_tsconfig consumer.ts false >tsconfig.json
"$root/node_modules/.bin/tsc" -p tsconfig.json
echo 'types: consumer.ts (".", "./keyv") type-checks'
# The "./nest" and "./prometheus" declarations need @nestjs/*, rxjs and prom-client types: taken
# from the repository for this check only (the runtime checks above ran without them).
mkdir -p node_modules/@nestjs
for p in @nestjs/common @nestjs/core @nestjs/terminus rxjs reflect-metadata prom-client; do
  [[ -e "node_modules/$p" ]] || ln -s "$root/node_modules/$p" "node_modules/$p"
done
consumer_tsconfig nest-consumer.ts true >tsconfig.nest.json
"$root/node_modules/.bin/tsc" -p tsconfig.nest.json
echo 'types: nest-consumer.ts ("./nest", "./prometheus") type-checks'

step "cache package check passed"
