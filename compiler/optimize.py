"""The optimized runtime's model optimizer: SavedModel + runtime flags -> optimized SavedModel.

    optimize(input_dir, output_dir, allow_precompilation=True, allow_compression=True,
             target_device="cpu", warmup_batch_sizes=(1, 8))

Flags (seed 000, "Flags für die Modelloptimierung") -> pipeline (`optimize_pipeline`):
- optimizer on (default): graph cleanups that keep every output bit-identical
  (`canonicalize,cse,dce,merge-functions`: the last exports identical functions once, e.g.
  the signature wrappers Keras writes for `serve` and `serving_default`), then the opt-in
  optimizations below;
- `allow_compression` (compiler/compression.py): per weight the smallest storage among
  pruning levels (sparse), int8 weight-only and bfloat16 (and dynamic-range int8 where it is
  faster) whose output change, measured by running TensorFlow on sample inputs, stays within
  `compression_accuracy_budget` (default 0.01: max-abs output change / max-abs output), after
  `freeze-variables` (weights become constants, so dequantization is folded when TF loads the
  model); the compressed model must be smaller, within budget on held-out inputs and not
  more than 5% slower, or the model is left uncompressed with a message;
- `target_device gpu`: `cpu-gpu-placement` (passes/cpu_gpu_placement.py: string work,
  lookups and large tables on the host, dense compute on the GPU, transfers minimized; its
  report on stderr) after the cleanups and compression, before precompilation;
- `allow_precompilation`: `inline` first (see `optimize_pipeline`), then
  `xla-cluster{device=<target_device>}` (XLA auto-clustering into `_XlaMustCompile`
  functions), keeping only the clusters that make the model faster by measurement
  (compiler/precompilation.py; `xla-decluster` undoes the others; with no device to time on,
  a documented cost model decides), plus a warm-up file `assets.extra/tf_serving_warmup_requests`
  (TF Serving's format: a TFRecord file of `tensorflow.serving.PredictionLog` records holding
  a PredictRequest) with one request per warm-up batch size and signature, so that the
  server compiles the clusters before the first real request. Inputs come from
  `sample_inputs` when it feeds the signature (the first sample batch, cycled to the batch
  size), otherwise zeros and, for string inputs, b"hello world" (dynamic dimensions after the
  batch dimension become 1); signatures with unknown-rank or handle inputs get none, and no
  file is written when no signature can be fed. The file replaces one the input model may
  have. With target cpu each request is run on the output model before it is written (a
  failing warm-up request would stop TF Serving from loading the model);
- `target_device tpu` (automatic TPU partitioning): `inline`, the cleanups, compression if
  asked, then the converter's pipeline for default `ConverterOptions` with smopt's
  `auto_partition_options` (`tpu-auto-partition` chooses the TPU functions; compatibility
  check, bfloat16, IO shapes, TPU call stubs, conversion report on stderr).
  `target="cpu"` (smopt-optimize --target cpu) writes plain calls instead of TPU stubs, a
  CPU-runnable variant to check numerics. Precompilation then only adds the warm-up file
  (the TPU runtime compiles the TPU functions), checked on the CPU variant only;
- `disable_optimizer`: no passes at all (the model is exported as imported), whatever the
  other flags say.
Output checks come before any work, the input is never modified and the output directory
appears only when everything, warm-up file included, succeeded. The measured decisions
(compression, precompilation) fill `report` (smopt-optimize prints their tables on stderr
and writes them with --report_json).
"""
from __future__ import annotations

import os
import struct

import numpy as np

from smopt.ir import types as T
from smopt.passes.framework.registry import load_all

from smopt.compiler.errors import SmoptError
from smopt.compiler.convert import run_pipeline

CLEANUP = ("canonicalize", "cse", "dce", "merge-functions")
TARGET_DEVICES = ("cpu", "gpu", "tpu")
WARMUP_FILE = os.path.join("assets.extra", "tf_serving_warmup_requests")


