"""Calibration for static range quantization: activation ranges from a representative dataset.

Input: the representative dataset TensorFlow's
`tf.quantization.experimental.TfRecordRepresentativeDatasetSaver` writes: a TFRecord file,
one serialized `tensorflow.quantization.RepresentativeDataSample` per record (a map from
signature input key to TensorProto). Reading it needs no TensorFlow (`load_dataset`).

Running: the ORIGINAL SavedModel is lifted again (so the conversion's own module stays
untouched) and instrumented: in front of every quantizable op of the `quantize` pass
(passes/quantize.py `quantizable_sites`), ops compute min and max of the op's float
activation (and its per-channel sums, for bias correction) and `PrintV2` appends them (9 significant digits) to one file per op; the
PrintV2 ops are control outputs of their function, so TF runs them. The instrumented copy
is exported with compiler.exporter and each signature runs once per sample in TensorFlow
(CPU). Functions called several times (or in loops) report every call.

Output: JSON keyed by function name and node name, what `quantize{calibration=...}` reads:

    {"format": "smopt-calibration-v1", "method": "min_max", "num_samples": {"serving_default": 8},
     "functions": {"__inference_serve_52": {"Conv2D": {"op": "Conv2D", "min": -0.99, "max": 1.0,
                                                       "count": 8, "mean": [0.01, -0.02, 0.0]}}}}

`mean` (optional): the activation's per-channel means over every axis but the last, for the
ops whose bias correction the quantize pass models (passes/quantize.py `mean_axis`).
`method`: "min_max" (the range of all observed values, TF's CALIBRATION_METHOD_MIN_MAX) or
"average_min_max" (means of the per-call minima and maxima, CALIBRATION_METHOD_AVERAGE_MIN_MAX).
"""
from __future__ import annotations

import json
import math
import os
import shutil
import struct
import tempfile

import numpy as np

from smopt.ir import types as T

from smopt.compiler import tfproto
from smopt.compiler.errors import SmoptError

METHODS = ("min_max", "average_min_max")


# ---- TFRecord ---------------------------------------------------------------------------
def _crc32c_table():
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC_TABLE = _crc32c_table()


