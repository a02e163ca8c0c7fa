# Shared by scripts/install-*-tool.sh: a cache of programs the tests run, one directory per tool
# and version under $DELIVERY_TOOLS_DIR (default ~/.cache/delivery-platform/tools), filled
# atomically (built in a temporary sibling, then renamed) so an interrupted install leaves nothing
# that looks installed. Sourced, not run.
#
#   tool_cached DIR RELATIVE-BIN   prints DIR/RELATIVE-BIN and exits 0 when it is installed
#   tool_begin DIR                 makes "$TOOL_TMP" (removed on exit unless tool_commit ran)
#   tool_commit DIR RELATIVE-BIN   checks "$TOOL_TMP/RELATIVE-BIN" runs, moves it to DIR, prints DIR/RELATIVE-BIN

TOOLS_ROOT=${DELIVERY_TOOLS_DIR:-$HOME/.cache/delivery-platform/tools}

tool_cached() {
    if [ -x "$1/$2" ]; then
        echo "$1/$2"
        exit 0
    fi
}

tool_begin() {
    TOOL_TMP="$1.tmp.$$"
    trap 'rm -rf "$TOOL_TMP"' EXIT
    rm -rf "$TOOL_TMP"
    mkdir -p "$TOOL_TMP"
}

tool_commit() {
    [ -x "$TOOL_TMP/$2" ] || { echo "${0##*/}: the install produced no executable $2" >&2; exit 1; }
    rm -rf "$1"
    mv "$TOOL_TMP" "$1"
    echo "$1/$2"
}
