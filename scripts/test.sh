#!/usr/bin/env bash
# `npm test`: Jest and the type-check (the program with its tests, then the policy pack) at the same
# time. The type-check is one single-threaded tsc for ~30 s of CPU; run first, it left one of the
# two cores idle for that long, and Jest's last slow file leaves one idle at the end. Fails when
# either fails; the type-check's output is printed after Jest's. Arguments go to Jest.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
log=$(mktemp)
trap 'rm -f "$log"' EXIT
(node node_modules/typescript/bin/tsc -p tsconfig.json --noEmit && node node_modules/typescript/bin/tsc -p policies/tsconfig.json) > "$log" 2>&1 &
tsc=$!
node node_modules/jest/bin/jest.js "$@"
jest_status=$?
wait "$tsc"
tsc_status=$?
if [ "$tsc_status" -ne 0 ]; then
    cat "$log"
    echo "npm test: the type-check failed (tsc exit $tsc_status)" >&2
fi
[ "$jest_status" -eq 0 ] && [ "$tsc_status" -eq 0 ]
