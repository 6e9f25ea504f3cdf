"""TensorFlow `QuantizationOptions` -> the `quantize` pass's pipeline text (calibrating first).

    text = quantization_pipeline(input_dir, module, quantization_options, workdir)
    # e.g. "freeze-variables,quantize{method=static_range calibration=/w/quantization/stats.json
    #       signature-keys=serving_default min-num-elements=0 per-channel=true},merge-functions"

`quantization_options` is a `tensorflow.quantization.QuantizationOptions` message (ours from
compiler/tfproto, or TF's own: only field names are used) or its text form. `module` is the
imported, not yet transformed model (signatures and tags are checked against it); calibration
lifts `input_dir` again, so `module` is not modified. Statistics go under `workdir` (a fresh
temporary directory when None; it must outlive the pass run).

Option semantics follow TensorFlow's quantize_model.py:
- quantization_method.preset_method: METHOD_STATIC_RANGE_INT8 (also when unspecified),
  METHOD_DYNAMIC_RANGE_INT8, METHOD_STATIC_RANGE_WEIGHT_ONLY_INT8. METHOD_NO_QUANTIZE and
  quantization_component_specs are refused.
- op_set: XLA (also when unspecified) is the only supported op set.
- tags: must be the model's MetaGraph tags when given; signature_keys default to
  ["serving_default"] and must all exist.
- representative_datasets: static range needs one TFRecord per signature key (written by
  tf.quantization.experimental.TfRecordRepresentativeDatasetSaver); other methods ignore them.
- min_num_elements_for_weights: 0 means TF's default 1024; like TF, static range ignores it
  (every quantizable op with calibration statistics is quantized: min-num-elements=0).
- enable_per_channel_quantization: honoured when set; unset means per-channel (smopt's default:
  more accurate than TF's per-tensor default, at the same storage size).
- calibration_options.calibration_method: MIN_MAX (default) or AVERAGE_MIN_MAX.
- freeze_all_variables: unset means true, as in TF. `freeze-variables` runs before `quantize`:
  reads of read-only variables become constants (so weights become int8 constants and static
  range folds constant biases into the int32 accumulator) and a model left without state is
  exported without variables, save/restore functions or saver (the size TF's quantizer
  reaches). false keeps the variables, the quantized ones stored as int8.
- `merge-functions` ends the pipeline: the signature wrappers Keras writes for `serve` and
  `serving_default` are identical and are exported once.
- force_graph_mode_calibration: honoured whatever its value: calibration always runs the
  signatures' concrete functions, i.e. graph mode.
- Refused when set, since smopt would ignore them (`check_fields`): debugger_config,
  enable_two_input_tensors (only ops whose second operand is a constant or variable weight are
  quantized), experimental_enable_tpu_model_support, calibration_options other than
  calibration_method (calibration_parameters only serve the histogram methods), and any
  field this list does not name.
"""
from __future__ import annotations

import os
import shutil
import tempfile

from smopt.compiler.errors import SmoptError

DEFAULT_MIN_NUM_ELEMENTS = 1024          # TF's _DYNAMIC_RANGE_DEFAULT_MIN_NUM_ELEMENTS_FOR_WEIGHTS
DEFAULT_SIGNATURE_KEY = "serving_default"

_PRESETS = {
    0: "static_range",   # METHOD_UNSPECIFIED: TF applies static range
    2: "static_range",   # METHOD_STATIC_RANGE_INT8
    3: "dynamic_range",  # METHOD_DYNAMIC_RANGE_INT8
    4: "weight_only",    # METHOD_STATIC_RANGE_WEIGHT_ONLY_INT8
}
_PRESET_NAMES = {0: "METHOD_UNSPECIFIED", 1: "METHOD_NO_QUANTIZE", 2: "METHOD_STATIC_RANGE_INT8",
                 3: "METHOD_DYNAMIC_RANGE_INT8", 4: "METHOD_STATIC_RANGE_WEIGHT_ONLY_INT8"}
