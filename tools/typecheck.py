"""Type-check the IR and the pass framework with mypy (`tools/dev test` runs it before lit).

    python tools/typecheck.py            # the packages pyproject's [tool.mypy] names
    python tools/typecheck.py -m smopt.ir.core

The source folders install under the `smopt` namespace (pyproject's package-dir mapping), and
mypy cannot follow setuptools' editable-install finder; so this links them into
build/mypy/smopt/ and runs mypy with pyproject's [tool.mypy] settings, which look there.
Error locations are printed as paths in the source tree (`ir/core.py:12: error: ...`).
"""
from __future__ import annotations

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FOLDERS = ("ir", "passes", "compiler", "tools")   # mapped to smopt.<folder> in pyproject.toml
LINKS = os.path.join("build", "mypy", "smopt")


def link_tree() -> None:
    """build/mypy/smopt/<folder> -> <folder>, for every folder the namespace maps."""
    base = os.path.join(ROOT, LINKS)
    os.makedirs(base, exist_ok=True)
    for d in FOLDERS:
        path = os.path.join(base, d)
        target = os.path.join("..", "..", "..", d)
        if os.path.islink(path) and os.readlink(path) == target:
            continue
        if os.path.lexists(path):
            os.remove(path)
        os.symlink(target, path)


def main(argv: list[str] | None = None) -> int:
    try:
        from mypy import api
    except ImportError:
        print("typecheck: mypy is not installed (it is in the test extra: pip install -e '.[test]')",
              file=sys.stderr)
        return 1
    link_tree()
    os.chdir(ROOT)
    out, err, status = api.run(["--config-file", "pyproject.toml", *(sys.argv[1:] if argv is None else argv)])
    prefix = LINKS + os.sep
    sys.stdout.write(out.replace(prefix, ""))
    sys.stderr.write(err.replace(prefix, ""))
    return status


if __name__ == "__main__":
    sys.exit(main())
