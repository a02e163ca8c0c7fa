#!/usr/bin/env bash
# install-node.sh - prints the directory of a `node` whose major is the one .node-version names (the
# Node.js every workflow job runs): the machine's own when it is that major, otherwise Node.js from
# the npm registry's `node` package (which ships the binary), cached by version with
# scripts/install-npm-tool.sh. Put it first on PATH:
#
#   PATH="$(bash scripts/install-node.sh):$PATH"
#
# Idempotent (milliseconds once cached). The exact fallback version is pinned here; its major must
# be .node-version's.
set -Eeuo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FALLBACK=24.21.0

wanted=$(head -n 1 "$root/.node-version" | tr -d '[:space:]')
if ! [[ "$wanted" =~ ^[0-9]+$ ]]; then
    echo "install-node.sh: .node-version must hold a Node.js major (e.g. 24), not \"$wanted\"" >&2
    exit 2
fi
if [ "${FALLBACK%%.*}" != "$wanted" ]; then
    echo "install-node.sh: the pinned fallback node@$FALLBACK is not Node.js $wanted (.node-version); pin a $wanted.x release here" >&2
    exit 2
fi
if command -v node > /dev/null && [ "$(node -p 'process.versions.node.split(".")[0]')" = "$wanted" ]; then
    dirname "$(command -v node)"
    exit 0
fi
dirname "$(bash "$root/scripts/install-npm-tool.sh" "node@$FALLBACK" node)"