_OP_SETS = {0: "OP_SET_UNSPECIFIED", 1: "TF", 2: "XLA", 3: "UNIFORM_QUANTIZED", 4: "STABLEHLO"}
_CALIBRATION = {0: "min_max", 1: "min_max", 2: "average_min_max"}
_CALIBRATION_NAMES = {0: "CALIBRATION_METHOD_UNSPECIFIED", 1: "CALIBRATION_METHOD_MIN_MAX",
                      2: "CALIBRATION_METHOD_AVERAGE_MIN_MAX", 3: "CALIBRATION_METHOD_HISTOGRAM_PERCENTILE",
                      4: "CALIBRATION_METHOD_HISTOGRAM_MSE_BRUTEFORCE",
                      5: "CALIBRATION_METHOD_HISTOGRAM_MSE_MAX_FREQUENCY",
                      6: "CALIBRATION_METHOD_HISTOGRAM_MSE_SYMMETRIC"}


def parse_quantization_options(text):
    """QuantizationOptions from text format (one-line SmoptError on a parse error)."""
    from google.protobuf import text_format
    from smopt.compiler import tfproto
    msg = tfproto.message("tensorflow.quantization.QuantizationOptions")()
    try:
        text_format.Parse(text, msg)
    except (text_format.ParseError, ValueError) as e:
        raise SmoptError(f"cannot parse quantization_options: {str(e).splitlines()[0]}") from None
    return msg


# The QuantizationOptions fields smopt acts on (dotted paths; a path covers its subtree).
# quantization_component_specs, unit_wise_quantization_specs and enable_legacy_weight_only
# are listed because `validate` refuses them with messages of their own.
SUPPORTED_FIELDS = {
    "quantization_method.preset_method", "quantization_method.quantization_component_specs",
    "op_set", "unit_wise_quantization_specs", "tags", "signature_keys", "representative_datasets",
    "min_num_elements_for_weights", "freeze_all_variables", "enable_per_channel_quantization",
    "enable_legacy_weight_only", "force_graph_mode_calibration", "calibration_options.calibration_method",
}
_WHY = {
    "debugger_config": "smopt has no quantization debugger",
    "enable_two_input_tensors": "smopt quantizes only ops whose second operand is a constant or variable weight",
    "experimental_enable_tpu_model_support": "quantized TPU models are not supported",
    "calibration_options.calibration_parameters": "they only serve the histogram calibration methods, "
                                                  "which smopt does not support",
    "calibration_options.representative_datasets": "give representative_datasets (one TFRecord per "
                                                   "signature key) instead",
}


def check_fields(qopts):
    """Refuse every QuantizationOptions field that is set but that smopt would ignore."""
    from smopt.compiler.options import unsupported_field
    bad = unsupported_field(qopts, SUPPORTED_FIELDS)
    if bad:
        top = ".".join(bad.split(".")[:2])
        why = _WHY.get(top) or _WHY.get(bad.split(".")[0]) or "smopt would ignore it"
        raise SmoptError(f"quantization_options: field '{bad}' is not supported ({why}); remove it")


def _has(msg, field):
    try:
        return msg.HasField(field)
    except ValueError:
        return False


def resolve_method(qopts):
    qm = qopts.quantization_method
    if len(qm.quantization_component_specs):
        raise SmoptError("quantization_options: quantization_method.quantization_component_specs is not "
                         "supported; use quantization_method.preset_method")
    preset = int(qm.preset_method)
    if preset not in _PRESETS:
        name = _PRESET_NAMES.get(preset, str(preset))
        raise SmoptError(f"quantization_options: quantization method {name} is not supported (supported: "
                         "METHOD_STATIC_RANGE_INT8, METHOD_DYNAMIC_RANGE_INT8, "
                         "METHOD_STATIC_RANGE_WEIGHT_ONLY_INT8)")
    return _PRESETS[preset]


