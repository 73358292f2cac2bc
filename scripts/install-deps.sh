#!/usr/bin/env bash
# Installs node_modules from the committed lockfile when they are missing or out of date.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [[ -f node_modules/.package-lock.json && node_modules/.package-lock.json -nt package-lock.json ]]; then
  echo "deps: node_modules up to date"
  exit 0
fi
echo "deps: npm ci (lockfile)"
# Install scripts are denied in package.json (allowScripts): every native piece we use ships prebuilt.
npm ci --no-audit --no-fund --loglevel=error
touch node_modules/.package-lock.json
