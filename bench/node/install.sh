#!/usr/bin/env bash
# Install the Node client baseline's packages (bench/node/client) exactly as its
# package-lock.json pins them, with `npm ci`. Idempotent and quick: node_modules
# installed from the same lock file is left alone.
#
#   bash bench/node/install.sh          # what `make bench` runs
#   FORCE=1 bash bench/node/install.sh  # reinstall even when up to date
#
# Install scripts are not run (--ignore-scripts): none is needed. The only native
# package, pkcs11js (an optional dependency of @hyperledger/fabric-gateway), serves
# hardware security modules, which the baseline does not use.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
MIN_NODE_MAJOR=20
STAMP=.gridledger-lock.sha256

fail() { echo "bench/node/install.sh: $*" >&2; exit 1; }

command -v node >/dev/null || fail "node is not installed (Node.js >= ${MIN_NODE_MAJOR} is needed)"
command -v npm >/dev/null || fail "npm is not installed"
major="$(node -p 'process.versions.node.split(".")[0]')"
[ "$major" -ge "$MIN_NODE_MAJOR" ] || fail "Node.js $(node --version) is too old: ${MIN_NODE_MAJOR} or later is needed"

dir="$HERE/client"
[ -f "$dir/package-lock.json" ] || fail "$dir/package-lock.json is missing"
want="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
have="$(cat "$dir/node_modules/$STAMP" 2>/dev/null || true)"
if [ "${FORCE:-}" != 1 ] && [ "$want" = "$have" ]; then
    echo "bench/node/client: node_modules up to date with package-lock.json"
    exit 0
fi
echo "bench/node/client: npm ci (from package-lock.json)"
started=$SECONDS
(cd "$dir" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error) \
    || fail "npm ci failed in $dir"
echo "$want" > "$dir/node_modules/$STAMP"
echo "bench/node/client: installed in $((SECONDS - started)) s"