def optimize_pipeline(allow_precompilation=False, allow_compression=False, disable_optimizer=False,
                      target_device="cpu", target="tpu"):
    """The `-p` pipeline text for the runtime's flags (passes missing from this build are left out).

    With `allow_precompilation` the pipeline starts with `inline` (before the cleanups, which
    then also see the inlined bodies): xla-cluster cannot form a cluster across a call
    boundary, so compilable work on both sides of a call to a partly compilable function (one
    with string ops, say) would become separate clusters, each an XLA launch per inference,
    where TensorFlow's own auto-clustering, which runs on the inlined graph of the executed
    function, forms one. Calls to `_noinline`, `_XlaMustCompile` and aliased functions stay
    calls (inline's defaults); inlining keeps every output bit-identical.
    """
    if target_device not in TARGET_DEVICES:
        raise SmoptError(f"unknown --target_device '{target_device}' (expected cpu, gpu or tpu)")
    if disable_optimizer:
        return ""
    registry = load_all()
    if target_device == "tpu":
        return ",".join(_tpu_stages(registry, allow_compression, target))
    plan = _plan(registry, allow_precompilation, allow_compression, target_device)
    return ",".join(plan["prefix"] + (list(COMPRESSION_CHOICES) if plan["compress"] else [])
                    + plan["placement"] + ([plan["precompile"]] if plan["precompile"] else []))


# What --print_pipeline shows for --allow_compression: the stages a run chooses from. A run
# measures and names the weights each pass applies to (compiler/compression.py); its
# `pipeline:` line shows the result.
COMPRESSION_CHOICES = ("symbol-dce{keep-exported=false}", "freeze-variables", "prune-weights{sparsity=0.9}",
                       "quantize{method=weight_only signature-keys=}", "bf16-weights", "share-constants",
                       "merge-functions")


def _plan(registry, allow_precompilation, allow_compression, target_device):
    """The pipeline's parts for target cpu/gpu: fixed prefix, whether to compress, placement,
    the clustering stage (None: no precompilation)."""
    precompile = allow_precompilation and "xla-cluster" in registry
    # Cluster over the inlined graph, as TF's auto-clustering does (see the docstring).
    prefix = ["inline"] if precompile and "inline" in registry else []
    prefix += [p for p in CLEANUP if p in registry]
    compress = allow_compression and all(p in registry for p in ("freeze-variables", "quantize", "bf16-weights",
                                                                  "prune-weights", "share-constants"))
    placement = ["cpu-gpu-placement"] if target_device == "gpu" and "cpu-gpu-placement" in registry else []
    return {"prefix": prefix, "compress": compress, "placement": placement,
            "precompile": f"xla-cluster{{device={target_device}}}" if precompile else None}


def _tpu_stages(registry, allow_compression, target):
    """Automatic TPU partitioning: the converter's pipeline for default ConverterOptions plus
    `auto_partition_options`, after the cleanups on the inlined graph."""
    from smopt.compiler.options import converter_options_class
    from smopt.compiler.pipelines import pipeline_stages
    opts = converter_options_class()()
    opts.auto_partition_options.SetInParent()
    convert = [s for s in pipeline_stages(opts, target=target) if s != "inline"]  # ours comes first
    stages = ["inline"] + [p for p in CLEANUP if p in registry]
    if allow_compression:
        stages += [p for p in ("prune-weights", "quantize{method=weight_only signature-keys=}")
                   if p.split("{")[0] in registry]
    return stages + convert


# ---- warm-up requests ------------------------------------------------------------------
# Field numbers of TF Serving's protos (tensorflow_serving/apis/{model,predict,prediction_log}.proto):
# ModelSpec{name=1, signature_name=3}; PredictRequest{model_spec=1, map<string,TensorProto>
# inputs=2}; PredictLog{request=1}; PredictionLog{predict_log=6}.
def _varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _field(number, payload):
    """A length-delimited field (wire type 2)."""
    if isinstance(payload, str):
        payload = payload.encode("utf-8")
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def prediction_log(signature_name, inputs, model_name=""):
    """A serialized PredictionLog whose predict_log.request feeds `inputs` ({key: TensorProto
    bytes}) to `signature_name`."""
    spec = (_field(1, model_name) if model_name else b"") + _field(3, signature_name)
    request = _field(1, spec) + b"".join(_field(2, _field(1, k) + _field(2, v)) for k, v in sorted(inputs.items()))
    return _field(6, _field(1, request))


