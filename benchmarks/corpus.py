"""The real-world corpus (tests/corpus/) through every pipeline, as a table.

    python benchmarks/corpus.py [--tier fast|full] [--models a,b] [--pipelines p,q]
        [--root DIR] [--latency] [--out FILE]

One row per model, one column per pipeline (tests/corpus/run.py says what each checks):
`ok` figures are the relative output error (bf16: ours beside TensorFlow's own oneDNN
bfloat16 auto-mixed-precision on the same inputs), `refused:`/`FAIL:` give the one-line
message. `--latency` adds the precompiled model's latency ratio (smopt / original, medians
of interleaved calls in this process). Models are built under `--root` once and reused.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

import _common  # noqa: F401  (sys.path and TF logging)

from tests.corpus import MODELS, build
from tests.corpus.run import PIPELINES, import_custom_ops, run_model


def latency_ratio(cm, original, optimized, rounds=7, calls=20):
    """Median per-call latency of `optimized` over `original` on the model's feed, measured
    interleaved (round by round) so that machine noise hits both alike."""
    import numpy as np
    import tensorflow as tf
    feed = {k: tf.constant(v) for k, v in cm.inputs(0).items()}
    fns = [tf.saved_model.load(p).signatures[cm.signature] for p in (original, optimized)]
    times = [[], []]
    for f in fns:
        for _ in range(3):
            f(**feed)
    for r in range(rounds):
        for i in (0, 1) if r % 2 == 0 else (1, 0):
            t0 = time.perf_counter()
            for _ in range(calls):
                fns[i](**feed)
            times[i].append((time.perf_counter() - t0) / calls)
    a, b = float(np.median(times[0])), float(np.median(times[1]))
    return b / a, a


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tier", choices=("fast", "full"), default="full")
    ap.add_argument("--models", help="comma-separated names (default: the tier's models)")
    ap.add_argument("--pipelines", default=",".join(PIPELINES))
    ap.add_argument("--root", default=os.path.join(tempfile.gettempdir(), "smopt-corpus"))
    ap.add_argument("--latency", action="store_true", help="time the precompiled model too")
    ap.add_argument("--out", help="also write the table (Markdown) here")
    args = ap.parse_args(argv)
    names = args.models.split(",") if args.models else \
        [n for n, cm in MODELS.items() if cm.fast or args.tier == "full"]
    unknown = [n for n in names if n not in MODELS]
    if unknown:
        ap.error(f"unknown model(s) {unknown}; known: {', '.join(MODELS)}")
    pipelines = args.pipelines.split(",")
    cols = list(pipelines) + (["latency"] if args.latency else [])
    lines = ["| model | " + " | ".join(cols) + " |", "|---" * (len(cols) + 1) + "|"]
    failed = 0
    t_all = time.perf_counter()
    for name in names:
        cm = MODELS[name]
        t0 = time.perf_counter()
        try:
            path = build(name, os.path.join(args.root, "models"))
        except Exception as e:  # a builder that breaks is a row, not the end of the table
            lines.append(f"| {name} | build failed: {type(e).__name__}: {str(e).splitlines()[0][:80]} |")
            failed += 1
            continue
        results = run_model(cm, path, os.path.join(args.root, "work"), pipelines)
        cells = [results[p].cell() for p in pipelines]
        failed += sum(not r.passed for r in results.values())
        if args.latency:
            import_custom_ops(cm)
            pc = os.path.join(args.root, "work", name, "precompile")
            if results.get("precompile") and results["precompile"].status == "ok":
                ratio, base = latency_ratio(cm, path, pc)
                cells.append(f"{ratio:.2f}x of {base * 1e3:.2f} ms")
            else:
                cells.append("-")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
        print(lines[-1] + f"  ({time.perf_counter() - t0:.0f} s)", file=sys.stderr, flush=True)
    table = "\n".join(lines)
    print(table)
    print(f"\n{len(names)} models, {failed} failing cells, {time.perf_counter() - t_all:.0f} s")
    if args.out:
        with open(args.out, "w") as f:
            f.write(table + "\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
