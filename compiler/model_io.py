"""Reading inputs (SavedModel directory, IR text file, stdin) and writing outputs atomically."""
from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import re
import shutil
import signal
import socket
import sys
import tempfile
import time

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
    reason = e.strerror
    if not reason and isinstance(e, shutil.Error) and e.args and isinstance(e.args[0], list) and e.args[0]:
        reason = str(e.args[0][0][-1])   # copytree's list of (src, dst, why)
    reason = reason or type(e).__name__
    return SmoptError(f"cannot {what} '{path}': {reason}")


def write_text_atomic(path, text):
    """Write `text` to `path` so that readers never see a partial file ('-' is stdout).

    The text goes to a temporary beside `path` (see temp_prefix) and is renamed over it: a
    crash at any moment leaves the old file or the new one, never a mix, and two writers at
    once leave one of the two complete texts."""
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
        clean_stale_temps(path)
        fd, tmp = tempfile.mkstemp(prefix=temp_prefix(path), dir=d)
        try:
            with os.fdopen(fd, "w") as f:
                f.write(text)
            fault_point("write", path)
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
    except OSError as e:
        raise os_error(e, path) from None


# ---- temporaries beside an output ----------------------------------------------------------
# An output (a SavedModel directory, an -o file) is built in a temporary beside it and renamed
# into place, so it appears complete or not at all. A temporary is named
# `.NAME.smopt-tmp-HOST-PID-XXXXXXXX` (NAME: the output's name, at most 64 characters): hidden,
# and recognisable as smopt's. A run killed before the rename (SIGKILL, power loss) leaves its
# temporary; the next run writing the same output removes every such temporary whose process
# is gone (same host, PID no longer running).
_TEMP_RE = re.compile(r"\.(?P<base>.*)\.smopt-(?:tmp|old)-(?P<host>.+)-(?P<pid>[0-9]+)-[A-Za-z0-9_]+\Z", re.S)


def _host():
    h = re.sub(r"[^A-Za-z0-9_.]", "_", socket.gethostname() or "host")
    return h[:32] or "host"


def _base(path):
    return os.path.basename(os.path.abspath(path))[:64]


def temp_prefix(path, kind="tmp"):
    """mkstemp/mkdtemp prefix of a temporary beside output `path` (kind: tmp, or old for an
    output being replaced)."""
    return f".{_base(path)}.smopt-{kind}-{_host()}-{os.getpid()}-"


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:   # EPERM: someone else's process
        return True
    return True


def clean_stale_temps(path):
    """Remove the temporaries beside output `path` that killed runs on this host left
    (their process is gone); returns their names. Errors are ignored: a temporary that
    cannot be removed is only clutter."""
    parent = os.path.dirname(os.path.abspath(path))
    base, host = _base(path), _host()
    removed = []
    try:
        names = os.listdir(parent)
    except OSError:
        return removed
    for name in names:
        m = _TEMP_RE.match(name)
        if not m or m.group("base") != base or m.group("host") != host:
            continue
        pid = int(m.group("pid"))
        if pid == os.getpid() or _alive(pid):
            continue
        p = os.path.join(parent, name)
        try:
            if os.path.isdir(p) and not os.path.islink(p):
                shutil.rmtree(p)
            else:
                os.unlink(p)
            removed.append(name)
        except OSError:
            pass
    return removed


_WORK_RE = re.compile(r"smopt-work-(?P<host>.+)-(?P<pid>[0-9]+)-[A-Za-z0-9_]+\Z", re.S)


def make_work_dir():
    """A scratch directory for one run (`$TMPDIR/smopt-work-HOST-PID-XXXX`, removed by the
    run). Those of killed runs on this host (their process gone) are removed first."""
    root, host = tempfile.gettempdir(), _host()
    try:
        names = os.listdir(root)
    except OSError:
        names = []
    for name in names:
        m = _WORK_RE.match(name)
        if m and m.group("host") == host and int(m.group("pid")) != os.getpid() \
                and not _alive(int(m.group("pid"))):
            shutil.rmtree(os.path.join(root, name), ignore_errors=True)
    return tempfile.mkdtemp(prefix=f"smopt-work-{host}-{os.getpid()}-")


# ---- publishing a directory: one step, race-safe --------------------------------------------
LOCK_WAIT_S = 120.0


def output_state(path):
    """What is at output location `path` now: None (nothing), else (device, inode, mtime,
    non-empty). Taken when a run starts and compared when it publishes, to tell whether
    another process wrote `path` meanwhile (a rename gives a new inode, adding or removing
    entries a new mtime)."""
    try:
        st = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    try:
        nonempty = bool(os.listdir(path)) if os.path.isdir(path) else True
    except OSError:
        nonempty = True
    return (st.st_dev, st.st_ino, st.st_mtime_ns, nonempty)


