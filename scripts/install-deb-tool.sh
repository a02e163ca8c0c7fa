#!/usr/bin/env bash
# install-deb-tool.sh PACKAGE=VERSION BIN - unpack a Debian package (no root, nothing installed
# system-wide) into a cache keyed by its version, and print the path of BIN (the program's path
# inside the package) on stdout.
#
#   bash scripts/install-deb-tool.sh shellcheck=0.9.0-1 usr/bin/shellcheck
#
# `apt-get download` fetches the package, checked against the signed archive index like any apt
# install; `dpkg -x` unpacks it. When the machine's package lists do not have it (never updated,
# or the user may not update them), the lists are fetched into the temporary directory first, so
# a plain user needs no root. The package's own dependencies must be on the machine (shellcheck:
# libgmp and libffi, present on Debian). Idempotent; the cache is scripts/lib/tool-cache.sh's.
set -Eeuo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib/tool-cache.sh"

if [ $# -ne 2 ] || [[ "$1" != ?*=?* ]]; then
    echo "usage: install-deb-tool.sh PACKAGE=VERSION BIN (received: $*)" >&2
    exit 2
fi
spec=$1
bin=$2
dir="$TOOLS_ROOT/deb-${spec//[=:]/_}"
tool_cached "$dir" "$bin"
for cmd in apt-get dpkg; do
    command -v "$cmd" > /dev/null || { echo "install-deb-tool.sh: $cmd is not on PATH; this installer needs a Debian-based machine for $spec" >&2; exit 1; }
done
echo "==> downloading $spec into $dir (first run only)" >&2
tool_begin "$dir"
mkdir -p "$TOOL_TMP/deb"
if ! (cd "$TOOL_TMP/deb" && apt-get -q download "$spec" >&2 2> "$TOOL_TMP/apt.log"); then
    echo "    not in this machine's package lists; fetching the lists into $TOOL_TMP" >&2
    private=(-q -o "Dir::State::Lists=$TOOL_TMP/lists" -o "Dir::Cache=$TOOL_TMP/apt-cache" -o Debug::NoLocking=1)
    mkdir -p "$TOOL_TMP/lists/partial" "$TOOL_TMP/apt-cache/archives/partial"
    apt-get "${private[@]}" update >&2 || { cat "$TOOL_TMP/apt.log" >&2; echo "install-deb-tool.sh: apt-get update failed; is a Debian mirror reachable?" >&2; exit 1; }
    (cd "$TOOL_TMP/deb" && apt-get "${private[@]}" download "$spec" >&2)
fi
dpkg -x "$TOOL_TMP"/deb/*.deb "$TOOL_TMP"
rm -rf "$TOOL_TMP/deb" "$TOOL_TMP/lists" "$TOOL_TMP/apt-cache" "$TOOL_TMP/apt.log"
tool_commit "$dir" "$bin"
