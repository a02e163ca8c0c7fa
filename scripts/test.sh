#!/usr/bin/env bash
# `npm test`: Jest and the type-check (the program with its tests, and the policy pack) at the same
# time, Jest with two workers a core (jest.config.js says why). The type-check runs at the
# lowest priority: it takes the cycles Jest leaves and cannot slow it (three runs each, alternated:
# niced 50-56 s, at normal priority 53-60 s). Prints when each finished; fails when either fails;
# the type-check's output is printed after Jest's. Arguments go to Jest.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit
started=$EPOCHREALTIME
# Seconds since the start, to a tenth.
elapsed() { awk -v a="$started" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# The type-check is incremental: tsc keeps each file's content hash and diagnostics in a build-info
# file and re-checks only what changed and what depends on it. The file lives in node_modules/.cache
# (its paths are relative to it), and a copy in the user's cache carries it to a new clone of the
# same dependencies; a stale copy costs a full check, never a wrong one.
info_dir=node_modules/.cache/delivery-platform/tsc
shared="${XDG_CACHE_HOME:-$HOME/.cache}/delivery-platform/tsc-$(sha256sum package-lock.json | cut -c1-12)"
mkdir -p "$info_dir"
for f in program policies; do
    [ -f "$info_dir/$f.tsbuildinfo" ] || cp "$shared/$f.tsbuildinfo" "$info_dir/" 2> /dev/null || true
done
typecheck() { nice -n 19 node node_modules/typescript/bin/tsc -p "$1" --noEmit --incremental --tsBuildInfoFile "$info_dir/$2.tsbuildinfo"; }
(
    typecheck policies/tsconfig.json policies &
    policies=$!
    typecheck tsconfig.json program
    program_status=$?
    wait "$policies" && [ "$program_status" -eq 0 ] &&
        mkdir -p "$shared" &&
        for f in program policies; do cp "$info_dir/$f.tsbuildinfo" "$shared/.$f.$$" && mv "$shared/.$f.$$" "$shared/$f.tsbuildinfo"; done
) > "$log" 2>&1 &
tsc=$!
node node_modules/jest/bin/jest.js "$@"
jest_status=$?
jest_done=$(elapsed)
wait "$tsc"
tsc_status=$?
echo "npm test: Jest done at ${jest_done} s, the type-check at $(elapsed) s" >&2
if [ "$tsc_status" -ne 0 ]; then
    cat "$log"
    echo "npm test: the type-check failed (tsc exit $tsc_status)" >&2
fi
[ "$jest_status" -eq 0 ] && [ "$tsc_status" -eq 0 ]