@contextlib.contextmanager
def publish_lock(path):
    """Hold the lock on publishing output `path` among smopt processes: flock on
    `.NAME.smopt-lock` beside it, removed on release. The kernel drops a flock when its
    process dies, so a killed run never blocks the next one; a file system without locks
    runs unlocked (the rename still fails onto a non-empty directory)."""
    import fcntl
    parent = os.path.dirname(os.path.abspath(path))
    lock = os.path.join(parent, f".{_base(path)}.smopt-lock")
    deadline = time.monotonic() + LOCK_WAIT_S
    fd = None
    while True:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise SmoptError(f"cannot publish '{path}': another process has held the lock "
                                         f"'{lock}' for {LOCK_WAIT_S:.0f} s") from None
                    time.sleep(0.05)
        except OSError as e:
            os.close(fd)
            if e.errno in (errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOSYS, errno.EINVAL):
                fd = None
                break
            raise
        # The previous holder removes the file on release: hold the lock of the file that is
        # there now, or try again.
        try:
            here = os.stat(lock)
            mine = os.fstat(fd)
            if (here.st_dev, here.st_ino) == (mine.st_dev, mine.st_ino):
                break
        except FileNotFoundError:
            pass
        os.close(fd)
    try:
        yield
    finally:
        if fd is not None:
            try:
                os.unlink(lock)
            except OSError:
                pass
            os.close(fd)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def exchange(a, b):
    """Swap the paths `a` and `b` in one step (Linux renameat2 RENAME_EXCHANGE). False where
    the system or the file system cannot; OSError for other failures."""
    try:
        fn = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    fn.restype = ctypes.c_int
    if fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(err, os.strerror(err), b)


def _changed_message(path, before):
    what = "appeared" if before is None else "changed"
    return (f"output directory '{path}' {what} during the conversion (another process wrote it); "
            "it is left as it is and nothing was written")


def check_unchanged(path, before):
    """SmoptError if `path` is now a non-empty directory that differs from `before`
    (output_state when the run started): another process wrote it meanwhile."""
    now = output_state(path)
    if now is not None and now[3] and os.path.isdir(path) and (before is None or before[:3] != now[:3]):
        raise SmoptError(_changed_message(path, before))


def publish_dir(tmp, path, overwrite=False, before=None):
    """Move the finished directory `tmp` (a temporary beside `path`) to `path`, atomically
    and race-safe. `before` is output_state(path) when the run started.

    - nothing at `path`, or an empty directory: one rename; readers see all or nothing.
    - a non-empty directory (--overwrite): swapped with `tmp` in one step (renameat2
      RENAME_EXCHANGE; elsewhere two renames), then the old output is deleted.
    - `path` differs from `before` (another run published, or someone wrote into it, while
      this one worked): SmoptError, and `path` is left as the other process made it.
    Among smopt processes the check and the move happen under publish_lock(path)."""
    fault_point("finished", path)
    old = None
    with publish_lock(path):
        fault_point("publish", path)
        now = output_state(path)
        if now is not None and not os.path.isdir(path):
            raise SmoptError(f"output path '{path}' exists and is not a directory")
        if now is not None and now[3]:   # a non-empty directory
            same = before is not None and before[:3] == now[:3] and before[3]
            if not (overwrite and same):
                raise SmoptError(_changed_message(path, before))
            if exchange(tmp, path):
                old = tmp
            else:
                old = tempfile.mkdtemp(prefix=temp_prefix(path, "old"), dir=os.path.dirname(tmp))
                os.rename(path, old)    # onto the empty directory mkdtemp made
                os.rename(tmp, path)
            fault_point("replaced", path)
        else:
            try:
                os.rename(tmp, path)    # replaces an empty directory
            except OSError as e:
                if e.errno in (errno.ENOTEMPTY, errno.EEXIST):
                    raise SmoptError(_changed_message(path, before)) from None
                if now is None:
                    raise
                # `path` is an empty mount point (EBUSY, EXDEV): move the entries instead
                for name in os.listdir(tmp):
                    os.rename(os.path.join(tmp, name), os.path.join(path, name))
                os.rmdir(tmp)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


# ---- fault injection, for tests/test_fault_safety.py only ----------------------------------
FAULT_ENV = "SMOPT_FAULT_INJECT"
_FAULTS = {"enospc": errno.ENOSPC, "erofs": errno.EROFS, "eio": errno.EIO}


def fault_point(name, path=None):
    """A moment at which the fault-safety tests inject a fault; does nothing unless the
    environment variable SMOPT_FAULT_INJECT (test-only) names this point:
    `POINT=stop` stops the process with SIGSTOP (the test then kills it with SIGKILL, a crash
    at exactly this moment, or continues it with SIGCONT), `POINT=enospc|erofs|eio` raises the
    OSError a full disk, a read-only file system or a failing disk gives; several as
    `P=A,P=A`. Points: `import` (saved_model.pb read), `export` (the temporary output
    directory holds saved_model.pb), `variables` (each file copied into variables/, and
    before a rewritten checkpoint is written), `finished` (the output is complete, before
    publish_dir takes its lock), `publish` (under the lock, before the rename), `replaced`
    (--overwrite: after the swap, before the old output is deleted), `write` (smopt -o: the
    temporary file is written, before the rename). `POINT@NAME=ACTION` applies only where the
    output's file name is NAME (smopt-optimize exports trial models before its output)."""
    spec = os.environ.get(FAULT_ENV)
    if not spec:
        return
    for item in spec.split(","):
        point, _, action = item.partition("=")
        point, _, only = point.strip().partition("@")
        if point != name or (only and os.path.basename(os.path.normpath(path or "")) != only):
            continue
        action = action.strip()
        if action == "stop":
            sys.stdout.flush()
            sys.stderr.flush()
            os.kill(os.getpid(), signal.SIGSTOP)
        elif action in _FAULTS:
            code = _FAULTS[action]
            raise OSError(code, os.strerror(code), path)
