"""Calibrate cpu-gpu-placement's cost constants on this machine.

    python benchmarks/placement_calibration.py [--batch 32] [--repeats 200]

The placement (passes/cpu_gpu_placement.py) prices an op in cost-model units (one FLOP or
four bytes of memory traffic, passes/analysis/cost_model.py) and a transfer in bytes; its constants
convert between them:
- flops-per-byte: cost units the host runs in the time one byte crosses host<->device, i.e.
  (CPU units per second) / (transfer bytes per second);
- transfer-overhead: the fixed cost of one transfer in bytes, latency x bandwidth;
- gpu-speedup: how many times faster an op runs on the GPU.

Measured here: CPU throughput in cost units per second for the ops of a tabular model at the
placement's batch size (`_per_op_seconds`: the time of one op inside a graph, TF's per-op
dispatch included as in serving, the Python call overhead not; medians of `--repeats` calls). With a GPU visible to TensorFlow, also the
transfer bandwidth and latency (round trips of 16 MiB and of 4 bytes, half each way) and the
same ops on the GPU (gpu-speedup = CPU time / GPU time, median over the ops). Without a
GPU the transfer side uses the cited PCIe figures below, and gpu-speedup is not measured.
"""
from __future__ import annotations

import argparse
import time

import _common  # noqa: F401 - sys.path and TF logging
import numpy as np

# Cited transfer figures, used when no GPU is present:
# - PCIe 3.0 x16: 8 GT/s x 16 lanes with 128b/130b encoding = 15.75 GB/s per direction (PCI-SIG
#   PCIe 3.0 base specification); NVIDIA's bandwidthTest sample reports ~12-13 GB/s for pinned
#   host memory on such links, used here (a T4 or V100 PCIe serving machine).
# - cudaMemcpy of a few bytes costs ~10 us end to end (host call, DMA setup, completion): the
#   order NVIDIA's CUDA C++ Best Practices Guide gives for transfer overhead ("each transfer has
#   an associated overhead"; batching small transfers into one is its advice).
PCIE_BYTES_PER_S = 12e9
TRANSFER_LATENCY_S = 10e-6