def validate(module, qopts):
    """Checks that need no files: returns (method, signature keys, calibration method)."""
    method = resolve_method(qopts)
    op_set = int(qopts.op_set)
    if op_set not in (0, 2):
        raise SmoptError(f"quantization_options: op_set {_OP_SETS.get(op_set, op_set)} is not supported; "
                         "smopt quantizes for the XLA op set only (op_set: XLA, the default)")
    if len(qopts.unit_wise_quantization_specs):
        raise SmoptError("quantization_options: unit_wise_quantization_specs are not supported")
    if qopts.enable_legacy_weight_only:
        raise SmoptError("quantization_options: enable_legacy_weight_only is deprecated; use "
                         "preset_method: METHOD_STATIC_RANGE_WEIGHT_ONLY_INT8")
    if qopts.tags:
        have = sorted(module.attrs.get("tf_saved_model.tags", ["serve"]))
        if sorted(set(qopts.tags)) != sorted(set(have)):
            raise SmoptError(f"quantization_options: tags {sorted(set(qopts.tags))} do not match the "
                             f"model's MetaGraph tags {have}")
    keys = list(qopts.signature_keys) or [DEFAULT_SIGNATURE_KEY]
    for k in keys:
        if "," in k or " " in k:
            raise SmoptError(f"quantization_options: signature key '{k}' contains ',' or a space (not supported)")
        if k not in module.signatures:
            have = ", ".join(sorted(module.signatures)) or "none"
            raise SmoptError(f"quantization_options: signature_keys names signature '{k}', which the model "
                             f"lacks (signatures: {have})")
    for k in qopts.representative_datasets:
        if k not in keys:
            raise SmoptError(f"quantization_options: representative_datasets has key '{k}', which is not "
                             f"in signature_keys {keys}")
    cal = int(qopts.calibration_options.calibration_method) if _has(qopts, "calibration_options") else 0
    if cal not in _CALIBRATION:
        raise SmoptError(f"quantization_options: calibration method {_CALIBRATION_NAMES.get(cal, cal)} is not "
                         "supported (supported: CALIBRATION_METHOD_MIN_MAX, CALIBRATION_METHOD_AVERAGE_MIN_MAX)")
    check_fields(qopts)
    return method, keys, _CALIBRATION[cal]


def load_datasets(module, qopts, keys):
    """{signature key: samples} for static range, validated against the signatures."""
    from smopt.compiler.calibration import check_dataset_keys, load_dataset
    datasets = {}
    for k in keys:
        if k not in qopts.representative_datasets:
            raise SmoptError(f"quantization_options: static range quantization needs representative_datasets "
                             f"for signature '{k}' (a TFRecord written by TfRecordRepresentativeDatasetSaver)")
        entry = qopts.representative_datasets[k]
        path = entry.tfrecord_file_path
        if not path:
            raise SmoptError(f"quantization_options: representative_datasets['{k}'] has no tfrecord_file_path")
        samples = load_dataset(path)
        check_dataset_keys(samples, module.signatures[k], path)
        datasets[k] = samples
    return datasets


def _fmt(value):
    s = str(value)
    if "'" in s:
        raise SmoptError(f"path {s!r} contains a quote character (not supported in pass options)")
    return f"'{s}'" if any(c in s for c in " ,{}") or not s else s


def quantization_pipeline(input_dir, module, qopts, workdir=None):
    """The `quantize{...}` pipeline item for `qopts`, after running calibration if needed."""
    if isinstance(qopts, str):
        qopts = parse_quantization_options(qopts)
    method, keys, cal_method = validate(module, qopts)
    min_elems = int(qopts.min_num_elements_for_weights) or DEFAULT_MIN_NUM_ELEMENTS
    if min_elems < 0:
        raise SmoptError(f"quantization_options: min_num_elements_for_weights must be >= 0, got {min_elems}")
    if method == "static_range":
        min_elems = 0
    per_channel = qopts.enable_per_channel_quantization if _has(qopts, "enable_per_channel_quantization") else True
    parts = [f"method={method}"]
    freeze = qopts.freeze_all_variables if _has(qopts, "freeze_all_variables") else True
    if method == "static_range":
        datasets = load_datasets(module, qopts, keys)
        if workdir is None:
            workdir = tempfile.mkdtemp(prefix="smopt-quantization-")
        qdir = os.path.join(workdir, "quantization")
        os.makedirs(qdir, exist_ok=True)
        stats_path = os.path.join(qdir, "stats.json")
        from smopt.compiler.calibration import calibrate
        tags = list(qopts.tags) or None
        run_dir = os.path.join(qdir, "run")   # the instrumented model: not needed afterwards
        try:
            calibrate(input_dir, datasets, stats_path, keys, cal_method, tags, workdir=run_dir, freeze=freeze)
        finally:
            shutil.rmtree(run_dir, ignore_errors=True)
        parts.append(f"calibration={_fmt(stats_path)}")
    parts += [f"signature-keys={','.join(keys)}", f"min-num-elements={min_elems}",
              f"per-channel={'true' if per_channel else 'false'}"]
    text = "quantize{" + " ".join(parts) + "}"
    # Freezing first hands `quantize` constant biases, which static range folds into the
    # int32 accumulator; merge-functions: Keras' `serve` and `serving_default` wrappers are
    # the same function.
    return ("freeze-variables," if freeze else "") + text + ",merge-functions"