def tfrecord(records):
    """TFRecord framing: length, masked CRC32-C of the length, data, masked CRC32-C of the data."""
    from smopt.compiler.calibration import masked_crc
    out = bytearray()
    for r in records:
        header = struct.pack("<Q", len(r))
        out += header + struct.pack("<I", masked_crc(header)) + r + struct.pack("<I", masked_crc(r))
    return bytes(out)


WARMUP_STRING = b"hello world"


def warmup_inputs(signature, batch_size, samples=None):
    """{input key: numpy array} for one request, or None when the signature cannot be fed
    (unknown-rank or handle inputs). `samples`: sample batches ({key: array}) for this
    signature (compiler/measure.py), the first one cycled to `batch_size`; otherwise zeros and
    WARMUP_STRING for strings."""
    if samples:
        from smopt.compiler.measure import resize_batch
        return resize_batch(samples[0], signature, batch_size)
    out = {}
    for key, _, ttype in signature.inputs:
        dt = ttype.dtype
        if ttype.shape is None or dt in (T.resource, T.variant) or (dt.np is None and dt is not T.string):
            return None
        shape = [batch_size if (i == 0 and d < 0) else (1 if d < 0 else d) for i, d in enumerate(ttype.shape)]
        out[key] = np.full(shape, WARMUP_STRING, dtype=object) if dt is T.string else np.zeros(shape, dt.np)
    return out


def warmup_requests(module, batch_sizes, samples=None):
    """[(signature, batch size, {key: numpy array})] for every signature that can be fed."""
    reqs = []
    for name in sorted(module.signatures):
        for b in batch_sizes:
            inputs = warmup_inputs(module.signatures[name], b, (samples or {}).get(name))
            if inputs is None:
                break
            reqs.append((name, b, inputs))
    return reqs


def _tensor_proto_bytes(array):
    from smopt.ir.attributes import DenseElements
    from smopt.compiler import tfproto
    from smopt.compiler.tf_convert import tensor_to_proto
    tp = tfproto.TensorProto()
    tensor_to_proto(DenseElements.from_numpy(array), tp)
    return tp.SerializeToString()


def _check_warmup(model_dir, reqs, samples=None, skipped=None):
    """Run each warm-up request on the exported model with TensorFlow (CPU); returns the
    requests to write. A signature whose default string inputs (not the user's samples) fail is
    retried with numbers as strings (string parsers), else left out and named in `skipped`."""
    from smopt.compiler.measure import _numeric_strings, tf, to_tensors
    loaded = tf().saved_model.load(model_dir)
    out, dropped = [], set()
    for name, b, inputs in reqs:
        if name in dropped:
            continue
        try:
            loaded.signatures[name](**to_tensors(inputs))
            out.append((name, b, inputs))
            continue
        except Exception as e:  # the runtime would refuse to load the model
            msg = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        given = bool((samples or {}).get(name))
        if not given and any(a.dtype.kind in "SO" for a in inputs.values()):
            alt = _numeric_strings(inputs, b)
            try:
                loaded.signatures[name](**to_tensors(alt))
                out.append((name, b, alt))
                continue
            except Exception:  # noqa: BLE001 - neither default works: no requests for it
                dropped.add(name)
                if skipped is not None:
                    skipped[name] = msg
                continue
        what = "sample inputs" if given else "zero inputs"
        raise SmoptError(f"the warm-up request for signature '{name}' (batch size {b}, {what}) "
                         f"fails on the optimized model: {msg}") from None
    return [r for r in out if r[0] not in dropped]


