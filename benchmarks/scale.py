"""Scale (issue 15): time and peak RSS of conversions of large generated SavedModels.

    python benchmarks/scale.py                       # 0.25, 0.5 and 1 GiB of variables
    python benchmarks/scale.py --sizes 0.25 --conversions identity,bf16 --keep

Each model is generated with fixed seeds (no downloads): three embedding tables (float32,
64 wide, looked up by the serving function on the CPU) and a dense tower in a function with
the alias `tpu_func` (the TPU part), about 8% of the bytes. Each conversion runs in a fresh
process; wall time and the peak RSS of that process (wait4's rusage) are measured:

- identity:    smopt-convert --converter_options_string 'disable_default_optimizations: true'
- bf16:        smopt-convert --converter_options_string 'tpu_functions { function_alias: "tpu_func" }'
               (bfloat16 TPU function: its weights are rewritten, so is the whole checkpoint)
- precompile:  smopt-optimize --allow_precompilation=true (measured XLA clusters + warm-up)
- tf (peer):   tf.saved_model.load + tf.saved_model.save of the same model, fresh process

The issue's bound is peak RSS <= 1.5 x the variables' size + 500 MB. Time should grow
linearly with the size (the s/GiB column). Models and outputs go to --work (default: a
temporary directory under /tmp, removed at the end unless --keep).
"""
from __future__ import annotations

import argparse
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import ROOT  # noqa: E402,F401

GIB = 1 << 30
MB = 1 << 20
DIM = 64
TABLES = 3
DENSE_SHARE = 0.08
CONVERSIONS = ("identity", "bf16", "precompile", "tf")

BUILD = r'''
import os, sys
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import numpy as np
import tensorflow as tf
path, rows, hidden, dim, tables = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])

class Model(tf.Module):
    def __init__(self):
        super().__init__()
        self.tables = []
        for i in range(tables):
            rng = np.random.default_rng(100 + i)
            t = rng.standard_normal((rows, dim), dtype=np.float32)
            t *= 0.05
            self.tables.append(tf.Variable(t, name=f"table_{i}"))
            del t
        rng = np.random.default_rng(7)
        shapes = [(tables * dim, hidden), (hidden, hidden), (hidden, hidden), (hidden, 1)]
        self.dense = []
        for j, (a, b) in enumerate(shapes):
            w = rng.standard_normal((a, b), dtype=np.float32) / np.float32(np.sqrt(a))
            self.dense.append((tf.Variable(w, name=f"w{j}"), tf.Variable(np.zeros(b, np.float32), name=f"b{j}")))

    @tf.function(input_signature=[tf.TensorSpec([None, tables * dim], tf.float32)])
    def tpu_func(self, x):
        for j, (w, b) in enumerate(self.dense):
            x = tf.matmul(x, w) + b
            if j < len(self.dense) - 1:
                x = tf.nn.relu(x)
        return x

    @tf.function(input_signature=[tf.TensorSpec([None, tables], tf.int32)])
    def serve(self, ids):
        ids = tf.clip_by_value(ids, 0, rows - 1)
        x = tf.concat([tf.gather(t, ids[:, i]) for i, t in enumerate(self.tables)], axis=1)
        return {"score": self.tpu_func(x)}

m = Model()
tf.saved_model.save(m, path, signatures={"serving_default": m.serve},
                    options=tf.saved_model.SaveOptions(function_aliases={"tpu_func": m.tpu_func}))
'''

TF_PEER = r'''
import os, sys
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import tensorflow as tf
m = tf.saved_model.load(sys.argv[1])
tf.saved_model.save(m, sys.argv[2], signatures={"serving_default": m.signatures["serving_default"]})
'''


def shape_for(size_bytes):
    """(table rows, hidden width) giving about `size_bytes` of variables."""
    hidden = int(math.sqrt(DENSE_SHARE * size_bytes / 8) // 128 * 128) or 128
    dense = 4 * (TABLES * DIM * hidden + 2 * hidden * hidden + hidden + 3 * hidden + 1)
    rows = max(1, int((size_bytes - dense) / (TABLES * DIM * 4)))
    return rows, hidden


def variables_bytes(model_dir):
    d = os.path.join(model_dir, "variables")
    return sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d) if ".data-" in f)


def measure(cmd, env=None):
    """(wall seconds, CPU seconds, peak RSS bytes, exit status, stderr tail) of `cmd` in a
    fresh process (CPU time: user + system, less sensitive than wall time to other load)."""
    with tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, env=env)
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - t0
        p.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        tail = err.read().decode(errors="replace").strip().splitlines()[-1:] or [""]
    return wall, ru.ru_utime + ru.ru_stime, ru.ru_maxrss * 1024, p.returncode, tail[0]


def tool(name):
    return os.path.join(os.path.dirname(sys.executable), name)


