#!/usr/bin/env bash
# install-go-tool.sh NAME MODULE/PATH@VERSION [PATCH] - build a Go command from the Go module proxy
# into a cache keyed by its version (and the patch's content), and print the path of the binary on
# stdout. With PATCH (a unified diff against the module's root, applied with patch -p1) the command
# is built from the module's source with that change: the runner's patch, for what act does not
# model (sandbox/workflow-runner/act.patch).
#
#   bash scripts/install-go-tool.sh act github.com/nektos/act@v0.2.89 sandbox/workflow-runner/act.patch
#   bash scripts/install-go-tool.sh actionlint github.com/rhysd/actionlint/cmd/actionlint@v1.7.12
#
# Idempotent: when the binary is there, nothing is built (milliseconds). The cache is
# scripts/lib/tool-cache.sh's; the Go module and build caches are Go's own, so a rebuild after a
# cache wipe is quick. Air-gapped: point GOPROXY at your mirror.
set -Eeuo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/tool-cache.sh"

if [ $# -lt 2 ] || [ $# -gt 3 ] || [[ "$2" != ?*@?* ]]; then
    echo "usage: install-go-tool.sh NAME MODULE/PATH@VERSION [PATCH] (received: $*)" >&2
    exit 2
fi
name=$1
spec=$2
patch_file=${3:-}
dir="$TOOLS_ROOT/$name-${spec##*@}"
if [ -n "$patch_file" ]; then
    [ -f "$patch_file" ] || { echo "install-go-tool.sh: no patch file $patch_file" >&2; exit 2; }
    dir="$dir-patched-$(sha256sum "$patch_file" | cut -c1-12)"
fi
tool_cached "$dir" "bin/$name"
if ! command -v go > /dev/null; then
    echo "install-go-tool.sh: go is not on PATH; install Go to build $name from $spec" >&2
    exit 1
fi
echo "==> building $name from $spec (first run only; cached in $dir)" >&2
start=$(date +%s)
tool_begin "$dir"
mkdir -p "$TOOL_TMP/bin"
if [ -z "$patch_file" ]; then
    GOBIN="$TOOL_TMP/bin" GOFLAGS="${GOFLAGS:-} -trimpath" CGO_ENABLED=0 go install -ldflags="-s -w" "$spec" >&2
    built="$TOOL_TMP/bin/$(basename "${spec%@*}")"
else
    # The command is the module's root package (act's main.go); its source comes from Go's module cache.
    source_dir=$(go mod download -json "$spec" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
    [ -d "$source_dir" ] || { echo "install-go-tool.sh: go mod download gave no source for $spec" >&2; exit 1; }
    cp -R "$source_dir" "$TOOL_TMP/src"
    chmod -R u+w "$TOOL_TMP/src"
    patch --quiet --forward -p1 -d "$TOOL_TMP/src" < "$patch_file" >&2
    built="$TOOL_TMP/bin/$name"
    (cd "$TOOL_TMP/src" && GOFLAGS="${GOFLAGS:-} -trimpath" CGO_ENABLED=0 go build -ldflags="-s -w" -o "$built" .) >&2
    rm -rf "$TOOL_TMP/src"
fi
[ -x "$built" ] || { echo "install-go-tool.sh: go install did not produce $built" >&2; exit 1; }
[ "$(basename "$built")" = "$name" ] || mv "$built" "$TOOL_TMP/bin/$name"
echo "    built $name in $(( $(date +%s) - start ))s" >&2
tool_commit "$dir" "bin/$name"
