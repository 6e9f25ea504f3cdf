"""Precompilation that pays: smopt-optimize's `--allow_precompilation` decides per XLA cluster.

    stages, report = choose_precompilation(input_dir, before, module, "cpu", samples, (1, 8), workdir)

`xla-cluster` forms the clusters TensorFlow's auto-clustering would; compiling one does not
always pay: XLA's CPU convolutions and matmuls lose to the oneDNN kernels TensorFlow calls
(MobileNetV2 runs ~2x slower compiled), while chains of small elementwise ops gain from
fusion. So each cluster is measured:

- Measured (the target device is present: always for cpu, for gpu when TensorFlow sees a
  GPU). The model is built and exported without clusters (`before` stages only), with every
  cluster, and, when there are several, without each of the `MAX_MEASURED` largest clusters
  (`xla-decluster{clusters=...}` inlines it back) and without all the others at once; all run
  interleaved in one process on the sample inputs at the warm-up batch sizes
  (compiler/measure.py `time_models`, after warm-up calls that compile). A cluster whose
  removal makes the model faster by `KEEP_GAIN` (geometric mean over signatures and batch
  sizes) is dropped. The final choice is timed the way a server runs a model, one model per
  fresh process (`measure.time_fresh`, `FRESH_ROUNDS` processes each, round-robin): the model
  without clusters against the kept clusters and against all of them (TensorFlow's auto-jit
  compiles them all; clusters that lose one by one can win together). The fastest is kept
  when it beats the model without clusters by `KEEP_GAIN` by both of `measure.ratios`'
  estimates, over its processes and again over twice as many (one process's median can sit
  1.3x from the next one's), else no cluster is kept. Sub-millisecond models measure
  differently side by side in one process (shared thread pools, caches): a small CNN's
  cluster that won there ran 1.45x slower alone. So a user never loses by turning
  precompilation on, within noise.
- Cost model (no way to time: --target_device gpu on a machine without a GPU). On a GPU,
  XLA calls the same cuBLAS/cuDNN kernels for matmuls and convolutions and fuses the
  elementwise work around them into one kernel per fusion; TensorFlow launches one kernel per
  op. A cluster is kept when the kernel launches fusion saves exceed the cost of launching
  the cluster: `fusible ops x GPU_OP_DISPATCH_US > XLA_LAUNCH_US`, where fusible ops are the
  members that are not matmul/convolution-like (`_LIBRARY_OPS`) and not free (Const,
  Identity, NoOp). GPU_OP_DISPATCH_US = 5: a CUDA kernel launch costs ~5 us of host time
  (NVIDIA's CUDA C++ Best Practices Guide quotes launch overheads "of the order of
  microseconds"; TF adds its executor's per-op work on top); XLA_LAUNCH_US = 20: the
  `_XlaCompile`/`_XlaRun` pair (cache lookup, argument and result buffers) per cluster run.
  So clusters of at least 5 fusible ops are kept. The report says which way was used.

Clusters in functions no signature runs (object-graph methods of a Keras export) are not
measured and are undone as well. The report lists each cluster (function, op count,
decision, latency with and without) and the output difference between the kept model and
the model without clusters.
"""
from __future__ import annotations

import math
import os

from smopt.compiler import measure
from smopt.compiler.compression import build, prepared
from smopt.compiler.errors import SmoptError
from smopt.passes.analysis.traits import BOOKKEEPING

KEEP_GAIN = 0.98
MAX_MEASURED = 4
GPU_OP_DISPATCH_US = 5.0
XLA_LAUNCH_US = 20.0
_LIBRARY_OPS = frozenset({"MatMul", "BatchMatMul", "BatchMatMulV2", "BatchMatMulV3", "Conv2D", "Conv3D",
                          "DepthwiseConv2dNative", "Conv2DBackpropInput", "Einsum", "FFT", "IFFT", "RFFT",
                          "IRFFT", "FFT2D", "RFFT2D", "CudnnRNN", "CudnnRNNV3"})


def can_time(device):
    """Whether TensorFlow here can run code placed on `device`."""
    if device == "cpu":
        return True
    if device == "gpu":
        return bool(measure.tf().config.list_physical_devices("GPU"))
    return False


def reached_clusters(module):
    """[(cluster function name, member op count)] reached from the signatures, largest first."""
    from smopt.passes.xla_decluster import is_cluster
    cg = module.call_graph()
    reached = set()
    for s in module.signatures.values():
        reached |= {s.function} | cg.reachable(s.function)
    out = [(n, _op_count(module, n)) for n, f in module.functions.items() if n in reached and is_cluster(f)]
    return sorted(out, key=lambda x: (-x[1], x[0]))


def _op_count(module, name):
    return sum(1 for op in module.functions[name].ops if op.type not in BOOKKEEPING)


