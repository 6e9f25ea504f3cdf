"""Every corpus model through every pipeline, in one process.

`run_model(cm, model_dir, workdir)` returns {pipeline: Result}. Used by tests/test_corpus.py
(which asserts) and benchmarks/corpus.py (which prints the table).

Pipelines (issue 13's list):
- `lift`: import, verify, print -> parse -> print byte-identical; figure: ops / functions.
- `identity`: `disable_default_optimizations: true` export; outputs bit-identical.
- `tpu_f32`: TPU conversion `--target cpu` with bfloat16 disabled; <= 1e-5 relative error.
- `tpu_bf16`: the same with the default bfloat16 conversion; error <= 1.25x TensorFlow's own
  oneDNN bfloat16 auto-mixed-precision on the same inputs (figure: both errors).
- `tpu_batch`: TPU target with `batch_options`; the output loads in `tf.saved_model.load`.
- `precompile`: `smopt-optimize --allow_precompilation=true`; <= 1e-4 relative error.
- `dynamic_range`: post-training dynamic-range quantization; runs, error reported.

Errors are relative: max-abs error over max-abs reference output, over all float outputs;
other outputs (ints, strings) must be equal. A refusal is a pass only when it is right and says
why. A model exported without a function alias reaches the TPU through `auto_partition_options`
(tpu-auto-partition).
"""
from __future__ import annotations

import dataclasses
import importlib
import os
import shutil
import time
import traceback

import numpy as np

PIPELINES = ("lift", "identity", "tpu_f32", "tpu_bf16", "tpu_batch", "precompile", "dynamic_range")
TPU_PIPELINES = ("tpu_f32", "tpu_bf16", "tpu_batch")
F32_TOL = 1e-5
PRECOMPILE_TOL = 1e-4
BF16_FACTOR = 1.25
# The bf16 bar compares mean errors over these feeds: on the random-weight image classifiers
# a feed's ratio ranges 0.75-1.3x (tf_keras.regnetx008: 1.28x over the first 4 feeds, 1.11x
# over 8, 1.08x over 24).
BF16_SEEDS = tuple(range(8))
# Below this, both bf16 errors are float32 round-off: the ratio says nothing.
BF16_FLOOR = 1e-5
# Where TensorFlow's AMP converts nothing: about 3 bfloat16 roundings (2^-8 each) of the output.
BF16_ALONE = 1e-2
BATCH_OPTIONS = "batch_options { num_batch_threads: 2 max_batch_size: 8 allowed_batch_sizes: 8 }"


@dataclasses.dataclass
class Result:
    status: str          # ok | refused | FAIL
    figure: str = ""     # what the table shows
    detail: str = ""     # the error line or why it failed

    @property
    def passed(self) -> bool:
        return self.status in ("ok", "refused")

    def cell(self) -> str:
        if self.status == "ok":
            return self.figure or "ok"
        text = self.detail.replace("|", "/")
        if len(text) > 90:
            text = text[:87] + "..."
        return f"{self.status}: {text}"


def _tf():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf
    return tf


def import_custom_ops(cm) -> None:
    for mod in cm.custom_op_modules:
        importlib.import_module(mod)


def run_signature(model_dir, feed, signature="serving_default", amp_bf16=False):
    """Outputs of `signature` on `feed` (numpy), with TensorFlow's oneDNN bf16 AMP if asked."""
    return run_signature_feeds(model_dir, [feed], signature, amp_bf16)[0]


def run_signature_feeds(model_dir, feeds, signature="serving_default", amp_bf16=False):
    """Outputs of `signature` on each feed, one load of the model.

    The grappler option applies to functions instantiated after it is set, so the model is
    loaded afresh each time; it is reset afterwards."""
    tf = _tf()
    tf.config.optimizer.set_experimental_options({"auto_mixed_precision_onednn_bfloat16": amp_bf16})
    try:
        loaded = tf.saved_model.load(model_dir)
        fn = loaded.signatures[signature]
        outs = []
        for feed in feeds:
            out = fn(**{k: tf.constant(v) for k, v in feed.items()})
            outs.append({k: v.numpy() for k, v in out.items()})
        return outs
    finally:
        tf.config.optimizer.set_experimental_options({"auto_mixed_precision_onednn_bfloat16": False})


