#!/usr/bin/env bash
# install-go-tool.sh NAME MODULE/PATH@VERSION - build a Go command from the Go module proxy into a
# cache keyed by its version, and print the path of the binary on stdout.
#
#   bash scripts/install-go-tool.sh act github.com/nektos/act@v0.2.89
#   bash scripts/install-go-tool.sh actionlint github.com/rhysd/actionlint/cmd/actionlint@v1.7.12
#
# Idempotent: when the binary is there, nothing is built (milliseconds). The cache root is
# $DELIVERY_TOOLS_DIR (default ~/.cache/delivery-platform/tools); the Go module and build caches are
# Go's own, so a rebuild after a cache wipe is quick. Air-gapped: point GOPROXY at your mirror.
set -Eeuo pipefail

if [ $# -ne 2 ] || [[ "$2" != *@* ]]; then
    echo "usage: install-go-tool.sh NAME MODULE/PATH@VERSION (received: $*)" >&2
    exit 2
fi
name=$1
spec=$2
version=${spec##*@}
root=${DELIVERY_TOOLS_DIR:-$HOME/.cache/delivery-platform/tools}
dir="$root/$name-$version"
bin="$dir/bin/$name"

if [ -x "$bin" ]; then
    echo "$bin"
    exit 0
fi
if ! command -v go > /dev/null; then
    echo "install-go-tool.sh: go is not on PATH; install Go to build $name from $spec" >&2
    exit 1
fi
echo "==> building $name from $spec (first run only; cached in $dir)" >&2
start=$(date +%s)
tmp="$dir.tmp.$$"
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/bin"
GOBIN="$tmp/bin" GOFLAGS="${GOFLAGS:-} -trimpath" CGO_ENABLED=0 go install -ldflags="-s -w" "$spec" >&2
built="$tmp/bin/$(basename "${spec%@*}")"
[ -x "$built" ] || { echo "install-go-tool.sh: go install did not produce $built" >&2; exit 1; }
[ "$(basename "$built")" = "$name" ] || mv "$built" "$tmp/bin/$name"
rm -rf "$dir"
mv "$tmp" "$dir"
echo "    built $name in $(( $(date +%s) - start ))s" >&2
echo "$bin"
