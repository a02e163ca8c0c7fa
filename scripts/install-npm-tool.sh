#!/usr/bin/env bash
# install-npm-tool.sh NAME@VERSION BIN - install an npm package the tests run as a separate program
# (not a dependency of the project, so no workflow job installs it) into a cache keyed by its
# version, and print the path of its BIN on stdout.
#
#   bash scripts/install-npm-tool.sh azurite@3.37.0 azurite-blob
#
# Idempotent: when the binary is there, nothing is installed. Cache root: $DELIVERY_TOOLS_DIR
# (default ~/.cache/delivery-platform/tools).
set -Eeuo pipefail
if [ $# -ne 2 ] || [[ "$1" != ?*@?* ]]; then
    echo "usage: install-npm-tool.sh NAME@VERSION BIN (received: $*)" >&2
    exit 2
fi
spec=$1
bin=$2
root=${DELIVERY_TOOLS_DIR:-$HOME/.cache/delivery-platform/tools}
dir="$root/npm-${spec//\//_}"
path="$dir/node_modules/.bin/$bin"
if [ -x "$path" ]; then
    echo "$path"
    exit 0
fi
echo "==> installing $spec into $dir (first run only)" >&2
tmp="$dir.tmp.$$"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp"
npm install --prefix "$tmp" --no-audit --no-fund --no-save --loglevel=error "$spec" >&2
[ -x "$tmp/node_modules/.bin/$bin" ] || { echo "install-npm-tool.sh: $spec has no bin $bin" >&2; exit 1; }
rm -rf "$dir"
mv "$tmp" "$dir"
echo "$path"