def rel_error(ref, out) -> float:
    """max-abs error / max-abs reference over float outputs; inf if anything else differs."""
    if set(ref) != set(out):
        return float("inf")
    num, den = 0.0, 0.0
    for k, r in ref.items():
        o = out[k]
        if r.shape != o.shape:
            return float("inf")
        if np.issubdtype(r.dtype, np.floating) or np.issubdtype(r.dtype, np.complexfloating):
            r64, o64 = r.astype(np.complex128 if np.iscomplexobj(r) else np.float64), o.astype(r.dtype)
            if r.size:
                num = max(num, float(np.abs(r64 - o64).max()))
                den = max(den, float(np.abs(r64).max()))
        elif not np.array_equal(r, o):
            return float("inf")
    if num == 0.0:
        return 0.0
    return num / den if den else float("inf")


def bit_identical(ref, out) -> bool:
    return set(ref) == set(out) and all(
        r.dtype == out[k].dtype and r.shape == out[k].shape and r.tobytes() == out[k].tobytes()
        if r.dtype != object else np.array_equal(r, out[k]) for k, r in ref.items())


def _first_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return f"{type(e).__name__}: {text[0] if text else ''}"


# ---- the pipelines --------------------------------------------------------------------------
def _lift(ctx):
    from smopt.compiler.importer import import_saved_model
    from smopt.ir import verify
    from smopt.ir.parser import parse_module
    from smopt.ir.printer import print_module
    module = import_saved_model(ctx.model_dir)
    verify(module)
    text = print_module(module)
    parsed = parse_module(text)
    verify(parsed)  # custom ops stay known through the text (the stripped_op_list travels)
    again = print_module(parsed)
    if again != text:
        return Result("FAIL", detail="print -> parse -> print is not byte-identical")
    ops = sum(len(f.ops) for f in module.functions.values())
    return Result("ok", f"{ops} ops / {len(module.functions)} fns")


def _convert(ctx, name, options, target="cpu"):
    from smopt.compiler.convert import convert
    out = os.path.join(ctx.workdir, name)
    shutil.rmtree(out, ignore_errors=True)
    convert(ctx.model_dir, out, options, target=target)
    return out


def _identity(ctx):
    out = _convert(ctx, "identity", "disable_default_optimizations: true")
    got = run_signature(out, ctx.feed, ctx.cm.signature)
    if not bit_identical(ctx.ref, got):
        return Result("FAIL", detail=f"outputs differ (rel {rel_error(ctx.ref, got):.2e})")
    return Result("ok", "bit-identical")


def _tpu_options(ctx, extra=""):
    """The model's alias as TPU function; a model exported without one is partitioned
    automatically (tpu-auto-partition)."""
    if ctx.cm.tpu_alias is None:
        return f"auto_partition_options {{ }} {extra}"
    return f'tpu_functions {{ function_alias: "{ctx.cm.tpu_alias}" }} {extra}'


def _tpu_f32(ctx):
    out = _convert(ctx, "tpu_f32", _tpu_options(ctx, "bfloat16_optimization: DISABLED"))
    err = rel_error(ctx.ref, run_signature(out, ctx.feed, ctx.cm.signature))
    if err > F32_TOL:
        return Result("FAIL", f"{err:.1e}", f"relative error {err:.2e} > {F32_TOL:g}")
    return Result("ok", f"{err:.1e}")


