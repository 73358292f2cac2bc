#!/usr/bin/env bash
# Installs node_modules from the committed lockfiles when they are missing or out of date:
# the product's, and the benchmark peers' (bench/peers keeps its own tree so the product has a
# single ioredis; the type-check covers the benchmarks, so it needs them too).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

install() {
  local dir=$1
  if [[ -f $dir/node_modules/.package-lock.json && $dir/node_modules/.package-lock.json -nt $dir/package-lock.json ]]; then
    echo "deps: $dir up to date"
    return
  fi
  echo "deps: npm ci in $dir"
  # Install scripts of dependencies are denied (allowScripts): every native piece ships prebuilt.
  npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error
  touch "$dir/node_modules/.package-lock.json"
}

install .
install bench/peers
