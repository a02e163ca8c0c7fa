# shellcheck shell=bash
# Shared by the scripts that run a Python tool (checkov, zizmor, dvc): make the virtual environment
# DIR from REQUIREMENTS on first use (a re-run finds BIN there and does nothing). Sourced, not run.
#
#   ensure_venv DIR REQUIREMENTS BIN
ensure_venv() {
    if [ ! -x "$1/bin/$3" ]; then
        python3 -m venv "$1"
        "$1/bin/pip" install --quiet --disable-pip-version-check -r "$2"
    fi
}
