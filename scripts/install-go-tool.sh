#!/usr/bin/env bash
# install-go-tool.sh NAME MODULE/PATH@VERSION - build a Go command from the Go module proxy into a
# cache keyed by its version, and print the path of the binary on stdout.
#
#   bash scripts/install-go-tool.sh act github.com/nektos/act@v0.2.89
#   bash scripts/install-go-tool.sh actionlint github.com/rhysd/actionlint/cmd/actionlint@v1.7.12
#
# Idempotent: when the binary is there, nothing is built (milliseconds). The cache is
# scripts/lib/tool-cache.sh's; the Go module and build caches are Go's own, so a rebuild after a
# cache wipe is quick. Air-gapped: point GOPROXY at your mirror.
set -Eeuo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/tool-cache.sh"

if [ $# -ne 2 ] || [[ "$2" != ?*@?* ]]; then
    echo "usage: install-go-tool.sh NAME MODULE/PATH@VERSION (received: $*)" >&2
    exit 2
fi
name=$1
spec=$2
dir="$TOOLS_ROOT/$name-${spec##*@}"
tool_cached "$dir" "bin/$name"
if ! command -v go > /dev/null; then
    echo "install-go-tool.sh: go is not on PATH; install Go to build $name from $spec" >&2
    exit 1
fi
echo "==> building $name from $spec (first run only; cached in $dir)" >&2
start=$(date +%s)
tool_begin "$dir"
mkdir -p "$TOOL_TMP/bin"
GOBIN="$TOOL_TMP/bin" GOFLAGS="${GOFLAGS:-} -trimpath" CGO_ENABLED=0 go install -ldflags="-s -w" "$spec" >&2
built="$TOOL_TMP/bin/$(basename "${spec%@*}")"
[ -x "$built" ] || { echo "install-go-tool.sh: go install did not produce $built" >&2; exit 1; }
[ "$(basename "$built")" = "$name" ] || mv "$built" "$TOOL_TMP/bin/$name"
echo "    built $name in $(( $(date +%s) - start ))s" >&2
tool_commit "$dir" "bin/$name"
