"""smopt-optimize against the original model: precompilation and compression, side by side.

    python benchmarks/optimize_vs_original.py [--models mlp,cnn,...] [--corpus fast|full]
        [--repeats 3] [--batch-sizes 1,8] [--only precompilation|compression]

For each model (tests/models_runtime.py, tests/models_compression.py and a tf_keras
MobileNetV2 at 96x96, weights=None; built once under --workdir; with --corpus also the
real-world corpus's models, tests/corpus/, timed on their own feed `inputs(0)` since their
inputs are not all batch-major, e.g. ragged row splits):
- latency of the original, of the original under TensorFlow's auto-jit
  (TF_XLA_FLAGS="--tf_xla_auto_jit=2 --tf_xla_cpu_global_jit") and of
  `smopt-optimize --allow_precompilation=true`, each measured in fresh processes (median over
  --repeats processes of each process's median per batch size), and the ratios
  precompiled / min(original, auto-jit);
- `smopt-optimize --allow_compression=true` (default budget): size, latency (fresh
  processes as above) and max-abs output error relative to the original's max-abs output
  on inputs the search never saw, with ratios.
Inputs: the models' own input generators where they exist, else generated from the signature
(compiler/measure.py). A corpus model's own feed (seeds 0-7) is given to smopt-optimize as
`--sample_inputs`, as a user with data would; the others let smopt-optimize generate its
inputs. Errors are measured on seeds 101-102, which neither saw. The models are timed on the
serving_default signature, in fresh processes (compiler/measure.py `time_fresh`).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys

import _common  # noqa: F401 - sys.path and TF logging
import numpy as np

ROOT = _common.ROOT
RUNTIME = ("mlp", "cnn", "control_flow", "string_middle", "nested_calls", "wide_deep")
COMPRESSION = ("lstm", "cnn_c", "mlp_c")
ALL = RUNTIME + COMPRESSION + ("mobilenet_v2",)
AUTO_JIT = "--tf_xla_auto_jit=2 --tf_xla_cpu_global_jit"


def _corpus():
    sys.path.insert(0, ROOT)
    import tests.corpus
    return tests.corpus


def build(name, workdir):
    """The model's SavedModel path, built on first use."""
    if "." in name:   # a corpus model, "<library>.<model>"
        return _corpus()._build(name, os.path.join(workdir, "corpus"))
    path = os.path.join(workdir, name)
    if os.path.exists(os.path.join(path, "saved_model.pb")):
        return path
    print(f"building {name} in {path} ...", flush=True)
    sys.path.insert(0, os.path.join(ROOT, "tests"))
    if name in RUNTIME:
        import models_runtime
        models_runtime.build(name, path)
    elif name in COMPRESSION:
        import models_compression
        models_compression.build(name.replace("_c", ""), path)
    elif name == "mobilenet_v2":
        import tensorflow as tf
        import tf_keras
        model = tf_keras.applications.MobileNetV2(weights=None, input_shape=(96, 96, 3))
        # Random weights with the default batch-norm statistics (mean 0, variance 1) make every
        # probability 1/1000 whatever the input; one step at learning rate 0 with momentum 0
        # sets the statistics from a batch, so outputs depend on the weights as a trained
        # model's do.
        for layer in model.layers:
            if isinstance(layer, tf_keras.layers.BatchNormalization):
                layer.momentum = 0.0
        model.compile(optimizer=tf_keras.optimizers.SGD(0.0), loss="sparse_categorical_crossentropy")
        x = np.random.default_rng(0).standard_normal((32, 96, 96, 3)).astype(np.float32)
        model.fit(x, np.zeros(32), batch_size=32, epochs=1, verbose=0)
        tf.saved_model.save(model, path)
    return path


def inputs(name, path, batch, seed):
    """{key: numpy array} for serving_default (a corpus model: its own feed for `seed`)."""
    if "." in name:
        return _corpus().MODELS[name].inputs(seed)
    sys.path.insert(0, os.path.join(ROOT, "tests"))
    if name in RUNTIME:
        import models_runtime
        return models_runtime.inputs(name, batch, seed)
    if name in COMPRESSION:
        import models_compression
        return models_compression.inputs(name.replace("_c", ""), batch, seed)
    from smopt.compiler import measure
    from smopt.compiler.importer import import_saved_model
    sig = import_saved_model(path).signatures["serving_default"]
    return measure.generate(sig, batch, seed=seed)


