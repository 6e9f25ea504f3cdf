"""Reading inputs (SavedModel directory, IR text file, stdin) and writing outputs atomically."""
from __future__ import annotations

import os
import sys
import tempfile

from smopt.ir import parse_module

from smopt.compiler.errors import SmoptError

SPLIT_MARKER = "// -----"


def read_text(path):
    if path == "-":
        return sys.stdin.read(), "<stdin>"
    if not os.path.exists(path):
        raise SmoptError(f"input '{path}' does not exist")
    try:
        with open(path, encoding="utf-8") as f:
            return f.read(), path
    except UnicodeDecodeError:
        raise SmoptError(f"input '{path}' is not UTF-8 IR text (nor a SavedModel directory)") from None


def load_module(path, tags=None):
    """A Module from a SavedModel directory, an IR text file or '-' (stdin)."""
    if path != "-" and os.path.isdir(path):
        from smopt.compiler.importer import import_saved_model
        return import_saved_model(path, tags)
    text, name = read_text(path)
    return parse_module(text, name)


def split_chunks(text):
    """(chunk text, line offset) pieces separated by `// -----` lines (for --split-input-file)."""
    chunks, cur, start = [], [], 0
    for i, line in enumerate(text.splitlines(keepends=True)):
        if line.strip() == SPLIT_MARKER:
            chunks.append(("".join(cur), start))
            cur, start = [], i + 1
        else:
            cur.append(line)
    chunks.append(("".join(cur), start))
    return chunks


def nearest_existing(path):
    """The longest prefix of `path` that exists (lexists: a dangling link counts)."""
    p = os.path.abspath(path)
    while not os.path.lexists(p):
        parent = os.path.dirname(p)
        if parent == p:
            break
        p = parent
    return p


def dir_writable(d):
    """Whether entries can be created in directory `d` (root passes unless the file system is
    read-only)."""
    return os.access(d, os.W_OK | os.X_OK)


def check_output_file(path, flag="-o"):
    """Before any work: can `path` be written as a file? SmoptError naming flag and path if not.

    Checks what can be known up front (a directory in the way, a missing parent directory, a
    parent that is a file, a parent that is not writable); the write itself still reports
    what only writing can tell (a full disk, a read-only file system)."""
    if path == "-":
        return
    if not path:
        raise SmoptError(f"{flag} names no file (an empty path)")
    if os.path.isdir(path) or path.endswith(("/", os.sep)):
        raise SmoptError(f"{flag} '{path}' is a directory, not a file")
    if os.path.exists(path) and not os.path.isfile(path):
        return  # /dev/null and friends: written in place
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        hit = nearest_existing(parent)
        if os.path.lexists(hit) and not os.path.isdir(hit):
            raise SmoptError(f"cannot write {flag} '{path}': '{hit}' is a file, not a directory")
        raise SmoptError(f"cannot write {flag} '{path}': directory '{parent}' does not exist")
    if not dir_writable(parent) or (os.path.exists(path) and not os.access(path, os.W_OK)):
        raise SmoptError(f"cannot write {flag} '{path}': permission denied")


def check_output_dir(path, flag):
    """Before any work: can directory `path` be used or created (with its parents)?"""
    if not path:
        raise SmoptError(f"{flag} names no directory (an empty path)")
    if os.path.lexists(path) and not os.path.isdir(path):
        raise SmoptError(f"{flag} '{path}' exists and is not a directory")
    hit = nearest_existing(path)
    if not os.path.isdir(hit):
        raise SmoptError(f"cannot create {flag} '{path}': '{hit}' is a file, not a directory")
    if not dir_writable(hit):
        raise SmoptError(f"cannot write {flag} '{path}': directory '{hit}' is not writable")


def os_error(e, path, what="write"):
    """A SmoptError for an OSError met while writing `path` (full disk, read-only file system)."""
    reason = e.strerror or type(e).__name__
    return SmoptError(f"cannot {what} '{path}': {reason}")


def write_text_atomic(path, text):
    """Write `text` to `path` so that readers never see a partial file ('-' is stdout)."""
    if path == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    check_output_file(path)
    try:
        if os.path.exists(path) and not os.path.isfile(path):
            with open(path, "w") as f:  # /dev/null and friends
                f.write(text)
            return
        d = os.path.dirname(os.path.abspath(path))
        fd, tmp = tempfile.mkstemp(prefix=".smopt-", dir=d)
        try:
            with os.fdopen(fd, "w") as f:
                f.write(text)
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
    except OSError as e:
        raise os_error(e, path) from None
