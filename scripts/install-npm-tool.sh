#!/usr/bin/env bash
# install-npm-tool.sh NAME@VERSION BIN - install an npm package the tests run as a separate program
# (not a dependency of the project, so no workflow job installs it) into a cache keyed by its
# version, and print the path of its BIN on stdout.
#
#   bash scripts/install-npm-tool.sh azurite@3.37.0 azurite-blob
#
# Idempotent: when the binary is there, nothing is installed. The cache is scripts/lib/tool-cache.sh's.
set -Eeuo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/tool-cache.sh"

if [ $# -ne 2 ] || [[ "$1" != ?*@?* ]]; then
    echo "usage: install-npm-tool.sh NAME@VERSION BIN (received: $*)" >&2
    exit 2
fi
spec=$1
bin=$2
dir="$TOOLS_ROOT/npm-${spec//\//_}"
tool_cached "$dir" "node_modules/.bin/$bin"
echo "==> installing $spec into $dir (first run only)" >&2
tool_begin "$dir"
npm install --prefix "$TOOL_TMP" --no-audit --no-fund --no-save --loglevel=error "$spec" >&2
tool_commit "$dir" "node_modules/.bin/$bin"
