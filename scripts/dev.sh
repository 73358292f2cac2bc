#!/usr/bin/env bash
# `npm run start:dev`: API and worker in watch mode, on Node 24, against the services of .env
# (`npm run services`, or `docker compose -f compose.dev.yml up -d`). Ctrl-C stops everything.
#
# One loop, no race between compiler and processes: `tsc --watch` recompiles what changed into dist/;
# after each compile without errors, tsc-alias rewrites the @app/* aliases and then both processes are
# restarted (SIGTERM, graceful shutdown, start again). A compile with errors keeps the running ones.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=lib/node.sh
source scripts/lib/node.sh
use_node24
echo "node: $(node -v)"

if [[ ! -f .env ]]; then
  cp .env.example .env
  echo "config: created .env from .env.example"
fi

bin=node_modules/.bin
api=''
worker=''
tsc_pid=''
started=0
fifo_dir=$(mktemp -d)
mkfifo "$fifo_dir/tsc"

start_apps() {
  node dist/apps/api/src/main.js &
  api=$!
  node dist/apps/worker/src/main.js &
  worker=$!
}

stop_apps() {
  local pids=()
  [[ -n $api ]] && pids+=("$api")
  [[ -n $worker ]] && pids+=("$worker")
  ((${#pids[@]})) || return 0
  kill -TERM "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
  api=''
  worker=''
}

# Background children of a non-interactive shell ignore SIGINT, so Ctrl-C reaches only this script:
# it stops the processes and the compiler itself.
shutdown() {
  trap - INT TERM EXIT
  echo "dev: stopping API, worker and compiler"
  stop_apps
  [[ -n $tsc_pid ]] && kill -TERM "$tsc_pid" 2>/dev/null || true
  rm -rf "$fifo_dir"
  exit 0
}
trap shutdown INT TERM EXIT

echo "dev: compiling (tsc --watch); API and worker start after the first compile without errors"
"$bin/tsc" -p tsconfig.build.json --watch --preserveWatchOutput >"$fifo_dir/tsc" &
tsc_pid=$!
while IFS= read -r line; do
  printf '%s\n' "$line"
  if [[ $line =~ Found\ ([0-9]+)\ errors? ]]; then
    if [[ ${BASH_REMATCH[1]} == 0 ]]; then
      "$bin/tsc-alias" -p tsconfig.build.json
      if [[ $started == 0 ]]; then
        # The API migrates on start too; doing it first spares the worker a round of failing jobs.
        node dist/libs/database/src/cli/migrate.js || echo "dev: migrations failed (are the services up?)" >&2
        started=1
      else
        echo "dev: restarting API and worker"
      fi
      stop_apps
      start_apps
    else
      echo "dev: compile errors; API and worker keep running the previous build"
    fi
  fi
done <"$fifo_dir/tsc"