def cost_model_keeps(module, name):
    """(keep, fusible ops, estimated saving in us) for cluster `name` on a GPU (see above)."""
    fusible = sum(1 for op in module.functions[name].ops if op.type not in BOOKKEEPING and op.type not in _LIBRARY_OPS)
    saving = fusible * GPU_OP_DISPATCH_US - XLA_LAUNCH_US
    return saving > 0, fusible, saving


def _decluster(names):
    return "xla-decluster{clusters=" + ",".join(names) + "}"


def choose_precompilation(input_dir, before, module, device, samples, batch_sizes, workdir):
    """(stages to append after `before`, report): see the module docstring."""
    cluster = f"xla-cluster{{device={device}}}"
    m = prepared(input_dir, before + [cluster])
    clusters = reached_clusters(m)
    from smopt.passes.xla_decluster import is_cluster
    # clusters of functions no signature runs (object-graph methods): nothing measures them,
    # so they are undone like the clusters that do not pay
    unreached = sorted(set(n for n, f in m.functions.items() if is_cluster(f)) - {n for n, _ in clusters})
    report = {"device": device, "clusters": [{"function": n, "ops": k} for n, k in clusters]}
    if unreached:
        report["unreached_clusters_undone"] = unreached
    if not clusters:
        report.update(method="none", message="xla-cluster forms no cluster the signatures run")
        return [], report
    if not can_time(device):
        report["method"] = "cost model"
        dropped = []
        for entry in report["clusters"]:
            keep, fusible, saving = cost_model_keeps(m, entry["function"])
            entry.update(kept=keep, fusible_ops=fusible, estimated_saving_us=saving)
            if not keep:
                dropped.append(entry["function"])
        kept = [n for n, _ in clusters if n not in dropped]
        report["message"] = (f"no {device.upper()} here to time on: decided by the cost model "
                             f"({len(kept)} of {len(clusters)} clusters kept)")
        if not kept:
            return [], report
        return [cluster] + ([_decluster(dropped + unreached)] if dropped or unreached else []), report
    del m
    report["method"] = "measured"
    timing = measure.timing_inputs(module, samples, batch_sizes)
    if not timing:
        report["message"] = "no signature can be fed sample inputs to time: precompilation left out"
        return [], report

    def model(stages, tag):
        d = build(input_dir, stages, os.path.join(workdir, f"precompile_{tag}"))
        m = measure.Model(d, f"the model {tag.replace('_', ' ')}")
        try:   # a cluster XLA cannot compile (or that fails) loses: it never runs faster
            m.run(timing_samples(timing))
        except SmoptError as e:
            return m, str(e)
        finally:
            m.release()   # a large model: one in memory at a time (measure.Model)
        return m, None

    names = [n for n, _ in clusters]
    variants = [("without_clusters", before),
                ("with_clusters", before + [cluster] + ([_decluster(unreached)] if unreached else []))]
    single = names[:MAX_MEASURED] if len(names) > 1 else []
    rest = names[MAX_MEASURED:]
    for i, n in enumerate(single):
        variants.append((f"without_{i}", before + [cluster, _decluster([n] + unreached)]))
    if rest:
        variants.append(("without_rest", before + [cluster, _decluster(rest + unreached)]))
    built = [model(st, tag) for tag, st in variants]
    if built[0][1]:
        raise SmoptError(built[0][1])
    failed = {i: why for i, (_, why) in enumerate(built) if why}
    ok = [i for i in range(len(built)) if i not in failed]
    times = dict(zip(ok, measure.time_models([built[i][0] for i in ok], timing)))
    base = times[0]
    full = times.get(1)
    full_gm = measure.speedup_ratio(full, base) if full is not None else math.inf
    report["latency_without_clusters"] = _lat(base)
    if full is not None:
        report["latency_with_clusters"] = _lat(full)
    else:
        report["fails_with_clusters"] = failed[1]
    dropped = []
    by_name = {e["function"]: e for e in report["clusters"]}

    def without(idx, group):
        t = times.get(idx)
        if t is None:          # failing without them: not to blame, decide on the others
            return
        gm = measure.speedup_ratio(t, full) if full is not None else 0.0
        for n in group:
            by_name[n]["latency_without_it"] = gm if full is not None else None
        if gm < KEEP_GAIN:     # faster (or running at all) without them
            dropped.extend(group)

    for j, n in enumerate(single):
        without(2 + j, [n])
    if rest:
        without(len(built) - 1, rest)
    if len(clusters) == 1 and full_gm >= KEEP_GAIN:
        dropped = names[:]
    kept = [n for n in names if n not in dropped]
    # The final choice, in fresh processes (measure.time_fresh: one model per process, as a
    # server runs it), between the model without clusters, the kept ones and all of them
    # (what TensorFlow's auto-jit compiles: clusters that lose one by one in process can win
    # together, and in-process timings of sub-millisecond models mislead).
    finalists = []   # (label, cluster names kept, stages, model)
    if full is not None and (kept or full_gm < KEEP_GAIN):
        finalists.append(("all_clusters", names, variants[1][1][len(before):], built[1][0]))
    if kept and dropped:
        sub_stages = [cluster, _decluster(dropped + unreached)]
        sub, why = model(before + sub_stages, "kept_clusters")
        if not why:
            finalists.append(("kept_clusters", kept, sub_stages, sub))
    kept, stages, final_model, final_gm, how = [], [], None, full_gm, "in one process"
    if finalists:
        t, errs = measure.time_fresh([built[0][0].path] + [f[3].path for f in finalists], timing,
                                     os.path.join(workdir, "precompile_fresh"))
        fresh = report["fresh"] = {"processes": measure.FRESH_ROUNDS}
        if t[0] is None:
            fresh["fails"] = errs[0]
        else:
            fresh["without_clusters"] = _lat(t[0])
            scored = []
            for i, (label, names_i, stages_i, model_i) in enumerate(finalists, 1):
                if t[i] is None:
                    fresh[label] = errs[i]
                    continue
                gm = measure.speedup_ratio(t[i], t[0])
                fresh[label] = _lat(t[i])
                fresh[label + "_ratio"] = gm
                scored.append((gm, i - 1))
            if scored:
                final_gm, i = min(scored)
                how = "in fresh processes"
                if final_gm < KEEP_GAIN:   # a gain counts only when it holds over twice the processes
                    more, _ = measure.time_fresh([built[0][0].path, finalists[i][3].path], timing,
                                                 os.path.join(workdir, "precompile_fresh"))
                    both = measure.pooled([t[0], t[i + 1]], more)
                    if both[0] is not None and both[1] is not None:
                        final_gm = measure.speedup_ratio(both[1], both[0])
                        fresh["confirmed_" + finalists[i][0] + "_ratio"] = final_gm
                        how = f"over {2 * measure.FRESH_ROUNDS} fresh processes each"
                        if final_gm < KEEP_GAIN:
                            _, kept, stages, final_model = finalists[i]
    for e in report["clusters"]:
        e["kept"] = e["function"] in kept
    report["speedup"] = 1.0 / final_gm if kept else 1.0
    if kept:
        ref = built[0][0].run(timing_samples(timing))
        built[0][0].release()
        report["error"] = measure.output_error(ref, final_model.run(timing_samples(timing)))
        final_model.release()
        report["message"] = (f"{len(kept)} of {len(clusters)} clusters kept (x{1.0 / final_gm:.2f} faster than "
                             f"without, {how})")
    elif full is None:
        report["message"] = f"no cluster kept: the model with clusters fails ({failed[1]})"
    else:
        report["message"] = (f"no cluster kept: compiling them does not pay here (x{final_gm:.2f} the latency "
                             f"without clusters, {how})")
    return stages, report


