"""Build corpus models: `python -m tests.corpus.build OUT_DIR [--fast] [--check] [--lift] [NAMES...]`.

NAMES are model names or fnmatch patterns (`'tf_keras.*'`); none means every model (or every
fast one with --fast). Prints one line per model: name, build seconds, size. A model already
built under OUT_DIR is reused (delete it to rebuild).

--check  loads each model in a fresh process that imports only TensorFlow and the model's
         `custom_op_modules` (models without custom ops first, so a missing declaration shows)
         and runs `serving_default` on `inputs(0)`.
--lift   runs the `smopt` lifter on each model (`smopt MODEL -o /dev/null`) and prints its
         one-line error if it fails.
The exit status is non-zero if any build, check or lift failed.
"""
from __future__ import annotations

import argparse
import fnmatch
import json
import os
import subprocess
import sys
import time


def _size(path: str) -> int:
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(path) for f in fs)


def _mb(n: int) -> str:
    return f"{n / 2**20:.1f} MB"


def select(names: list[str], fast: bool) -> list[str]:
    from tests.corpus import MODELS
    if not names:
        return [n for n, cm in MODELS.items() if cm.fast or not fast]
    out = []
    for pat in names:
        hits = [n for n in MODELS if fnmatch.fnmatchcase(n, pat)]
        if not hits:
            raise SystemExit(f"build: error: no corpus model matches {pat!r}")
        out += [n for n in hits if n not in out and (MODELS[n].fast or not fast)]
    return out


def _check_one(name: str, path: str) -> str:
    """Load and run one model; '' if it works, else the error line (runs in the check process)."""
    import importlib

    import numpy as np
    import tensorflow as tf
    from tests.corpus import MODELS
    cm = MODELS[name]
    for mod in cm.custom_op_modules:
        importlib.import_module(mod)
    loaded = tf.saved_model.load(path)
    fn = loaded.signatures[cm.signature]
    feed = cm.inputs(0)
    again = cm.inputs(0)
    for k in feed:
        if not np.array_equal(feed[k], again[k]):
            return f"inputs(0) is not deterministic ({k})"
    out = fn(**{k: tf.constant(v) for k, v in feed.items()})
    parts = []
    for k, v in sorted(out.items()):
        v = v.numpy()
        if v.dtype.kind == "f" and not np.all(np.isfinite(v)):
            return f"output {k} is not finite"
        parts.append(f"{k}{list(v.shape)}")
    return "ok " + " ".join(parts)


def _check_main(root: str, names: list[str]) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    failed = 0
    for name in names:
        try:
            msg = _check_one(name, os.path.join(root, name))
        except Exception as e:  # noqa: BLE001 - reported as one line per model
            lines = str(e).strip().splitlines()
            msg = f"{type(e).__name__}: {lines[0] if lines else ''}"[:300]
        if not msg.startswith("ok"):
            failed += 1
        print(json.dumps([name, msg]), flush=True)
    return 1 if failed else 0


def _lift(path: str) -> str:
    smopt = os.path.join(os.path.dirname(sys.executable), "smopt")
    t0 = time.perf_counter()
    p = subprocess.run([smopt, path, "-o", os.devnull], capture_output=True, text=True)
    if p.returncode == 0:
        return f"ok {time.perf_counter() - t0:.1f}s"
    lines = (p.stderr or p.stdout).strip().splitlines()
    return lines[-1] if lines else f"exit status {p.returncode}"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.corpus.build", description=__doc__.splitlines()[0])
    ap.add_argument("out_dir")
    ap.add_argument("names", nargs="*")
    ap.add_argument("--fast", action="store_true", help="only the fast tier")
    ap.add_argument("--check", action="store_true", help="load and run each model in a fresh process")
    ap.add_argument("--lift", action="store_true", help="run the smopt lifter on each model")
    ap.add_argument("--list", action="store_true", help="list the selected models and exit")
    ap.add_argument("--_check-only", dest="check_only", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_intermixed_args(argv)

    names = select(args.names, args.fast)
    root = os.path.abspath(args.out_dir)
    if args.check_only:
        return _check_main(root, names)
    if args.list:
        from tests.corpus import MODELS
        for n in names:
            cm = MODELS[n]
            print(f"{n:40s} {'fast' if cm.fast else 'full'}  alias={cm.tpu_alias}  {cm.notes}")
        return 0

    from tests.corpus import _build as build
    os.makedirs(root, exist_ok=True)
    failed, built = [], []
    t_all = time.perf_counter()
    for name in names:
        t0 = time.perf_counter()
        cached = os.path.exists(os.path.join(root, name, "saved_model.pb"))
        try:
            path = build(name, root)
        except Exception as e:  # noqa: BLE001 - one line per model, the others still build
            lines = str(e).strip().splitlines()
            print(f"{name:40s} FAILED  {type(e).__name__}: {lines[0] if lines else ''}"[:400], flush=True)
            failed.append(name)
            continue
        dt = time.perf_counter() - t0
        print(f"{name:40s} {dt:6.1f}s {_mb(_size(path)):>9s}{'  (cached)' if cached else ''}", flush=True)
        built.append(name)
    print(f"built {len(built)} of {len(names)} in {time.perf_counter() - t_all:.1f}s", flush=True)

    if args.check and built:
        from tests.corpus import MODELS
        # Models without custom ops first: a model that needs one but does not declare it fails.
        order = sorted(built, key=lambda n: bool(MODELS[n].custom_op_modules))
        p = subprocess.run([sys.executable, "-m", "tests.corpus.build", "--_check-only", root, *order],
                           capture_output=True, text=True)
        results = {}
        for line in p.stdout.splitlines():
            if line.startswith("["):
                n, msg = json.loads(line)
                results[n] = msg
        for n in built:
            msg = results.get(n, "check process died: " + (p.stderr.strip().splitlines() or ["?"])[-1])
            print(f"check {n:40s} {msg}", flush=True)
            if not msg.startswith("ok"):
                failed.append(n)
    if args.lift:
        for n in built:
            msg = _lift(os.path.join(root, n))
            print(f"lift  {n:40s} {msg}", flush=True)
            if not msg.startswith("ok"):
                failed.append(n)
    if failed:
        print(f"failed: {' '.join(dict.fromkeys(failed))}", flush=True)
    return 1 if failed else 0


class _CallableModule(type(sys)):
    """Importing this submodule rebinds the package attribute `tests.corpus.build` (the builder
    function) to the module; calling the module keeps `tests.corpus.build(name, root)` working."""

    def __call__(self, name: str, root: str) -> str:
        import tests.corpus as corpus
        return corpus._build(name, root)


if __name__ == "__main__":
    sys.exit(main())
else:
    sys.modules[__name__].__class__ = _CallableModule