def _tpu_bf16(ctx):
    out = _convert(ctx, "tpu_bf16", _tpu_options(ctx))
    # Mean relative error over BF16_SEEDS feeds, ours and TensorFlow's on the same ones: on
    # one feed the ratio is noise where the outputs are ill-conditioned (random-weight image
    # classifiers: both errors 0.2-1.2).
    feeds = [ctx.feed] + [ctx.cm.inputs(seed) for seed in BF16_SEEDS[1:]]
    sig = ctx.cm.signature
    refs = [ctx.ref] + run_signature_feeds(ctx.model_dir, feeds[1:], sig)
    ours = float(np.mean([rel_error(r, o) for r, o in zip(refs, run_signature_feeds(out, feeds, sig))]))
    theirs = float(np.mean([rel_error(r, o) for r, o in
                            zip(refs, run_signature_feeds(ctx.model_dir, feeds, sig, amp_bf16=True))]))
    if theirs == 0.0:
        # TensorFlow's AMP rewrote nothing (it leaves jit_compile functions alone): no figure
        # to compare with, so the bar is a few bfloat16 roundings of the output.
        fig = f"{ours:.1e} (TF: no bf16)"
        if ours > BF16_ALONE:
            return Result("FAIL", fig, f"bf16 error {ours:.2e} > {BF16_ALONE:g} (TensorFlow's AMP "
                                       "converts nothing here)")
        return Result("ok", fig)
    fig = f"{ours:.1e} (TF {theirs:.1e})"
    if ours > max(BF16_FACTOR * theirs, BF16_FLOOR):
        return Result("FAIL", fig, f"bf16 error {ours:.2e} > {BF16_FACTOR}x TensorFlow's {theirs:.2e}")
    return Result("ok", fig)


def _tpu_batch(ctx):
    out = _convert(ctx, "tpu_batch", _tpu_options(ctx, BATCH_OPTIONS), target="tpu")
    _tf().saved_model.load(out)
    return Result("ok", "loads")


def _precompile(ctx):
    from smopt.compiler.optimize import optimize
    out = os.path.join(ctx.workdir, "precompile")
    shutil.rmtree(out, ignore_errors=True)
    optimize(ctx.model_dir, out, allow_precompilation=True)
    err = rel_error(ctx.ref, run_signature(out, ctx.feed, ctx.cm.signature))
    if err > PRECOMPILE_TOL:
        return Result("FAIL", f"{err:.1e}", f"relative error {err:.2e} > {PRECOMPILE_TOL:g}")
    return Result("ok", f"{err:.1e}")


def _dynamic_range(ctx):
    out = _convert(ctx, "dynamic_range",
                   'external_feature_configs { quantization_options { signature_keys: "%s" '
                   'quantization_method { preset_method: METHOD_DYNAMIC_RANGE_INT8 } } }' % ctx.cm.signature)
    err = rel_error(ctx.ref, run_signature(out, ctx.feed, ctx.cm.signature))
    return Result("ok", f"{err:.1e}")


_RUNNERS = {"lift": _lift, "identity": _identity, "tpu_f32": _tpu_f32, "tpu_bf16": _tpu_bf16,
            "tpu_batch": _tpu_batch, "precompile": _precompile, "dynamic_range": _dynamic_range}


@dataclasses.dataclass
class _Ctx:
    cm: object
    model_dir: str
    workdir: str
    feed: dict
    ref: dict


def _refusal(cm, pipeline, message):
    """A refusal that is right and says why: TPU functions the TPU cannot run (the
    compatibility check names the op), or nothing worth offloading."""
    return pipeline in TPU_PIPELINES and ("isn't compilable for TPU" in message
                                          or "no TPU-compilable region" in message)


def run_pipeline(cm, pipeline, model_dir, workdir, feed=None, ref=None) -> Result:
    from smopt.compiler.errors import SmoptError
    if feed is None:
        feed = cm.inputs(0)
    if ref is None:
        ref = run_signature(model_dir, feed, cm.signature)
    ctx = _Ctx(cm, model_dir, workdir, feed, ref)
    try:
        return _RUNNERS[pipeline](ctx)
    except SmoptError as e:
        line = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        if _refusal(cm, pipeline, line):
            return Result("refused", detail=line)
        return Result("FAIL", detail=line)
    except Exception as e:  # a crash is a failure of the pipeline, reported as one line
        detail = _first_line(e)
        if os.environ.get("SMOPT_CORPUS_TRACEBACK"):
            traceback.print_exc()
        return Result("FAIL", detail=detail)


def run_model(cm, model_dir, workdir, pipelines=PIPELINES, timings=None) -> dict[str, Result]:
    import_custom_ops(cm)
    feed = cm.inputs(0)
    ref = run_signature(model_dir, feed, cm.signature)
    out = {}
    for p in pipelines:
        t0 = time.perf_counter()
        out[p] = run_pipeline(cm, p, model_dir, os.path.join(workdir, cm.name), feed, ref)
        if timings is not None:
            timings[p] = time.perf_counter() - t0
    return out