def _ops(batch):
    """[(name, op(*args), [argument shapes and dtypes], cost units)], units as
    passes/analysis/cost_model.py counts them (FLOPs + bytes / 4)."""
    import tensorflow as tf
    n64 = batch * 64

    def mm_units(m, k, n):
        return 2 * m * k * n + (m * k + k * n + m * n)
    f = "float32"
    return [
        ("MatMul 44x64", tf.matmul, [((batch, 44), f), ((44, 64), f)], mm_units(batch, 44, 64)),
        ("MatMul 64x64", tf.matmul, [((batch, 64), f), ((64, 64), f)], mm_units(batch, 64, 64)),
        ("MatMul 64x32", tf.matmul, [((batch, 64), f), ((64, 32), f)], mm_units(batch, 64, 32)),
        ("AddV2 bias", tf.add, [((batch, 64), f), ((64,), f)], n64 + (2 * n64 + 64)),
        ("Relu", tf.nn.relu, [((batch, 64), f)], n64 + 2 * n64),
        ("Sigmoid", tf.sigmoid, [((batch, 64), f)], 4 * n64 + 2 * n64),
        ("ConcatV2 5", lambda *p: tf.concat(p, 1),
         [((batch, 8), f), ((batch, 8), f), ((batch, 16), f), ((batch, 8), f), ((batch, 4), f)], 2 * batch * 44),
        ("GatherV2 2048x16", lambda t, i: tf.gather(t, i), [((2048, 16), f), ((batch,), "int64")],
         (2048 * 16 * 4 + batch * 8 + batch * 16 * 4) // 4),
        ("MatMul 1024x1024", tf.matmul, [((batch, 1024), f), ((1024, 1024), f)], mm_units(batch, 1024, 1024)),
    ]


COPIES = 32


def _per_op_seconds(op, specs, repeats, device):
    """Seconds one op takes inside a graph: a tf.function running COPIES independent copies
    (each on its own inputs, so nothing is deduplicated) minus one running a single copy,
    divided by COPIES - 1: the Python call overhead cancels, TF's per-op dispatch stays."""
    import tensorflow as tf
    rng = np.random.default_rng(0)

    def arg(shape, dtype):
        if dtype == "int64":
            return tf.constant(rng.integers(0, 2048, shape).astype(np.int64))
        return tf.constant(rng.standard_normal(shape).astype(np.float32))

    def run(copies):
        with tf.device(device):
            args = [[arg(*s) for s in specs] for _ in range(copies)]
            fn = tf.function(lambda a: [op(*x) for x in a])
            return _time(lambda: fn(args), repeats, sync=device != "/device:CPU:0")
    return max((run(COPIES) - run(1)) / (COPIES - 1), 1e-9)


def _time(call, repeats, sync=False):
    for _ in range(5):
        out = call()
    ts = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = call()
        if sync:
            [o.numpy() for o in out]
        ts.append(time.perf_counter() - t0)
    return float(np.median(ts))


def _transfers(repeats):
    """(bytes/s one way, seconds per transfer): round trips host -> GPU:0 -> host of a 16 MiB
    and of a 4-byte tensor (each way counted as half the round trip)."""
    import tensorflow as tf
    big = tf.constant(np.ones(4 << 20, np.float32))
    small = tf.constant(np.ones(1, np.float32))

    def round_trip(t):
        with tf.device("/device:GPU:0"):
            on_gpu = tf.identity(t)
        return on_gpu.numpy()
    t_big = _time(lambda: round_trip(big), max(5, repeats // 20))
    t_small = _time(lambda: round_trip(small), repeats)
    return 2 * (4 << 22) / t_big, t_small / 2


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--batch", type=int, default=32, help="batch size (the placement's batch-size option)")
    ap.add_argument("--repeats", type=int, default=50)
    args = ap.parse_args()
    import tensorflow as tf
    gpu = bool(tf.config.list_physical_devices("GPU"))
    rows = []
    print(f"{'op':<20}{'units':>12}{'CPU us':>10}{'units/s':>12}" + (f"{'GPU us':>10}{'speedup':>9}" if gpu else ""))
    for name, op, specs, units in _ops(args.batch):
        cpu = _per_op_seconds(op, specs, args.repeats, "/device:CPU:0")
        row = {"op": name, "units": units, "cpu": cpu, "rate": units / cpu}
        line = f"{name:<20}{units:>12}{cpu * 1e6:>10.1f}{units / cpu:>12.3g}"
        if gpu:
            g = _per_op_seconds(op, specs, args.repeats, "/device:GPU:0")
            row["gpu"] = g
            line += f"{g * 1e6:>10.1f}{cpu / g:>9.2f}"
        rows.append(row)
        print(line, flush=True)
    tabular = [r for r in rows if r["op"] != "MatMul 1024x1024"]
    rate = float(np.median([r["rate"] for r in tabular]))
    if gpu:
        bw, lat = _transfers(args.repeats)
        speedup = float(np.median([r["cpu"] / r["gpu"] for r in tabular]))
        source = "measured"
    else:
        bw, lat, speedup, source = PCIE_BYTES_PER_S, TRANSFER_LATENCY_S, None, "cited PCIe 3.0 x16 figures"
    print(f"\nCPU throughput on the tabular ops (median): {rate:.3g} cost units/s "
          f"(large matmul: {rows[-1]['rate']:.3g})")
    print(f"transfers ({source}): {bw / 1e9:.1f} GB/s, {lat * 1e6:.0f} us per transfer")
    print("derived constants (pass defaults in brackets):")
    print(f"  flops-per-byte    = {rate / bw:.3g}   [8.0]")
    print(f"  transfer-overhead = {lat * bw:.0f} bytes   [0]")
    print(f"  gpu-speedup       = {speedup:.3g}   [10.0]" if speedup else
          "  gpu-speedup       = not measured without a GPU   [10.0]")


if __name__ == "__main__":
    main()
