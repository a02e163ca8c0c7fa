#!/usr/bin/env bash
# Validates bicep/ offline with Bicep-aware tools (no az, no network):
#   1. scripts/validate_bicep.py parses every .bicep file with pycep-parser (syntax errors as FILE:LINE:COLUMN);
#   2. checkov's bicep framework checks the security baseline; bicep/.checkov.yaml lists the
#      accepted exceptions, each with its reason.
# Needs the packages in requirements-bicep.txt. Set BICEP_VENV to a virtual environment to use it
# (created and filled on first use); otherwise python3 and checkov from PATH are used.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -n "${BICEP_VENV:-}" ]; then
  source scripts/lib/venv.sh
  ensure_venv "$BICEP_VENV" requirements-bicep.txt checkov
  PATH="$BICEP_VENV/bin:$PATH"
fi

python3 scripts/validate_bicep.py bicep
# Checkov downloads guideline texts and reports usage unless told not to; neither is needed.
export BC_SKIP_MAPPING=TRUE CHECKOV_RUN_SCA_PACKAGE_SCAN_V2=false
checkov --config-file bicep/.checkov.yaml