def _crc32c(data):
    c = 0xFFFFFFFF
    for b in data:
        c = _CRC_TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def masked_crc(data):
    c = _crc32c(data)
    return (((c >> 15) | (c << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def read_tfrecord(path):
    """The records of an uncompressed TFRecord file (length framing and its CRC checked)."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        raise SmoptError(f"representative dataset '{path}' does not exist") from None
    except OSError as e:
        raise SmoptError(f"cannot read representative dataset '{path}': {e.strerror}") from None
    records, pos, n = [], 0, len(data)
    while pos < n:
        if pos + 12 > n:
            raise SmoptError(f"representative dataset '{path}' is not a readable TFRecord file "
                             f"(truncated record header at byte {pos})")
        header = data[pos:pos + 8]
        (length,), (crc,) = struct.unpack("<Q", header), struct.unpack("<I", data[pos + 8:pos + 12])
        if crc != masked_crc(header):
            raise SmoptError(f"representative dataset '{path}' is not a readable TFRecord file "
                             f"(bad length checksum at byte {pos})")
        start = pos + 12
        if start + length + 4 > n:
            raise SmoptError(f"representative dataset '{path}' is not a readable TFRecord file "
                             f"(record {len(records)} is truncated)")
        records.append(data[start:start + length])
        pos = start + length + 4
    return records


def load_dataset(path):
    """[{input key: numpy array}] from a TfRecordRepresentativeDatasetSaver file."""
    from smopt.compiler.tf_convert import tensor_from_proto
    from smopt.ir.attributes import DenseElements
    cls = tfproto.message("tensorflow.quantization.RepresentativeDataSample")
    samples = []
    for i, rec in enumerate(read_tfrecord(path)):
        msg = cls()
        try:
            msg.ParseFromString(rec)
            sample = {}
            for key, tp in msg.tensor_proto_inputs.items():
                t = tensor_from_proto(tp)
                if not isinstance(t, DenseElements):
                    raise ValueError(f"input '{key}' has a tensor type smopt cannot read ({t.type})")
                sample[key] = np.array(t.array)
        except Exception as e:  # DecodeError, ValueError
            raise SmoptError(f"representative dataset '{path}': record {i} is not a "
                             f"RepresentativeDataSample ({str(e).splitlines()[0] if str(e) else type(e).__name__})") from None
        if not sample:
            raise SmoptError(f"representative dataset '{path}': record {i} has no inputs")
        samples.append(sample)
    if not samples:
        raise SmoptError(f"representative dataset '{path}' holds no samples")
    return samples


def check_dataset_keys(samples, signature, path):
    """Every sample must feed exactly the signature's inputs."""
    want = sorted(k for k, _, _ in signature.inputs)
    types = {k: t for k, _, t in signature.inputs}
    for i, s in enumerate(samples):
        got = sorted(s)
        if got != want:
            raise SmoptError(f"representative dataset '{path}' sample {i} has inputs {got} but signature "
                             f"'{signature.name}' takes {want}")
        for k, arr in s.items():
            try:
                dt = T.dtype_from_numpy(arr.dtype)
            except ValueError:
                dt = None
            expect = types[k].dtype if isinstance(types[k], T.TensorType) else None
            if expect is not None and dt is not expect:
                raise SmoptError(f"representative dataset '{path}' sample {i}: input '{k}' is "
                                 f"{dt.name if dt else arr.dtype} but signature '{signature.name}' "
                                 f"expects {expect.name}")


# ---- instrumentation --------------------------------------------------------------------
def instrument(module, sites, out_dir):
    """Add recorders in front of every site; returns [(function, node, op type, file)].

    Each run of a site appends one line: `min max` of its float activation, and for ops that
    bias correction models (passes/quantize.py `mean_axis`) with a static channel count C,
    also the element count and the C per-channel sums: `min max n s_1 ... s_C`."""
    from smopt.passes.quantize import mean_axis
    from smopt.passes.numerics.quantize_lowering import LoweringBuilder, tt
    recorded = []
    for i, s in enumerate(sites):
        fn, op = s.fn, s.op
        x = op.operands[0]
        path = os.path.join(out_dir, f"site_{i:05d}.txt")
        b = LoweringBuilder(fn, op, f"smopt_calibration/{op.name}")
        shape = x.type.shape if isinstance(x.type, T.TensorType) else None
        channels = shape[-1] if shape and mean_axis(op) is not None and shape[-1] > 0 else None
        flat = b.op("Reshape", [x, b.const(np.array([-1], np.int32), "shape")], tt(T.float32, [-1]),
                    {"T": T.float32, "Tshape": T.int32}, "flatten")
        axis = b.const(np.array(0, np.int32), "axis")
        attrs = {"T": T.float32, "Tidx": T.int32, "keep_dims": False}
        lo = b.op("Min", [flat, axis], tt(T.float32, []), attrs, "min")
        hi = b.op("Max", [flat, axis], tt(T.float32, []), attrs, "max")
        fields = [lo, hi]
        if channels is not None:
            n = b.cast(b.op("Size", [x], tt(T.int32, []), {"T": T.float32, "out_type": T.int32}, "size"),
                       T.float32, "count")
            fields.append(n)
        both = b.op("Pack", fields, tt(T.float32, [len(fields)]),
                    {"T": T.float32, "N": len(fields), "axis": 0}, "pack")
        if channels is not None:
            rows = b.op("Reshape", [x, b.const(np.array([-1, channels], np.int32), "rows_shape")],
                        tt(T.float32, [-1, channels]), {"T": T.float32, "Tshape": T.int32}, "rows")
            sums = b.op("Sum", [rows, axis], tt(T.float32, [channels]), attrs, "channel_sums")
            both = b.op("ConcatV2", [both, sums, axis], tt(T.float32, [len(fields) + channels]),
                        {"T": T.float32, "N": 2, "Tidx": T.int32}, "record")
        text = b.op("AsString", [both], tt(T.string, both.type.shape),
                    {"T": T.float32, "precision": 9, "scientific": True, "shortest": False,
                     "width": -1, "fill": ""}, "as_string")
        line = b.op("ReduceJoin", [text, b.const(np.array(0, np.int32), "join_axis")], tt(T.string, []),
                    {"keep_dims": False, "separator": " "}, "join")
        pr = b.builder.create("PrintV2", [line], [], {"output_stream": "file://" + path, "end": "\n"},
                              f"smopt_calibration/{op.name}/print")
        fn.add_control_ret(pr.name.replace("/", "_"), pr.control)
        recorded.append((fn.name, op.name, op.type, path))
    _make_callers_stateful(module, {s.fn.name for s in sites})
    return recorded


_STATEFUL_TWIN = {"StatelessIf": "If", "StatelessWhile": "While", "StatelessCase": "Case",
                  "PartitionedCall": "StatefulPartitionedCall"}


def _make_callers_stateful(module, names):
    """Functions that now print must not be reached through a stateless op (TF may prune
    their side effects there): switch such callers to the stateful twin op, transitively."""
    work = set(names)
    done = set()
    while work:
        name = work.pop()
        done.add(name)
        for fn in module.all_functions():
            for op, callee, _ in fn.walk_function_refs():
                if callee == name and op.type in _STATEFUL_TWIN:
                    op.type = _STATEFUL_TWIN[op.type]
                if callee == name and op.type in ("If", "Case"):
                    # Lowered to Switch/Merge, the branches' control outputs are not run.
                    op.attrs["_lower_using_switch_merge"] = False
                if callee == name and not fn.is_graph and fn.name not in done:
                    work.add(fn.name)


def _tf_value(tf, arr):
    if arr.dtype == object:
        return tf.constant(arr.astype(bytes) if arr.size else arr, dtype=tf.string)
    return tf.constant(arr)


def calibrate(input_dir, datasets, stats_path, signature_keys=("serving_default",), method="min_max",
              tags=None, workdir=None, freeze=False):
    """Run the representative datasets ({signature key: samples}) through the original model
    and write the activation ranges of every quantizable op to `stats_path`; returns the dict.

    `freeze`: run `freeze-variables` on the copy first, as the quantization pipeline does when
    it freezes: the statistics then name the functions `quantize` will see, and TF loads the
    instrumented model without restoring a checkpoint (a quarter of the load time)."""
    from smopt.passes.quantize import quantizable_sites
    from smopt.passes.framework.registry import PassError
    from smopt.compiler.exporter import export_saved_model
    from smopt.compiler.importer import import_saved_model

    if method not in METHODS:
        raise SmoptError(f"unknown calibration method '{method}' (expected {', '.join(METHODS)})")
    own_tmp = workdir is None
    workdir = workdir or tempfile.mkdtemp(prefix="smopt-calibration-")
    try:
        module = import_saved_model(input_dir, tags)
        if freeze:
            from smopt.passes.framework.registry import parse_pipeline
            from smopt.compiler.pass_manager import PassManager
            PassManager(parse_pipeline("freeze-variables")).run(module)
        try:
            sites = quantizable_sites(module, list(signature_keys))
        except PassError as e:
            raise SmoptError(str(e)) from None
        rec_dir = os.path.join(workdir, "records")
        os.makedirs(rec_dir, exist_ok=True)
        recorded = instrument(module, sites, rec_dir)
        counts = {}
        if recorded:
            model_dir = os.path.join(workdir, "instrumented_model")
            if os.path.exists(model_dir):
                shutil.rmtree(model_dir)
            export_saved_model(module, model_dir)
            counts = _run(model_dir, datasets, signature_keys)
        functions = {}
        for fn_name, node, op_type, path in recorded:
            entry = _summarize(path, method)
            if entry is not None:
                entry["op"] = op_type
                functions.setdefault(fn_name, {})[node] = entry
        stats = {"format": "smopt-calibration-v1", "method": method, "num_samples": counts,
                 "functions": functions}
        tmp = stats_path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(stats, f, indent=1, sort_keys=True)
        os.replace(tmp, stats_path)
        return stats
    finally:
        if own_tmp:
            shutil.rmtree(workdir, ignore_errors=True)


def _run(model_dir, datasets, signature_keys):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf
    try:
        loaded = tf.saved_model.load(model_dir)
    except Exception as e:
        raise SmoptError(f"calibration: TensorFlow cannot load the instrumented model: "
                         f"{str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__}") from None
    counts = {}
    for key in signature_keys:
        fn = loaded.signatures[key]
        for i, sample in enumerate(datasets.get(key, ())):
            try:
                fn(**{k: _tf_value(tf, v) for k, v in sample.items()})
            except Exception as e:
                first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
                raise SmoptError(f"calibration: signature '{key}' fails on representative sample {i}: "
                                 f"{first}") from None
            counts[key] = counts.get(key, 0) + 1
    return counts


def _summarize(path, method):
    if not os.path.exists(path):
        return None
    los, his = [], []
    count, sums = 0.0, None
    with open(path) as f:
        for line in f:
            try:
                vals = [float(v) for v in line.split()]
            except ValueError:
                continue
            if len(vals) < 2 or len(vals) == 3 or not (math.isfinite(vals[0]) and math.isfinite(vals[1])):
                continue
            los.append(vals[0])
            his.append(vals[1])
            if len(vals) > 3 and (sums is None or len(sums) == len(vals) - 3):
                s = np.asarray(vals[3:], np.float64)
                sums = s if sums is None else sums + s
                count += vals[2]
    if not los:
        return None
    if method == "average_min_max":
        lo, hi = float(np.mean(los)), float(np.mean(his))
    else:
        lo, hi = min(los), max(his)
    entry = {"min": lo, "max": hi, "count": len(los)}
    if sums is not None and count > 0 and np.all(np.isfinite(sums)):
        entry["mean"] = [float(v) for v in sums * (len(sums) / count)]
    return entry
