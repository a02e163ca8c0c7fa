#!/usr/bin/env bash
# install-actionlint.sh - the workflow linter the tests run on every rendered workflow: actionlint
# built from Go modules, and the shellcheck it runs on each `run:` script, from Debian's package.
# Prints two lines: the path of actionlint, then the path of shellcheck. Idempotent (milliseconds
# once cached); the versions are pinned here and nowhere else.
set -Eeuo pipefail
here=$(dirname "${BASH_SOURCE[0]}")
bash "$here/install-go-tool.sh" actionlint github.com/rhysd/actionlint/cmd/actionlint@v1.7.12
bash "$here/install-deb-tool.sh" shellcheck=0.9.0-1 usr/bin/shellcheck