def write_warmup(model_dir, module, batch_sizes, check=True, samples=None, skipped=None):
    """Write assets.extra/tf_serving_warmup_requests into `model_dir`; returns the requests.
    `samples`: {signature: [sample batch]} to take the inputs from (see `warmup_inputs`);
    `skipped`: a dict that receives the signatures left out (see `_check_warmup`)."""
    reqs = warmup_requests(module, batch_sizes, samples)
    if reqs and check:
        reqs = _check_warmup(model_dir, reqs, samples, skipped)
    if not reqs:
        return reqs
    records = [prediction_log(name, {k: _tensor_proto_bytes(v) for k, v in inputs.items()})
               for name, _, inputs in reqs]
    path = os.path.join(model_dir, WARMUP_FILE)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(tfrecord(records))
    return reqs


# ---- the driver -------------------------------------------------------------------------
def optimize(input_dir, output_dir, allow_precompilation=False, allow_compression=False,
             disable_optimizer=False, target_device="cpu", warmup_batch_sizes=(1, 8), inst=None,
             overwrite=False, dump_dir=None, log=None, target="tpu", compression_accuracy_budget=None,
             sample_inputs=None, report=None):
    """Optimize a SavedModel for the runtime. Returns (module, pass manager, warm-up requests).

    `target` matters for target_device tpu only: "cpu" writes the CPU-runnable variant.
    `sample_inputs`: an .npz or representative-dataset TFRecord file (compiler/measure.py) for
    the measured decisions and the warm-up requests; `report`: a dict that receives the
    measured decisions ("compression", "precompilation") and the "pipeline" run."""
    from smopt.compiler import measure
    if target not in ("tpu", "cpu"):
        raise SmoptError(f"unknown --target '{target}' (expected tpu or cpu)")
    static = optimize_pipeline(allow_precompilation, allow_compression, disable_optimizer, target_device,
                               target)
    if any(b < 1 for b in warmup_batch_sizes):
        raise SmoptError(f"--warmup_batch_sizes must be positive, got {','.join(map(str, warmup_batch_sizes))}")
    from smopt.compiler.compression import DEFAULT_BUDGET
    budget = DEFAULT_BUDGET if compression_accuracy_budget is None else float(compression_accuracy_budget)
    if not (budget >= 0 and np.isfinite(budget)):
        raise SmoptError(f"--compression_accuracy_budget must be a non-negative number, got {budget:g}")
    report = {} if report is None else report
    reqs, samples = [], {}
    measured = not disable_optimizer and target_device != "tpu" and (allow_compression or allow_precompilation)
    batch_sizes = tuple(warmup_batch_sizes) or (1, 8)

    def pipeline(module, workdir):
        if sample_inputs and not disable_optimizer and (measured or allow_precompilation):
            samples.update(measure.sample_inputs(module, sample_inputs))
        if not measured:
            report["pipeline"] = static
            return static
        plan = _plan(load_all(), allow_precompilation, allow_compression, target_device)
        stages = list(plan["prefix"])
        original = measure.Model(input_dir, "the original model")
        feed, dropped = measure.runnable(original, samples or measure.sample_inputs(module),
                                         generated=not samples)
        original.release()   # a large model loads again when compression needs it
        if dropped:
            report["unmeasured_signatures"] = dropped
        if plan["compress"]:
            from smopt.compiler.compression import choose_compression
            chosen, report["compression"] = choose_compression(input_dir, stages, module, budget, feed,
                                                               workdir, batch_sizes, original)
            stages += chosen
        stages += plan["placement"]
        if plan["precompile"]:
            from smopt.compiler.precompilation import choose_precompilation
            chosen, report["precompilation"] = choose_precompilation(input_dir, stages, module, target_device,
                                                                     feed, batch_sizes, workdir)
            stages += chosen
        report["pipeline"] = ",".join(stages)
        return report["pipeline"]

    def add_warmup(model_dir, module):
        if allow_precompilation and not disable_optimizer and warmup_batch_sizes:
            skipped = {}
            reqs.extend(write_warmup(model_dir, module, list(warmup_batch_sizes),
                                     check=target_device == "cpu" or (target_device == "tpu" and target == "cpu"),
                                     samples=samples, skipped=skipped))
            if skipped:
                report["warmup_skipped"] = skipped

    module, pm = run_pipeline(input_dir, output_dir, pipeline, inst, overwrite, dump_dir, log,
                              tool="smopt-optimize", before_publish=add_warmup)
    return module, pm, reqs
