#!/usr/bin/env bash
# `npm run up`: everything from a fresh clone to a running API + worker, in the foreground.
# Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=lib/node.sh
source scripts/lib/node.sh
use_node24
echo "node: $(node -v)"

bash scripts/install-deps.sh
bash scripts/services.sh up
bash scripts/ensure-tools.sh jemalloc || echo "up: the API runs on glibc's malloc (MALLOC_ALLOCATOR)"
if [[ ! -f .env ]]; then
  cp .env.example .env
  echo "config: created .env from .env.example"
fi
echo "build: tsc"
npm run --silent build
node dist/libs/database/src/cli/migrate.js
npm run --silent --if-present seed

pids=()
stop() {
  trap - INT TERM
  echo "stopping API and worker"
  kill -TERM "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
}
trap stop INT TERM

bash scripts/start-api.sh &
pids+=($!)
node dist/apps/worker/src/main.js &
pids+=($!)
port=$(grep -E '^PORT=' .env | tail -n1 | cut -d= -f2); port=${PORT:-${port:-3000}}
echo "API on http://127.0.0.1:${port} (Swagger UI: /docs, readiness: /health/ready); Ctrl-C stops"
# If either process dies, stop the other too.
wait -n "${pids[@]}" || true
stop
