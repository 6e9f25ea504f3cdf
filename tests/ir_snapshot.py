"""Snapshot smopt's printed IR, to prove a refactoring changed no behaviour.

    python tests/ir_snapshot.py capture DIR [--module-prefix smopt.tools] [--models [--models-dir M]]
    python tests/ir_snapshot.py compare OLD NEW

`capture` writes one file per lit test: every text its RUN lines pipe into `filecheck` (the
golden text; filecheck is replaced by a recorder, lit's `not` by a shim), plus the input's
print -> parse -> print round trip. With `--models` it also lifts every model the pytest
models modules build and prints it before and after a few pipelines that exercise the
rewriting passes. `--module-prefix` names where the tools live (`tools` before the move
to the `smopt` namespace, `smopt.tools` after), so one script captures both sides.
`compare` lists the files that differ (exit status 1 if any).
"""
from __future__ import annotations

import argparse
import difflib
import os
import re
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LIT = os.path.join(ROOT, "lit_tests")
TOOLS = {"smopt": "smopt", "smopt-convert": "smopt_convert", "smopt-optimize": "smopt_optimize"}
# Pipelines run on every lifted test model (alias-free ones skip nothing: these passes
# accept any module).
MODEL_PIPELINES = {
    "lift": "",
    "cleanup": "inline,canonicalize,cse,dce,symbol-dce,merge-functions",
    "xla-cluster": "inline,canonicalize,cse,dce,xla-cluster",
    "auto-partition": "inline,canonicalize,cse,dce,tpu-auto-partition",
}


def _shims(bindir, prefix, record):
    os.makedirs(bindir, exist_ok=True)
    py = sys.executable
    for tool, mod in TOOLS.items():
        _write_exec(os.path.join(bindir, tool), f'#!/bin/sh\nexec "{py}" -m {prefix}.{mod} "$@"\n')
    _write_exec(os.path.join(bindir, "filecheck"),
                f'#!/bin/sh\n{{ echo "==== filecheck $*"; cat; }} >> "{record}"\n')
    _write_exec(os.path.join(bindir, "not"), '#!/bin/sh\n"$@"\n[ $? -ne 0 ]\n')


def _write_exec(path, text):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o755)


def _run_lines(path):
    lines, cur = [], ""
    with open(path) as f:
        for line in f:
            m = re.search(r"RUN:(.*)$", line)
            if not m:
                continue
            part = m.group(1).rstrip()
            if part.endswith("\\"):
                cur += part[:-1] + " "
                continue
            lines.append((cur + part).strip())
            cur = ""
    return lines


def _lit_inputs():
    for dirpath, dirnames, files in os.walk(LIT):
        dirnames[:] = sorted(d for d in dirnames if d != "Output")
        for name in sorted(files):
            if name.endswith((".mlir", ".test")):
                yield os.path.join(dirpath, name)


