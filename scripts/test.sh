#!/usr/bin/env bash
# `npm test`: installs what is missing, provisions the services, builds, type-checks, lints, runs every test.
# Extra arguments go to Jest (e.g. `npm test -- test/e2e`).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=lib/node.sh
source scripts/lib/node.sh
use_node24
echo "node: $(node -v)"

bash scripts/install-deps.sh
bash scripts/ensure-tools.sh
bash scripts/services.sh up
# A test run that was killed while it had replica replay paused must not fail the next one.
bash scripts/services.sh resume-replay
echo "build: tsc"
npm run --silent build
echo "typecheck: tests and benchmarks"
npm run --silent typecheck
echo "lint: eslint (type-aware), prettier, editorconfig"
npm run --silent check
NODE_OPTIONS=--experimental-vm-modules npx --no-install jest --ci "$@"
if [[ $# -eq 0 ]]; then
  # The worker SIGKILLed 50 times during a stream of 500 orders: minutes of process churn, so it runs
  # alone, after the other suites (which it would otherwise slow down).
  echo "soak: the worker killed 50 times during 500 orders"
  WORKER_CRASH_FULL=1 NODE_OPTIONS=--experimental-vm-modules npx --no-install jest --ci test/worker/crash.e2e-spec.ts
fi
