#!/usr/bin/env bash
# Starts the built API with its memory settings: `npm run start:api`, the Docker image's CMD and
# bench:http all start it here, so what is measured is what runs. Extra arguments are passed to node
# before the entry point (e.g. --cpu-prof). exec: the node process keeps this script's pid.
# It runs the bundle `npm run build` writes (dist/bundle/api.mjs, scripts/bundle-api.mjs says why);
# `npm run start:dev` runs the unbundled tsc output instead.
#
# Each setting comes from the environment, else from .env, else the default below (.env.example):
#   V8_MAX_SEMI_SPACE_MB     young generation: each of its two semi-spaces (V8 grows them under load up
#                            to this, 64 MB on a large machine; the idle memory release shrinks them); 0 = V8's own size
#   V8_MAX_OLD_SPACE_MB      old generation limit: V8 collects before growing past it, instead of
#                            letting garbage pile up to a limit set by the machine's memory (0 = that)
#   MALLOC_ARENA_MAX         glibc malloc arenas (glibc: 8 per core, each keeping freed memory)
#   MALLOC_ALLOCATOR         jemalloc (the default when Debian's libjemalloc2 is installed: it is
#                            preloaded) or glibc. Under load glibc's malloc kept 30-40 MB more than
#                            jemalloc, freed but fragmented (buffers, the JIT compilers' zones)
#   MALLOC_CONF              jemalloc's own settings; the default gives freed pages back to the OS
#                            after a second, from a background thread
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# setting NAME DEFAULT [PATTERN WHAT]: the value, refused (naming it) unless it matches PATTERN
# (default: a whole number).
setting() {
  local name=$1 default=$2 pattern=${3:-'^[0-9]+$'} what=${4:-a whole number} value
  value=${!name:-}
  if [[ -z $value && -f .env ]]; then value=$(grep -E "^${name}=" .env | tail -n1 | cut -d= -f2- || true); fi
  value=${value:-$default}
  if [[ ! $value =~ $pattern ]]; then
    echo "start-api: ${name}=${value}: expected ${what}" >&2
    exit 1
  fi
  printf '%s' "$value"
}

semi=$(setting V8_MAX_SEMI_SPACE_MB 16)
old=$(setting V8_MAX_OLD_SPACE_MB 256)
MALLOC_ARENA_MAX=$(setting MALLOC_ARENA_MAX 2)
export MALLOC_ARENA_MAX

allocator=$(setting MALLOC_ALLOCATOR auto '^(auto|jemalloc|glibc)$' 'jemalloc or glibc')
jemalloc=$(bash scripts/lib/find-jemalloc.sh || true)
if [[ $allocator == auto ]]; then
  [[ -n $jemalloc ]] && allocator=jemalloc || allocator=glibc
elif [[ $allocator == jemalloc && -z $jemalloc ]]; then
  echo "start-api: MALLOC_ALLOCATOR=jemalloc but libjemalloc.so.2 is not installed (Debian: libjemalloc2; bash scripts/ensure-tools.sh jemalloc)" >&2
  exit 1
fi
if [[ $allocator == jemalloc ]]; then
  export LD_PRELOAD="${jemalloc}${LD_PRELOAD:+:$LD_PRELOAD}"
  export MALLOC_CONF=${MALLOC_CONF:-background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:0}
fi

flags=()
if ((semi > 0)); then flags+=("--max-semi-space-size=${semi}"); fi
if ((old > 0)); then flags+=("--max-old-space-size=${old}"); fi
exec node "${flags[@]}" "$@" dist/bundle/api.mjs
