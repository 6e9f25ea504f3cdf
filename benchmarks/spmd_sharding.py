"""xla-spmd-shard: run a sharded MLP's TPU function with JAX SPMD on 8 virtual CPU devices and
compare it with the same function unsharded (weights replicated), same run.

    python benchmarks/spmd_sharding.py [--sizes 512,2048,512] [--batch 64] [--repeat 20]

For 2 cores (pf_1x2x1) and 4 cores (df_2x2): time of the pass, max |difference| against
TensorFlow's unsharded output, weight bytes held per device (sharded vs replicated: the
ratio is the memory saving the annotations buy), and best-of-N latency of both (the virtual
devices share this machine's CPU cores, so latency shows the partitioning overhead, not a
speed-up). See tests/models_sharding.py for how the IR's annotations reach JAX.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import ROOT  # noqa: E402,F401  (puts the repository on sys.path)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="512,2048,512", help="layer widths of the MLP")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--repeat", type=int, default=20)
    args = ap.parse_args(argv)
    sizes = tuple(int(s) for s in args.sizes.split(","))

    import numpy as np
    import tensorflow as tf
    from smopt.compiler.importer import import_saved_model
    from tests import models_sharding as ms

    work = tempfile.mkdtemp(prefix="smopt-bench-spmd-")
    path = ms.build_mlp_model(os.path.join(work, "mlp"), sizes=sizes)
    x = ms.mlp_inputs(batch=args.batch, features=sizes[0])
    loaded = tf.saved_model.load(path)
    ref = loaded.tpu_func(x).numpy()
    print(f"MLP {sizes}, batch {args.batch}, {sum(a * b + b for a, b in zip(sizes, sizes[1:])) * 4 / 2**20:.2f} MiB "
          f"of weights; JAX on 8 virtual CPU devices ({os.cpu_count()} CPU cores)")
    header = (f"{'cores':>5} {'topology':>9} {'pass ms':>8} {'max|err|':>9} {'MiB/device':>11} "
              f"{'unsharded':>10} {'mem ratio':>9} {'sharded ms':>10} {'unsharded ms':>12} {'time ratio':>10}")
    print(header)
    for cores, topo in ((2, "pf_1x2x1"), (4, "df_2x2")):
        m = import_saved_model(path)
        ms.mark_tpu_function(m)
        t0 = time.perf_counter()
        ms.shard(m, cores, topo)
        t_pass = time.perf_counter() - t0
        values = ms.variable_values(m)
        d = tempfile.mkdtemp(dir=work)
        r = ms.run_jax_harness(m, values, x, ref, d, repeat=args.repeat)
        per_dev = max(r["per_device_weight_bytes"].values()) / 2**20
        full = r["total_weight_bytes"] / 2**20
        ts, tu = r["timing"]["sharded_s"] * 1e3, r["timing"]["unsharded_s"] * 1e3
        print(f"{cores:>5} {topo:>9} {t_pass * 1e3:>8.2f} {r['max_abs_err']:>9.2e} {per_dev:>11.3f} "
              f"{full:>10.3f} {full / per_dev:>8.2f}x {ts:>10.3f} {tu:>12.3f} {ts / tu:>9.2f}x")
        ok = r["max_abs_err"] < 1e-3 * max(1.0, float(np.max(np.abs(ref)))) and all(r["shard_shapes_in_hlo"].values())
        if not ok:
            print(f"  FAILED: {r}")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
