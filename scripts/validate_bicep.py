#!/usr/bin/env python3
"""Parses every .bicep file under the given directories with pycep-parser (the Bicep grammar
checkov uses) and reports syntax errors as FILE:LINE:COLUMN, offline. Exit code 1 on any error.

Module paths, `using` targets and required parameters are checked by the TypeScript tests
(test/core/bicep/templates.test.ts) with the same code the Pulumi provider runs, so they are not
repeated here.
"""
from __future__ import annotations

import sys
from pathlib import Path

from lark.exceptions import UnexpectedInput
from pycep import BicepParser


def main(argv: list[str]) -> int:
    roots = [Path(a) for a in argv] or [Path("bicep")]
    files = sorted(f for root in roots for f in root.rglob("*.bicep"))
    if not files:
        print(f"validate_bicep: no .bicep files under {', '.join(map(str, roots))}", file=sys.stderr)
        return 1
    parser = BicepParser()
    errors = 0
    for f in files:
        try:
            parser.parse(text=f.read_text(encoding="utf-8"))
        except UnexpectedInput as err:
            errors += 1
            first = str(err).strip().splitlines()[0]
            print(f"{f}:{err.line}:{err.column}: syntax error: {first}", file=sys.stderr)
    print(f"validate_bicep: parsed {len(files)} files, {errors} with syntax errors")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
