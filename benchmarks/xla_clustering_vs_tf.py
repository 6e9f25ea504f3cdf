"""smopt's xla-cluster beside TensorFlow's own auto-clustering, on the same SavedModels.

    python benchmarks/xla_clustering_vs_tf.py [--models mlp,cnn,...] [--batch 64]
        [--rounds 30] [--calls 150] [--pipeline TEXT]

For each model (tests/models_runtime.py) three variants run, each in its own process (XLA
flags are per process):
- original: the SavedModel as saved, plain TF executor;
- smopt:    the output of smopt-optimize's precompilation pipeline (`optimize_pipeline(
            allow_precompilation=True)`: inline, cleanups, xla-cluster; `--pipeline` runs
            another one), exported (clusters are `_XlaMustCompile` functions);
- TF auto:  the original with TF_XLA_FLAGS="--tf_xla_auto_jit=2 --tf_xla_cpu_global_jit
            --tf_xla_clustering_debug", TF_DUMP_GRAPH_PREFIX set and Grappler's remapping off
            (fused kernels would hide ops from XLA); its clusters are read from the `_XlaCluster`
            attributes in the dumped mark_for_compilation*.pbtxt graphs.

Clusters are counted where they run: TF's figures come from its dump of the executed
function (the serving signature, with everything it calls inlined), so ours count only the
clusters in functions reachable from the benchmarked signature's function (`serving_default`)
in the call graph. Copies elsewhere (e.g. the object graph's own concrete function of a
method, which inlining leaves in the model) are not executed by the benchmark and not
counted. "ops clustered" counts the ops XLA compiles (cluster bodies and the functions they
call, without the call ops themselves: TF counts the inlined graph); "compute ops" leaves out
bookkeeping (Identity, IdentityN, Const, NoOp, _Arg, _Retval, Placeholder) on both sides.

Latency is noisy on a shared machine (other processes shift every figure by up to 50% over
seconds), so the variants are measured interleaved: the three worker processes stay alive
and take turns, `--rounds` rounds of `--calls` calls each (order alternating per round); the
first fifth of each turn re-warms the process and is dropped. Printed: the median over
rounds of each variant's per-round median latency, the noise (half the inter-quartile range
of the per-round medians, relative), speed-up over the original, and per model the median
of the per-round ratios smopt / TF auto (paired: both measured in the same round) with its
inter-quartile range. The verdict "latency <= TF" is "yes" when that ratio's median is at
most 1, "noise" when its inter-quartile range includes 1, else "no".
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import ROOT  # noqa: E402

sys.path.insert(0, os.path.join(ROOT, "tests"))
MODELS = ["mlp", "cnn", "control_flow", "string_middle", "nested_calls", "wide_deep"]
VARIANTS = ("original", "smopt", "tf-auto")
WARM_FRACTION = 5   # 1/5 of each turn's calls re-warm the process and are dropped

# Bookkeeping nodes that carry no computation: TF's function inlining adds many of them
# (argument/result Identities, NoOps), so raw node counts are not comparable; both sides
# are also counted without them ("compute ops").
BOOKKEEPING = frozenset({"Identity", "IdentityN", "Const", "NoOp", "_Arg", "_Retval", "Placeholder"})
# Call ops: TF inlines them before it clusters, so its dumps have none.
CALLS = frozenset({"PartitionedCall", "StatefulPartitionedCall"})


# ---- worker process -----------------------------------------------------------------------
def worker(args):
    """Load one variant, time the first call, then serve `N` lines on stdin: run N calls and
    print their latencies (seconds, re-warm-up calls dropped) as JSON."""
    import tensorflow as tf

    import models_runtime as M
    if args.variant == "tf-auto":
        tf.config.optimizer.set_experimental_options({"remapping": False})
    loaded = tf.saved_model.load(args.model_dir)
    fn = loaded.signatures["serving_default"]
    feeds = {k: tf.constant(v) for k, v in M.inputs(args.name, args.batch).items()}

    def call():
        for v in fn(**feeds).values():
            v.numpy()

    t0 = time.perf_counter()
    call()  # first call: tracing and (for XLA variants) compilation
    first = time.perf_counter() - t0
    for _ in range(20):
        call()
    ready = {"first_ms": first * 1e3}
    if args.variant == "tf-auto":
        ready.update(tf_clusters(os.environ["TF_DUMP_GRAPH_PREFIX"]))
    print("READY " + json.dumps(ready), flush=True)
    for line in sys.stdin:
        times = []
        for _ in range(int(line)):
            t0 = time.perf_counter()
            call()
            times.append(time.perf_counter() - t0)
        print(json.dumps(times[len(times) // WARM_FRACTION:]), flush=True)


def tf_clusters(dump_dir):
    """Clusters and clustered nodes in TF's mark_for_compilation dumps (`_XlaCluster` attrs).

    TF writes one dump per graph it optimizes (a function instantiated again, e.g. per
    signature or input shape, is dumped again), so the figures come from the dump with the
    most clustered nodes rather than a sum that would count the same ops several times.
    """
    from google.protobuf import text_format
    import tensorflow as tf
    best = {"clusters": 0, "ops_clustered": 0, "compute_ops": 0}
    files = sorted(glob.glob(os.path.join(dump_dir, "mark_for_compilation*.pbtxt")))
    for path in files:
        gd = tf.compat.v1.GraphDef()
        with open(path) as f:
            text_format.Parse(f.read(), gd, allow_unknown_field=True)
        marked = [nd for nd in gd.node if "_XlaCluster" in nd.attr]
        if len(marked) > best["ops_clustered"]:
            best = {"clusters": len({nd.attr["_XlaCluster"].s for nd in marked}),
                    "ops_clustered": len(marked),
                    "compute_ops": sum(nd.op not in BOOKKEEPING for nd in marked)}
    best["dumps"] = len(files)
    return best


class Worker:
    def __init__(self, variant, model_dir, name, batch):
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
        env.pop("TF_XLA_FLAGS", None)
        if variant == "tf-auto":
            env["TF_XLA_FLAGS"] = "--tf_xla_auto_jit=2 --tf_xla_cpu_global_jit --tf_xla_clustering_debug"
            env["TF_DUMP_GRAPH_PREFIX"] = tempfile.mkdtemp(prefix="smopt-tf-autojit-")
        cmd = [sys.executable, os.path.abspath(__file__), "--worker", variant, model_dir, name,
               "--batch", str(batch)]
        self.variant = variant
        self.log = tempfile.TemporaryFile(mode="w+")   # a pipe could fill up and block
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.log, text=True, env=env)
        line = self.proc.stdout.readline()
        if not line.startswith("READY "):
            self.proc.kill()
            self.proc.wait()
            self.log.seek(0)
            tail = "\n".join(self.log.read().strip().splitlines()[-5:])
            raise RuntimeError(f"{variant} on {name} failed:\n{tail}")
        self.info = json.loads(line[len("READY "):])

    def run(self, calls):
        self.proc.stdin.write(f"{calls}\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=60)
        self.log.close()


def measure_interleaved(workers, rounds, calls):
    """{variant: [per-round median latency in ms]}, variants taking turns."""
    import numpy as np
    out = {w.variant: [] for w in workers}
    for r in range(rounds):
        for w in (workers if r % 2 == 0 else workers[::-1]):
            out[w.variant].append(float(np.median(w.run(calls)) * 1e3))
    return out


# ---- smopt side ---------------------------------------------------------------------------
def smopt_cluster(src, out, pipeline, signature="serving_default"):
    """Run `pipeline` on `src`, export to `out`; cluster figures for `signature`'s function."""
    from smopt.compiler.exporter import export_saved_model
    from smopt.compiler.importer import import_saved_model
    from smopt.compiler.pass_manager import PassManager
    from smopt.passes.framework.registry import parse_pipeline
    m = import_saved_model(src)
    passes = parse_pipeline(pipeline)
    t0 = time.perf_counter()
    PassManager(passes).run(m)
    t_pass = time.perf_counter() - t0
    export_saved_model(m, out, overwrite=True)
    return cluster_figures(m, signature), t_pass