def capture_lit(out_dir, prefix):
    work = tempfile.mkdtemp(prefix="ir-snapshot-")
    try:
        for path in _lit_inputs():
            rel = os.path.relpath(path, LIT)
            record = os.path.join(out_dir, "lit", rel + ".txt")
            os.makedirs(os.path.dirname(record), exist_ok=True)
            open(record, "w").close()
            bindir = os.path.join(work, "bin")
            _shims(bindir, prefix, record)
            tdir = os.path.join(work, "t", rel.replace(os.sep, "_"))
            os.makedirs(tdir, exist_ok=True)
            tmp = os.path.join(tdir, "t")
            env = dict(os.environ, PATH=bindir + os.pathsep + os.environ["PATH"], SMOPT_TEST_PASSES="1")
            subs = [("%python", sys.executable), ("%s", path), ("%S", os.path.dirname(path)),
                    ("%t", tmp), ("%T", tdir), ("%p", os.path.dirname(path))]
            if "Inputs" not in rel.split(os.sep):
                for cmd in _run_lines(path):
                    for k, v in subs:
                        cmd = cmd.replace(k, v)
                    p = subprocess.run(["bash", "-c", "set -o pipefail; " + cmd], cwd=tdir, env=env,
                                       capture_output=True, text=True)
                    with open(record, "a") as f:
                        f.write(f"==== exit {p.returncode}\n")
            p = subprocess.run([os.path.join(bindir, "smopt"), path, "--split-input-file"], env=env,
                               capture_output=True, text=True)
            with open(record, "a") as f:
                f.write(f"==== round trip (exit {p.returncode})\n{p.stdout}{p.stderr}")
            # Temporary paths differ between runs; name them by role.
            with open(record) as f:
                text = f.read().replace(tdir, "%T").replace(work, "%W").replace(ROOT, "%ROOT")
            with open(record, "w") as f:
                f.write(text)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _test_models():
    sys.path.insert(0, ROOT)
    import importlib
    for modname in sorted(m[:-3] for m in os.listdir(os.path.join(ROOT, "tests"))
                          if m.startswith("models_") and m.endswith(".py")):
        mod = importlib.import_module(f"tests.{modname}")
        for table in ("MODELS", "BUILDERS", "CAPTURE_MODELS"):
            for name, build in sorted(getattr(mod, table, {}).items()):
                if callable(build):
                    yield f"{modname}.{name}", build


def capture_models(out_dir, prefix, models_dir=None):
    """Model building is not deterministic (Keras' variable order, LSTM uuids): pass the same
    `models_dir` to both captures so that they read the same SavedModels."""
    work = models_dir or tempfile.mkdtemp(prefix="ir-snapshot-models-")
    try:
        for key, build in _test_models():
            path = os.path.join(work, key)
            try:
                if not os.path.exists(os.path.join(path, "saved_model.pb")):
                    build(path)
            except Exception as e:  # a builder needing extra arguments: not part of the set
                print(f"skip {key}: {type(e).__name__}: {e}", file=sys.stderr)
                continue
            for pname, pipe in MODEL_PIPELINES.items():
                cmd = [sys.executable, "-m", f"{prefix}.smopt", path] + (["-p", pipe] if pipe else [])
                p = subprocess.run(cmd, capture_output=True, text=True)
                dest = os.path.join(out_dir, "models", f"{key}.{pname}.mlir")
                os.makedirs(os.path.dirname(dest), exist_ok=True)
                with open(dest, "w") as f:
                    f.write(f"// exit {p.returncode}\n{p.stdout}{p.stderr}".replace(work, "%W"))
            print(f"captured {key}", file=sys.stderr)
    finally:
        if not models_dir:
            shutil.rmtree(work, ignore_errors=True)


def compare(old, new):
    bad = 0
    for dirpath, _, files in os.walk(old):
        for name in sorted(files):
            a = os.path.join(dirpath, name)
            b = os.path.join(new, os.path.relpath(a, old))
            ta = open(a).read()
            tb = open(b).read() if os.path.exists(b) else None
            if ta != tb:
                bad += 1
                print(f"DIFFERS: {os.path.relpath(a, old)}")
                if tb is not None:
                    sys.stdout.writelines(list(difflib.unified_diff(
                        ta.splitlines(True), tb.splitlines(True), "old", "new", n=1))[:40])
    print(f"{bad} file(s) differ")
    return 1 if bad else 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("capture")
    c.add_argument("dir")
    c.add_argument("--module-prefix", default="smopt.tools")
    c.add_argument("--models", action="store_true")
    c.add_argument("--no-lit", action="store_true")
    c.add_argument("--models-dir", help="build the models here once and reuse them")
    d = sub.add_parser("compare")
    d.add_argument("old")
    d.add_argument("new")
    args = ap.parse_args(argv)
    if args.cmd == "compare":
        return compare(args.old, args.new)
    os.makedirs(args.dir, exist_ok=True)
    if not args.no_lit:
        capture_lit(args.dir, args.module_prefix)
    if args.models:
        capture_models(args.dir, args.module_prefix, args.models_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