def timed(variants, npz, batch_sizes, repeats, workdir):
    """{name: {batch: median over `repeats` fresh processes of the process's median seconds}
    or None} and {name: error line} for variants [(name, model path or None, extra
    environment)], on the feed in `npz` cycled to each batch size (0: as saved). The
    processes run round-robin, the order reversed every other round (compiler/measure.py
    `time_fresh`, what smopt-optimize's own decisions use): one variant after another gave
    the same model 1.2x apart."""
    from smopt.compiler import measure
    samples = dict(np.load(npz, allow_pickle=True))
    feeds = {("serving_default", b): {k: (v[np.arange(b) % v.shape[0]] if v.ndim and b else v)
                                      for k, v in samples.items()} for b in batch_sizes}
    live = [v for v in variants if v[1]]
    t, errs = measure.time_fresh([p for _, p, _ in live], feeds, workdir, rounds=repeats,
                                 envs={i: env for i, (_, _, env) in enumerate(live) if env})
    res = {name: None for name, _, _ in variants}
    for i, (name, _, _) in enumerate(live):
        if t[i] is not None:
            res[name] = {b: s for (_, b), s in measure.seconds(t[i]).items()}
    return res, {live[i][0]: why for i, why in errs.items()}


def optimize(src, out, *flags, modules=()):
    report = out + ".report.json"
    mods = [a for m in modules for a in ("--custom_op_module", m)]
    r = subprocess.run([sys.executable, "-m", "smopt.tools.smopt_optimize", "--input_model_dir", src,
                        "--output_model_dir", out, "--overwrite", "--report_json", report, *mods, *flags],
                       cwd=ROOT, capture_output=True, text=True, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    if r.returncode != 0:
        return None, r.stderr.strip().splitlines()[-1]
    with open(report) as f:
        return json.load(f), None


def _sample_file(name, src, workdir):
    """A TFRecord of RepresentativeDataSample (TF's own saver): the model's own feed for seeds
    0-7, a batch each."""
    sys.path.insert(0, os.path.join(ROOT, "tests"))
    import models_quant
    return models_quant.write_dataset(os.path.join(workdir, name + ".samples.tfrecord"),
                                      [inputs(name, src, 8, seed) for seed in range(8)])


def error(name, src, out):
    from smopt.compiler import measure
    samples = {"serving_default": [inputs(name, src, 16, s) for s in (101, 102)]}
    return measure.output_error(measure.Model(src).run(samples), measure.Model(out).run(samples))


def _fmt(t):
    return "-" if t is None else " ".join(f"{t[b] * 1e3:.3f}" for b in sorted(t))


def _ratio(a, b):
    if not a or not b:
        return "-"
    r = math.exp(np.mean([math.log(a[k] / b[k]) for k in b]))
    return f"x{r:.2f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default=",".join(ALL))
    ap.add_argument("--corpus", choices=("fast", "full"),
                    help="also the real-world corpus's models of this tier (tests/corpus/)")
    ap.add_argument("--repeats", type=int, default=3, help="fresh processes per latency figure")
    ap.add_argument("--batch-sizes", default="1,8")
    ap.add_argument("--only", choices=("precompilation", "compression"),
                    help="run smopt-optimize with this option alone (the other columns stay empty)")
    ap.add_argument("--workdir", default=os.path.join("/tmp", "smopt-bench-optimize"))
    args = ap.parse_args()
    sizes = [int(b) for b in args.batch_sizes.split(",")]
    from smopt.compiler import measure
    os.makedirs(args.workdir, exist_ok=True)
    names = [n for n in args.models.split(",") if n]
    if args.corpus:
        names += [n for n, cm in _corpus().MODELS.items() if cm.fast or args.corpus == "full"]
    rows = []
    for name in names:
        src = build(name, args.workdir)
        npz = os.path.join(args.workdir, name + ".npz")
        np.savez(npz, **inputs(name, src, 8, 0))
        cm = _corpus().MODELS[name] if "." in name else None
        modules = cm.custom_op_modules if cm else ()
        measure.load_custom_ops(modules)   # error() loads both models here, the timing processes too
        # a corpus model gets its own feed as --sample_inputs (8 batches, seeds 0-7; the error
        # is measured on seeds 101-102), as a user with data would run it: generated strings or
        # token ids do not look like its inputs
        flags = ["--sample_inputs", _sample_file(name, src, args.workdir)] if cm else []
        bsizes = [0] if cm else sizes
        pre_dir, comp_dir = os.path.join(args.workdir, name + "_pre"), os.path.join(args.workdir, name + "_comp")
        pre_rep = comp_rep = pre_err = comp_err = None
        if args.only != "compression":
            pre_rep, pre_err = optimize(src, pre_dir, "--allow_precompilation=true", *flags, modules=modules)
        if args.only != "precompilation":
            comp_rep, comp_err = optimize(src, comp_dir, "--allow_compression=true", *flags, modules=modules)
        t, errs = timed([("orig", src, None), ("jit", src if args.only != "compression" else None, {"TF_XLA_FLAGS": AUTO_JIT}),
                         ("pre", pre_dir if pre_rep else None, None),
                         ("comp", comp_dir if comp_rep else None, None)], npz, bsizes, args.repeats,
                        os.path.join(args.workdir, name + "_timing"))
        t_orig, t_jit, t_pre, t_comp = t["orig"], t["jit"], t["pre"], t["comp"]
        jit_err = errs.get("jit")
        if t_orig is None:
            print(f"{name}: the original does not run here: {errs.get('orig')}", flush=True)
            continue
        best = {b: min(t_orig[b], t_jit[b]) if t_jit else t_orig[b] for b in t_orig}
        pre = (pre_rep or {}).get("precompilation", {})
        comp = (comp_rep or {}).get("compression", {})
        kept = sum(1 for c in pre.get("clusters", []) if c.get("kept"))
        rows.append((name, t_orig, t_jit, t_pre, best, kept, len(pre.get("clusters", [])), comp, t_comp,
                     error(name, src, comp_dir) if comp_rep else None, pre_err or jit_err or comp_err))
        r = rows[-1]
        print(f"{name}: original {_fmt(t_orig)} ms, auto-jit {_fmt(t_jit)}, precompiled {_fmt(t_pre)} "
              f"({kept}/{r[6]} clusters; vs best {_ratio(t_pre, best)}); compressed {_fmt(t_comp)} "
              f"size {comp.get('before', {}).get('size')} -> {(comp.get('after') or {}).get('size')} "
              f"({'kept' if comp.get('kept') else 'left as is'}), error {r[9]}"
              + (f" [{r[10]}]" if r[10] else ""), flush=True)
    bs = "/".join(map(str, sizes))
    print(f"\nlatency in ms at batch sizes {bs} (corpus models: their own feed); ratios are "
          "geometric means over the batch sizes")
    w = max([14] + [len(r[0]) + 1 for r in rows])
    print(f"{'model':<{w}}{'original':>16}{'auto-jit':>16}{'precompiled':>16}{'clusters':>9}{'pre/best':>9}"
          f"{'pre/orig':>9}{'size ratio':>11}{'comp lat':>9}{'comp err':>10}")
    for name, t_orig, t_jit, t_pre, best, kept, total, comp, t_comp, err, _ in rows:
        size = (f"x{comp['before']['size'] / comp['after']['size']:.2f}" if comp.get("kept") else "x1.00")
        print(f"{name:<{w}}{_fmt(t_orig):>16}{_fmt(t_jit):>16}{_fmt(t_pre):>16}{f'{kept}/{total}':>9}"
              f"{_ratio(t_pre, best):>9}{_ratio(t_pre, t_orig):>9}{size:>11}{_ratio(t_comp, t_orig):>9}"
              f"{'-' if err is None else f'{err:.4f}':>10}")


if __name__ == "__main__":
    main()
