#!/usr/bin/env bash
# Installs, only when missing, the OS tools the tests and benchmarks need.
#   bash scripts/ensure-tools.sh          a Compose validator (the infra tests): `docker compose`
#                                         (v2 plugin) if it already works, else the Debian package
#                                         `docker-compose` (v1), which validates files with `config`
#                                         without any engine; and the browser of the Swagger UI
#                                         check (test/browser): Debian's `chromium`, driven by
#                                         playwright-core (not checked with SKIP_BROWSER_TESTS=1)
#   bash scripts/ensure-tools.sh chromium only the browser
#   bash scripts/ensure-tools.sh wrk      the HTTP load generator of `npm run bench:http`
#   bash scripts/ensure-tools.sh jemalloc the allocator scripts/start-api.sh preloads (Debian's
#                                         libjemalloc2); also part of the default run (its spec)
# Idempotent and quiet: prints one line per tool, runs `apt-get update` at most once.
set -euo pipefail

apt_updated=0
apt_install() {
  if [[ $(id -u) -ne 0 ]]; then
    echo "ensure-tools: '$*' must be installed, which needs root (run: sudo bash $0)" >&2
    exit 1
  fi
  local log="$probe_dir/apt.log"
  if [[ $apt_updated -eq 0 ]]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >"$log" 2>&1 ||
    { cat "$log" >&2; exit 1; }
}

probe_dir=$(mktemp -d)
trap 'rm -rf "$probe_dir"' EXIT

if [[ "${1:-}" == "wrk" ]]; then
  if command -v wrk >/dev/null 2>&1; then
    echo "wrk: already installed"
  else
    apt_install wrk
    echo "wrk: installed ($(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2))"
  fi
  exit 0
fi

find_jemalloc="$(dirname "${BASH_SOURCE[0]}")/lib/find-jemalloc.sh"
ensure_jemalloc() {
  if bash "$find_jemalloc" >/dev/null; then
    echo "jemalloc: already installed"
  else
    apt_install libjemalloc2
    echo "jemalloc: installed ($(bash "$find_jemalloc"))"
  fi
}

if [[ "${1:-}" == "jemalloc" ]]; then
  ensure_jemalloc
  exit 0
fi

# Debian's build (never a browser download): the browser spec launches /usr/bin/chromium.
ensure_chromium() {
  if [[ "${SKIP_BROWSER_TESTS:-}" == "1" ]]; then
    echo "chromium: not checked (SKIP_BROWSER_TESTS=1)"
  elif [[ -x /usr/bin/chromium ]] && /usr/bin/chromium --version >/dev/null 2>&1; then
    echo "chromium: already installed"
  else
    if [[ $(id -u) -ne 0 ]]; then
      echo "ensure-tools: the Swagger UI browser check (test/browser) needs Debian's 'chromium'; installing it needs root (run: sudo bash $0 chromium), or set SKIP_BROWSER_TESTS=1 to leave the check out" >&2
      exit 1
    fi
    apt_install chromium
    if /usr/bin/chromium --version >/dev/null 2>&1; then
      echo "chromium: installed ($(/usr/bin/chromium --version 2>/dev/null | head -1))"
    else
      echo "chromium: installed but '/usr/bin/chromium --version' does not work" >&2
      exit 1
    fi
  fi
}

if [[ "${1:-}" == "chromium" ]]; then
  ensure_chromium
  exit 0
fi

# A throwaway compose file proves the validator actually runs (not just that a binary exists).
printf 'services:\n  probe:\n    image: busybox\n' >"$probe_dir/compose.yml"
compose_works() { "$@" -f "$probe_dir/compose.yml" config >/dev/null 2>&1; }

if command -v docker >/dev/null 2>&1 && compose_works docker compose; then
  echo "compose: docker compose (v2 plugin) already works"
elif command -v docker-compose >/dev/null 2>&1 && compose_works docker-compose; then
  echo "compose: docker-compose already works ($(docker-compose version --short 2>/dev/null || echo '?'))"
else
  apt_install docker-compose
  if compose_works docker-compose; then
    echo "compose: installed docker-compose ($(docker-compose version --short 2>/dev/null || echo '?'))"
  else
    echo "compose: docker-compose installed but 'docker-compose config' does not work" >&2
    exit 1
  fi
fi

ensure_jemalloc
ensure_chromium
