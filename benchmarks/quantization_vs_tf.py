"""Post-training quantization: smopt vs TensorFlow's quantizer, same models, same run.

    python benchmarks/quantization_vs_tf.py [--samples 64] [--repeats 3] [--held-out 256]
        [--models cnn,mlp] [--out DIR]

For the tf.nn CNN and the Keras MLP of tests/models_quant.py and each method (static range,
dynamic range, weight-only) it converts the float SavedModel with
- smopt: compiler.convert.convert with ConverterOptions.external_feature_configs.quantization_options
  (target cpu), and
- TF: tf.quantization.experimental.quantize_saved_model with op_set XLA (in a subprocess, so
  an abort inside TF's quantizer is reported instead of ending the benchmark),
then reports the exported size (saved_model.pb + variables/, and variables/ alone), the
max-abs / mean-abs error of the quantized model's outputs against the float model on held-out
inputs (run in TF on CPU), the conversion time, and the inference latency of every model
(float included) at batch sizes 1 and 8, each served alone in fresh processes
(compiler/measure.py `time_fresh`, `--repeats` processes per model, round-robin). Ratios are
smopt / TF, latency also quantized / float.

Timing is symmetric: each conversion runs in a fresh Python process that imports TensorFlow
(and smopt's converter) before the clock starts and times the one conversion call (smopt's
includes lifting, calibration, the pass and export); the median of `--repeats` runs is
reported, with Python's bytecode cache on. Running smopt inside this process instead would charge it for the state the model
building leaves behind (Keras objects, a larger heap for the garbage collector: 0.2 s vs 0.5 s).

Both freeze the variables (freeze_all_variables defaults to true in both). What remains
different in size: TF writes a TF1-style SavedModel with only the quantized signatures and no
object graph; smopt keeps every signature (the Keras MLP has two, `serve` and
`serving_default`, sharing one wrapper function after merge-functions), the object graph (the
loaded model keeps its endpoints, e.g. `serve`) and a checkpoint holding that graph: about
3 KB on the small MLP, 11% of TF's static-range output. smopt's static range also keeps one
weight scale per output channel (TF's default is one per tensor): 0.8 KB there, bought for
accuracy.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "tests"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import models_quant as mq  # noqa: E402

LATENCY_BATCHES = (1, 8)
HELD_OUT = 256   # default number of inputs the errors are measured on (max-abs over 32 was noise)
METHODS = [("static_range", "METHOD_STATIC_RANGE_INT8"), ("dynamic_range", "METHOD_DYNAMIC_RANGE_INT8"),
           ("weight_only", "METHOD_STATIC_RANGE_WEIGHT_ONLY_INT8")]

_TF_QUANTIZE = r'''
import os, sys, time
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
import tensorflow as tf
from tensorflow.compiler.mlir.quantization.tensorflow import quantization_options_pb2 as qpb
src, ds, method, out = sys.argv[1:5]
opts = qpb.QuantizationOptions(
    quantization_method=qpb.QuantizationMethod(preset_method=getattr(qpb.QuantizationMethod, method)),
    op_set=qpb.XLA, signature_keys=["serving_default"])
if method == "METHOD_STATIC_RANGE_INT8":
    opts.representative_datasets["serving_default"].tfrecord_file_path = ds
t = time.perf_counter()
tf.quantization.experimental.quantize_saved_model(src, out, quantization_options=opts)
print("SMOPT_BENCH_TIME", time.perf_counter() - t)
'''


def model_bytes(path):
    """saved_model.pb + variables/: the size the issue compares (what a server loads)."""
    pb = os.path.join(path, "saved_model.pb")
    return (os.path.getsize(pb) if os.path.exists(pb) else 0) + dir_bytes(path, "variables")


def dir_bytes(path, sub=None):
    p = os.path.join(path, sub) if sub else path
    if not os.path.exists(p):
        return 0
    return sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(p) for f in fs)


def errors(src, out, inputs):
    want, got = mq.run_signature(src, inputs), mq.run_signature(out, inputs)
    err = np.concatenate([np.abs(got[k] - want[k]).reshape(-1) for k in want])
    ref = max(float(np.abs(want[k]).max()) for k in want)
    return float(err.max()), float(err.mean()), ref


_SMOPT_CONVERT = r'''
import os, sys, time
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "2"
import tensorflow as tf
root, src, ds, method, out = sys.argv[1:6]
sys.path.insert(0, root)
from smopt.compiler.convert import convert
opts = ("external_feature_configs { quantization_options { signature_keys: 'serving_default' "
        f"quantization_method {{ preset_method: {method} }} "
        f"representative_datasets {{ key: 'serving_default' value {{ tfrecord_file_path: '{ds}' }} }} }} }}")
t = time.perf_counter()
convert(src, out, opts, target="cpu")
print("SMOPT_BENCH_TIME", time.perf_counter() - t)
'''


# Python caches compiled modules as an installed package does (some environments switch the
# cache off, which would charge every run for compiling smopt's lazily imported modules).
_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _timed(script, args, out, repeats):
    """Median seconds of `repeats` fresh-process runs of `script` (None, note on failure)."""
    times = []
    for _ in range(repeats):
        shutil.rmtree(out, ignore_errors=True)
        r = subprocess.run([sys.executable, "-c", script, *args, out], capture_output=True, text=True, timeout=900,
                           env=_ENV)
        secs = [float(l.split()[1]) for l in r.stdout.splitlines() if l.startswith("SMOPT_BENCH_TIME")]
        if not secs:
            tail = [l for l in (r.stderr or "").splitlines() if l.strip()]
            return None, f"failed (exit {r.returncode}): {tail[-1][:120] if tail else ''}"
        times.append(secs[0])
    return float(np.median(times)), None


def run_smopt(src, ds, method, out, repeats=1):
    return _timed(_SMOPT_CONVERT, [ROOT, src, ds, method], out, repeats)


def run_tf(src, ds, method, out, repeats=1):
    return _timed(_TF_QUANTIZE, [src, ds, method], out, repeats)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=64, help="representative samples (batch 4 each)")
    ap.add_argument("--repeats", type=int, default=3, help="conversions timed per case (median)")
    ap.add_argument("--held-out", type=int, default=HELD_OUT, help="inputs the errors are measured on")
    ap.add_argument("--models", default="cnn,mlp", help="comma-separated: cnn, mlp")
    ap.add_argument("--seeds", default="0", help="comma-separated weight seeds: one model pair each "
                    "(several seeds show which ratios hold beyond one set of weights)")
    ap.add_argument("--out", help="keep the models here (default: a temporary directory)")
    args = ap.parse_args(argv)
    import tensorflow as tf  # noqa: F401  (builds the models and runs them)

    work = args.out or tempfile.mkdtemp(prefix="smopt-quant-bench-")
    os.makedirs(work, exist_ok=True)
    rows = []
    models = [m for m in args.models.split(",") if m]
    if not set(models) <= {"cnn", "mlp"}:
        ap.error(f"--models: expected cnn and/or mlp, got {args.models}")
    try:
        seeds = [int(x) for x in args.seeds.split(",") if x]
    except ValueError:
        ap.error(f"--seeds: expected comma-separated integers, got {args.seeds}")
    try:
        for seed in seeds:
            for model in models:
                rows += _measure(work, model, seed, args)
    finally:
        if not args.out:
            shutil.rmtree(work, ignore_errors=True)

    lat_head = "".join(f"{f'ms @{b}':>9}" for b in LATENCY_BATCHES)
    print(f"{'seed':>4} {'model':<5} {'method':<14} {'impl':<6} {'size KB':>8} {'vars KB':>8} {'max-abs':>9} "
          f"{'mean-abs':>9} {'time s':>7}{lat_head}{'vs float':>9}  note")
    floats = {(r[0], r[1]): r[10] for r in rows if r[2] == "float"}
    for seed, model, method, impl, size, vsize, mx, mean, secs, note, lat in rows:
        f = (lambda v, spec: format(v, spec) if v is not None else "-")
        ms = "".join(f"{f(lat.get(b) and lat[b] * 1e3, '9.3f')}" for b in LATENCY_BATCHES)
        base = floats.get((seed, model)) or {}
        rel = [lat[b] / base[b] for b in LATENCY_BATCHES if lat.get(b) and base.get(b)]
        vs = f"x{float(np.exp(np.mean(np.log(rel)))):.2f}" if rel and method != "float" else "-"
        print(f"{seed:>4} {model:<5} {method:<14} {impl:<6} {size / 1024:8.1f} {vsize / 1024:8.1f} {f(mx, '9.5f')} "
              f"{f(mean, '9.5f')} {f(secs, '7.2f')}{ms}{vs:>9}  {note or ''}")
    print("\nsmopt / TF ratios (size: saved_model.pb + variables/; time: conversion; latency: geometric mean "
          "over the batch sizes)")
    by = {r[:4]: r for r in rows}
    for seed in seeds:
        for model in models:
            for method, _ in METHODS:
                o, t = by.get((seed, model, method, "smopt")), by.get((seed, model, method, "tf"))
                if not o or not t or t[8] is None:
                    print(f"{seed:>4} {model:<5} {method:<14} TF failed: {t[9] if t else '?'}")
                    continue
                err = (f"max-abs err {o[6] / t[6]:.2f}x  mean-abs err {o[7] / t[7]:.2f}x"
                       if o[6] is not None and t[6] not in (None, 0) and t[7] else "")
                rel = [o[10][b] / t[10][b] for b in LATENCY_BATCHES if o[10].get(b) and t[10].get(b)]
                lat = f"latency {float(np.exp(np.mean(np.log(rel)))):.2f}x  " if rel else ""
                print(f"{seed:>4} {model:<5} {method:<14} size {o[4] / t[4]:.2f}x  time {o[8] / t[8]:.2f}x  {lat}{err}")
    return 0


def _measure(work, model, seed, args):
    """Rows (seed, model, method, impl, size, variables size, max-abs, mean-abs, seconds, note)."""
    src = os.path.join(work, f"{model}_s{seed}")
    shutil.rmtree(src, ignore_errors=True)
    # seed 0 keeps the calibration data of the tests (sample seed 1)
    sample_seed = 1 if seed == 0 else 100 + seed
    if model == "cnn":
        mq.build_cnn(src, seed=seed)
        samples = mq.cnn_samples(args.samples, seed=sample_seed, batch=4)
        test = mq.cnn_samples(1, seed=99, batch=args.held_out)[0]
    else:
        mq.build_mlp(src, seed=seed)
        key = mq.signature_input_key(src)
        samples = mq.mlp_samples(args.samples, seed=sample_seed, batch=4, key=key)
        test = mq.mlp_samples(1, seed=99, batch=args.held_out, key=key)[0]
    ds = mq.write_dataset(os.path.join(work, f"{model}_s{seed}.tfrecord"), samples)
    # the last field: {batch size: seconds}, filled by the timing below
    rows = [[seed, model, "float", "-", model_bytes(src), dir_bytes(src, "variables"), 0.0, 0.0, None, None, {}]]
    outs = {0: src}
    for method, preset in METHODS:
        for impl in ("smopt", "tf"):
            out = os.path.join(work, f"{model}_s{seed}_{method}_{impl}")
            run = run_smopt if impl == "smopt" else run_tf
            secs, note = run(src, ds, preset, out, args.repeats)
            mx = mean = None
            if note is None:
                try:
                    mx, mean, _ = errors(src, out, test)
                except Exception as e:  # the quantized model does not run in TF on CPU
                    note = f"does not run: {str(e).strip().splitlines()[0][:100]}"
            if note is None:
                outs[len(rows)] = out
            rows.append([seed, model, method, impl, model_bytes(out), dir_bytes(out, "variables"), mx, mean, secs, note,
                         {}])
    # inference latency: every model that runs, each alone in fresh processes
    from smopt.compiler import measure
    feeds = {("serving_default", b): {k: v[:b] for k, v in test.items()} for b in LATENCY_BATCHES}
    idx = sorted(outs)
    t, errs = measure.time_fresh([outs[i] for i in idx], feeds, os.path.join(work, f"{model}_s{seed}_timing"),
                                 rounds=args.repeats)
    for j, i in enumerate(idx):
        lat = measure.seconds(t[j]) if t[j] is not None else {}
        rows[i][10] = {b: lat.get(("serving_default", b)) for b in LATENCY_BATCHES}
        if j in errs:
            rows[i][9] = f"timing failed: {errs[j][:100]}"
    return [tuple(r) for r in rows]


if __name__ == "__main__":
    sys.exit(main())