def cluster_figures(m, signature="serving_default"):
    """Clusters in functions reachable from the signature's function, and the ops they compile."""
    cg = m.call_graph()
    root = m.signatures[signature].function
    executed = {root} | cg.reachable(root)
    clusters = [n for n in executed if m.functions[n].attrs.get("smopt.xla_cluster")]
    compiled = set(clusters).union(*[cg.reachable(c) for c in clusters]) if clusters else set()
    ops = [op for n in compiled for op in m.functions[n].ops if op.type not in CALLS]
    return {"clusters": len(clusters), "ops_clustered": len(ops),
            "compute_ops": sum(op.type not in BOOKKEEPING for op in ops),
            "clusters_all_functions": sum(1 for f in m.functions.values() if f.attrs.get("smopt.xla_cluster"))}


def default_pipeline():
    from smopt.compiler.optimize import optimize_pipeline
    return optimize_pipeline(allow_precompilation=True, target_device="cpu")


# ---- report -------------------------------------------------------------------------------
def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--rounds", type=int, default=30, help="interleaved rounds per model")
    ap.add_argument("--calls", type=int, default=150, help="calls per variant and round")
    ap.add_argument("--pipeline", default=None,
                    help="smopt pipeline to run (must contain xla-cluster); default: smopt-optimize's "
                         "precompilation pipeline")
    ap.add_argument("--workdir", default=os.path.join(tempfile.gettempdir(), "smopt-bench-xla-cluster"))
    ap.add_argument("--worker", nargs=3, metavar=("VARIANT", "MODEL_DIR", "NAME"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        args.variant, args.model_dir, args.name = args.worker
        return worker(args)

    import numpy as np

    import models_runtime as M
    pipeline = args.pipeline or default_pipeline()
    os.makedirs(args.workdir, exist_ok=True)
    print(f"pipeline: {pipeline}")
    print(f"batch {args.batch}; {args.rounds} interleaved rounds of {args.calls} calls per variant "
          f"(first 1/{WARM_FRACTION} of each dropped); latency = median of per-round medians, "
          f"noise = half the IQR of the per-round medians")
    print(f"{'model':<15}{'variant':<12}{'clusters':>9}{'ops clustered':>15}{'compute ops':>13}"
          f"{'latency ms':>12}{'noise':>8}{'speed-up':>10}{'1st call ms':>13}")
    verdicts = []
    for name in args.models.split(","):
        src = M.cached(args.workdir, name)
        ours = os.path.join(args.workdir, name + "_xla_cluster")
        figs, t_pass = smopt_cluster(src, ours, pipeline)
        workers = []
        try:
            for variant, path in zip(VARIANTS, (src, ours, src)):
                workers.append(Worker(variant, path, name, args.batch))
            lat = measure_interleaved(workers, args.rounds, args.calls)
        finally:
            for w in workers:
                w.close()
        info = {w.variant: w.info for w in workers}
        tfa = info["tf-auto"]
        med = {v: float(np.median(x)) for v, x in lat.items()}
        rows = [("original", "-", "-", "-"),
                ("smopt", figs["clusters"], figs["ops_clustered"], figs["compute_ops"]),
                ("tf-auto", tfa["clusters"], tfa["ops_clustered"], tfa["compute_ops"])]
        for i, (variant, nc, no, nco) in enumerate(rows):
            q1, q3 = np.percentile(lat[variant], [25, 75])
            noise = (q3 - q1) / 2 / med[variant]
            label = "TF auto" if variant == "tf-auto" else variant
            print(f"{name if i == 0 else '':<15}{label:<12}{nc!s:>9}{no!s:>15}{nco!s:>13}{med[variant]:>12.3f}"
                  f"{noise:>7.1%}{med['original'] / med[variant]:>9.2f}x{info[variant]['first_ms']:>13.1f}")
        ratio = np.array(lat["smopt"]) / np.array(lat["tf-auto"])
        r_med = float(np.median(ratio))
        r_q1, r_q3 = np.percentile(ratio, [25, 75])
        lat_ok = "yes" if r_med <= 1.0 else ("noise" if r_q1 <= 1.0 else "no")
        print(f"{'':<15}smopt / TF auto latency (paired per round): median {r_med:.3f} "
              f"(IQR {r_q1:.3f}-{r_q3:.3f}); clusters in all functions: {figs['clusters_all_functions']}; "
              f"pass pipeline {t_pass * 1e3:.1f} ms")
        verdicts.append((name, figs["clusters"] <= tfa["clusters"], figs["compute_ops"] >= tfa["compute_ops"],
                         lat_ok, r_med))
    print("\ntarget (issue 6): clusters <= TF, compute ops clustered >= TF, latency <= TF")
    for name, c_ok, o_ok, lat_ok, r in verdicts:
        print(f"  {name:<15}clusters {'yes' if c_ok else 'no':<5}ops {'yes' if o_ok else 'no':<5}"
              f"latency {lat_ok} ({r:.3f}x TF)")


if __name__ == "__main__":
    main()
