#!/usr/bin/env bash
# Runs a command on Node 24 (see scripts/lib/node.sh): `bash scripts/with-node24.sh tsx bench/run.ts`.
set -euo pipefail
# shellcheck source=lib/node.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/node.sh"
use_node24
exec "$@"