def command(conversion, model, out):
    if conversion == "identity":
        return [tool("smopt-convert"), "--input_model_dir", model, "--output_model_dir", out,
                "--converter_options_string", "disable_default_optimizations: true"]
    if conversion == "bf16":
        return [tool("smopt-convert"), "--input_model_dir", model, "--output_model_dir", out,
                "--converter_options_string", 'tpu_functions { function_alias: "tpu_func" }']
    if conversion == "precompile":
        return [tool("smopt-optimize"), "--input_model_dir", model, "--output_model_dir", out,
                "--allow_precompilation=true"]
    if conversion == "tf":
        return [sys.executable, "-c", TF_PEER, model, out]
    raise ValueError(conversion)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="0.25,0.5,1", help="GiB of variables per model (comma-separated)")
    ap.add_argument("--conversions", default=",".join(CONVERSIONS),
                    help=f"which to run (default: {','.join(CONVERSIONS)})")
    ap.add_argument("--work", help="directory for the models and outputs (default: a temporary one)")
    ap.add_argument("--keep", action="store_true", help="keep the generated models and outputs")
    args = ap.parse_args(argv)
    sizes = [float(s) for s in args.sizes.split(",") if s.strip()]
    conversions = [c.strip() for c in args.conversions.split(",") if c.strip()]
    for c in conversions:
        if c not in CONVERSIONS:
            ap.error(f"unknown conversion '{c}' (expected {', '.join(CONVERSIONS)})")
    work = args.work or tempfile.mkdtemp(prefix="smopt-scale-")
    os.makedirs(work, exist_ok=True)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    rows_out = []
    try:
        for size in sizes:
            model = os.path.join(work, f"model_{size:g}g")
            rows, hidden = shape_for(size * GIB)
            if not os.path.exists(os.path.join(model, "saved_model.pb")):
                print(f"building {model}: {TABLES} tables {rows}x{DIM}, dense tower {hidden} wide ...", flush=True)
                t0 = time.perf_counter()
                r = subprocess.run([sys.executable, "-c", BUILD, model, str(rows), str(hidden), str(DIM),
                                    str(TABLES)], env=env, capture_output=True, text=True)
                if r.returncode:
                    sys.exit(f"building {model} failed:\n{r.stderr}")
                print(f"  built in {time.perf_counter() - t0:.1f} s", flush=True)
            vbytes = variables_bytes(model)
            bound = 1.5 * vbytes + 500 * MB
            for conv in conversions:
                out = os.path.join(work, f"out_{size:g}g_{conv}")
                shutil.rmtree(out, ignore_errors=True)
                wall, cpu, rss, rc, tail = measure(command(conv, model, out), env)
                row = dict(size=size, vbytes=vbytes, conversion=conv, wall=wall, cpu=cpu, rss=rss, bound=bound,
                           rc=rc, error=tail if rc else "")
                rows_out.append(row)
                print(f"  {size:g} GiB {conv:10} {wall:7.1f} s (CPU {cpu:6.1f} s)  peak RSS {rss / MB:7.0f} MB  "
                      f"(bound {bound / MB:.0f} MB){'  FAILED: ' + tail if rc else ''}", flush=True)
                if not args.keep:
                    shutil.rmtree(out, ignore_errors=True)
            if not args.keep:
                shutil.rmtree(model, ignore_errors=True)
    finally:
        if not args.keep and not args.work:
            shutil.rmtree(work, ignore_errors=True)
    print()
    print(table(rows_out))
    fits = linear_fits(rows_out)
    if fits:
        print()
        print(fits)
    return 0 if all(r["rc"] == 0 for r in rows_out) else 1


def linear_fits(rows):
    """Per conversion measured at 2+ sizes: the least-squares line time = a + b x GiB (a: the
    fixed cost, mostly importing TensorFlow; b: seconds per GiB), for wall and CPU time, and
    how far the points lie from it (linear growth: small deviations)."""
    out = []
    for conv in CONVERSIONS:
        for what in ("wall", "cpu"):
            pts = [(r["vbytes"] / GIB, r[what]) for r in rows if r["conversion"] == conv and not r["rc"]]
            if len(pts) < 2:
                continue
            xs, ys = zip(*pts)
            mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
            sxx = sum((x - mx) ** 2 for x in xs)
            b = sum((x - mx) * (y - my) for x, y in pts) / sxx if sxx else 0.0
            a = my - b * mx
            dev = max(abs(y - (a + b * x)) / y for x, y in pts)
            out.append(f"{conv:10} {what:4} = {a:5.1f} s + {b:5.1f} s/GiB x size "
                       f"(points within {100 * dev:.0f}% of the line)")
    return "\n".join(out)


def table(rows):
    """The results as a Markdown table, with the TF peer's figures beside each conversion."""
    peer = {r["size"]: r for r in rows if r["conversion"] == "tf"}
    lines = ["| variables | conversion | wall s | CPU s | peak RSS MB | bound MB | within | "
             "TF load+save s | TF peak RSS MB |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        if r["conversion"] == "tf":
            continue
        p = peer.get(r["size"])
        ok = "yes" if r["rss"] <= r["bound"] else "NO"
        if r["rc"]:
            ok = "failed"
        theirs = f"{p['wall']:.1f} | {p['rss'] / MB:.0f} |" if p else "- | - |"
        lines.append(f"| {r['vbytes'] / MB:.0f} MB | {r['conversion']} | {r['wall']:.1f} | {r['cpu']:.1f} | "
                     f"{r['rss'] / MB:.0f} | {r['bound'] / MB:.0f} | {ok} | {theirs}")
    if peer and not any(r["conversion"] != "tf" for r in rows):
        for p in peer.values():
            lines.append(f"| {p['vbytes'] / MB:.0f} MB | (TF only) | | | | | | {p['wall']:.1f} | {p['rss'] / MB:.0f} |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
