"""Where analysis passes write their text: '-' is stderr (stdout carries the IR), else a file."""
from __future__ import annotations

import sys


def write_text(dest: str, text: str) -> None:
    if dest == "-":
        sys.stderr.write(text)
        sys.stderr.flush()
    else:
        with open(dest, "w") as f:
            f.write(text)