def timing_samples(timing):
    out = {}
    for (sig, _), inputs in timing.items():
        out.setdefault(sig, []).append(inputs)
    return out


def _lat(t):
    return {f"{sig}@{b}": s for (sig, b), s in sorted(measure.seconds(t).items())}


def format_report(report):
    lines = [f"smopt-optimize: precompilation ({report.get('method')}, device {report.get('device')})"]
    if report.get("method") == "measured":
        lines.append(f"  {'cluster':<48}{'ops':>6}  {'kept':<5} latency without it / with all")
        for e in report["clusters"]:
            rel = e.get("latency_without_it")
            lines.append(f"  {e['function'][:48]:<48}{e['ops']:>6}  {'yes' if e.get('kept') else 'no':<5} "
                         f"{'-' if rel is None else f'x{rel:.2f}'}")
        lines.append("  in one process, without clusters: " + measure.latency_text(report.get("latency_without_clusters")))
        lines.append("  in one process, with clusters:    " + measure.latency_text(report.get("latency_with_clusters")))
        fresh = report.get("fresh", {})
        for label in ("without_clusters", "all_clusters", "kept_clusters"):
            if label in fresh:
                v = fresh[label]
                text = v if isinstance(v, str) else measure.latency_text(v)
                ratio = f" (x{fresh[label + '_ratio']:.2f})" if label + "_ratio" in fresh else ""
                lines.append(f"  fresh processes, {label.replace('_', ' ') + ':':<17} {text}{ratio}")
                if f"confirmed_{label}_ratio" in fresh:
                    lines.append(f"  {'':<34}over twice the processes: x{fresh[f'confirmed_{label}_ratio']:.2f}")
        if "error" in report:
            lines.append(f"  output difference (max-abs relative): {report['error']:.3g}")
    elif report.get("method") == "cost model":
        for e in report["clusters"]:
            lines.append(f"  {e['function'][:48]:<48}{e['ops']:>6}  {'yes' if e.get('kept') else 'no':<5} "
                         f"{e['fusible_ops']} fusible ops, estimated saving {e['estimated_saving_us']:.0f} us")
    if report.get("message"):
        lines.append(f"  {report['message']}")
    return "\n".join(lines) + "\n"
