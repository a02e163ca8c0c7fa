#!/usr/bin/env bash
# Audits the workflows the prod stack commits with zizmor (--persona=auditor, offline) and fails on
# any High or Medium finding. Every Low is printed; the ones not fixed are listed, each with its
# reason, in workflows/zizmor.yml, the one reviewed place where a finding may be set aside.
#   1. renders the workflows (`delivery render-workflows --stack prod`, from dist/: run after npm ci);
#   2. checks that zizmor still finds a planted template injection (the audit is not a no-op);
#   3. prints every finding, then fails when one is Medium or above.
# Needs zizmor from requirements-zizmor.txt. Set ZIZMOR_VENV to a virtual environment to use it
# (created and filled on first use); otherwise zizmor from PATH is used.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -n "${ZIZMOR_VENV:-}" ]; then
  source scripts/lib/venv.sh
  ensure_venv "$ZIZMOR_VENV" requirements-zizmor.txt zizmor
  PATH="$ZIZMOR_VENV/bin:$PATH"
fi
want="$(sed -n 's/^zizmor==//p' requirements-zizmor.txt)"
have="$(zizmor --version | awk '{print $2}')"
if [ "$have" != "$want" ]; then
  echo "scripts/zizmor.sh: zizmor $have is on PATH, requirements-zizmor.txt pins $want; set ZIZMOR_VENV (or install the pinned version)" >&2
  exit 2
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
node bin/delivery.js render-workflows --stack prod --out "$work/rendered" > /dev/null
audit() { zizmor --offline --persona=auditor --config workflows/zizmor.yml --no-progress --quiet "$@"; }
# Findings are set aside only in workflows/zizmor.yml, with their reasons; never inline.
if grep -rn 'zizmor:' "$work/rendered"; then
  echo "scripts/zizmor.sh: a rendered workflow carries an inline zizmor comment (above); list the finding in workflows/zizmor.yml with its reason instead" >&2
  exit 1
fi

# A finding zizmor must report, so a broken install or a config that silences everything fails here.
mkdir -p "$work/canary/.github/workflows"
cat > "$work/canary/.github/workflows/canary.yml" <<'YAML'
name: canary
on: { issues: { types: [opened] } }
permissions: {}
jobs:
  echo:
    runs-on: ubuntu-latest
    permissions: {}
    steps:
      - run: echo "${{ github.event.issue.title }}"
YAML
if audit --min-severity=high --format=plain "$work/canary" > "$work/canary.txt" 2>&1; then
  cat "$work/canary.txt" >&2
  echo "scripts/zizmor.sh: zizmor found nothing in a workflow with a template injection; the audit is not working" >&2
  exit 1
fi

echo "zizmor $have (auditor persona) on the rendered workflows:"
audit --format=plain --no-exit-codes "$work/rendered"
if ! audit --format=plain --min-severity=medium "$work/rendered" > "$work/gate.txt" 2>&1; then
  cat "$work/gate.txt" >&2
  echo "scripts/zizmor.sh: the workflows have High or Medium zizmor findings (above); fix them in workflows/*.ts" >&2
  exit 1
fi
echo "zizmor: no High or Medium finding."
