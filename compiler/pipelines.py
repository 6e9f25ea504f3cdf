"""ConverterOptions -> pass pipeline: the one place that encodes the converter's semantics.

- `State` fields: DEFAULT follows the optimization's default, ENABLED/DISABLED force it.
  io_shape_optimization and bfloat16_optimization default to enabled;
  `disable_default_optimizations: true` turns off every default-on optimization that is not
  explicitly ENABLED.
- No `tpu_functions`: no TPU conversion, unless `auto_partition_options` (smopt's own field)
  asks `inline` + `tpu-auto-partition` to choose the TPU functions (then `tpu_functions` must
  be empty). No `batch_options`: no batching.
- With post-training quantization, bfloat16 runs only when explicitly ENABLED: its default
  would also retype the int8 arithmetic's float scale steps, costing the accuracy that
  calibration bought.
- Passes are named here and looked up in the registry when the pipeline is parsed, so a
  new pass family only adds a stage below.

Order: select (or auto-partition) TPU functions, check indirect calls and TPU compatibility, quantize,
bfloat16, batching, IO shapes, sharding, call stubs, report.
"""
from __future__ import annotations

from smopt.compiler.errors import SmoptError

ENABLED, DISABLED = 1, 2          # ConverterOptions.State
SCOPE_ALL = 2                     # BFloat16OptimizationOptions.Scope


def _on_by_default(opts, field):
    state = getattr(opts, field)
    if state == ENABLED:
        return True
    if state == DISABLED:
        return False
    return not opts.disable_default_optimizations


def _q(value, field="value"):
    """Quote an option value for pipeline text when it needs it."""
    s = str(value)
    if "'" in s or '"' in s or not s.isprintable():
        raise SmoptError(f"{field} {s!r} is not supported: it contains a quote or an unprintable character")
    return f"'{s}'" if any(c in s for c in " ,{}'") or not s else s


def _opts(pairs):
    parts = [f"{k}={v}" for k, v in pairs if v is not None]
    return "{" + " ".join(parts) + "}" if parts else ""


def _names(values, field):
    """Names joined for a list option; a name that the list syntax cannot carry is refused."""
    if not values:
        return None
    for v in values:
        if not v or any(c in v for c in ", {}'\"") or not v.isprintable():
            raise SmoptError(f"{field} '{v}' is not supported: a name must be non-empty, printable and "
                             "free of spaces, commas, braces and quotes")
    return ",".join(values)


def tpu_selection(opts):
    aliases, concrete, sigs, jit = [], [], [], False
    for tf_ in opts.tpu_functions:
        which = tf_.WhichOneof("name")
        if which == "function_alias":
            aliases.append(tf_.function_alias)
        elif which == "concrete_function_name":
            concrete.append(tf_.concrete_function_name)
        elif which == "signature_name":
            sigs.append(tf_.signature_name)
        elif which == "jit_compile_functions":
            jit = jit or tf_.jit_compile_functions
    return aliases, concrete, sigs, jit


def auto_partition_stages(opts, explicit):
    """`auto_partition_options`: inline the serving graph, then let tpu-auto-partition choose."""
    if not opts.HasField("auto_partition_options"):
        return []
    if explicit:
        raise SmoptError("auto_partition_options chooses the TPU functions itself: give it or "
                         "tpu_functions, not both")
    a = opts.auto_partition_options
    pct = f"{a.min_region_cost_percent:g}" if a.HasField("min_region_cost_percent") else None
    return ["inline", "tpu-auto-partition" + _opts([("min-cost-percent", pct)])]


def batch_stage(b):
    which = b.experimental.WhichOneof("batch_component") if b.HasField("experimental") else None
    # proto3 scalars: 0 means unset, so the pass's own defaults apply.
    pairs = [("num-batch-threads", b.num_batch_threads or None), ("max-batch-size", b.max_batch_size or None),
             ("batch-timeout-micros", b.batch_timeout_micros),  # 0 is a meaningful timeout
             ("allowed-batch-sizes", ",".join(str(x) for x in b.allowed_batch_sizes) or None),
             ("max-enqueued-batches", b.max_enqueued_batches or None),
             ("disable-large-batch-splitting", "true" if b.disable_large_batch_splitting else None)]
    if which == "function_alias":
        pairs.append(("function-alias", _q(b.experimental.function_alias, "batch_options.experimental.function_alias")))
    elif which == "concrete_function_name":
        pairs.append(("concrete-function-name", _q(b.experimental.concrete_function_name, "batch_options.experimental.concrete_function_name")))
    elif which == "signature_name":
        pairs.append(("signature-name", _q(b.experimental.signature_name, "batch_options.experimental.signature_name")))
    return "tpu-batch-function" + _opts(pairs)


def pipeline_stages(opts, target="tpu", report_json=None, quantization=None):
    """The pass pipeline (list of `-p` items) for ConverterOptions `opts`.

    `quantization` is the pipeline text the quantization driver computed (it needs the model
    and the representative dataset, so the caller runs it), or None.
    """
    stages = []
    aliases, concrete, sigs, jit = tpu_selection(opts)
    has_tpu = bool(aliases or concrete or sigs or jit)
    auto = auto_partition_stages(opts, has_tpu)
    if has_tpu:
        stages.append("tpu-select-functions" + _opts([
            ("function-aliases", _names(aliases, "tpu_functions.function_alias")),
            ("concrete-function-names", _names(concrete, "tpu_functions.concrete_function_name")),
            ("signature-names", _names(sigs, "tpu_functions.signature_name")),
            ("jit-compile-functions", "true" if jit else None)]))
    stages += auto
    has_tpu = has_tpu or bool(auto)
    if has_tpu:
        stages.append("tpu-check-indirect-calls")
        stages.append("tpu-compatibility-check")
    if quantization:
        stages.append(quantization)
    bf16 = opts.bfloat16_optimization_options
    scope_all = bf16.scope == SCOPE_ALL
    bf16_on = _on_by_default(opts, "bfloat16_optimization")
    if quantization and opts.bfloat16_optimization != ENABLED:
        bf16_on = False
    if bf16_on and (has_tpu or scope_all):
        stages.append("bf16-convert" + _opts([
            ("scope", "all" if scope_all else None),
            ("filterlist", _names(list(bf16.filterlist), "bfloat16_optimization_options.filterlist")),
            ("skip-safety-checks", "true" if bf16.skip_safety_checks else None)]))
    for b in opts.batch_options:
        stages.append(batch_stage(b))
    if has_tpu and _on_by_default(opts, "io_shape_optimization"):
        stages.append("tpu-io-shape-opt")
    if opts.HasField("xla_sharding_options"):
        x = opts.xla_sharding_options
        stages.append("xla-spmd-shard" + _opts([
            ("num-cores-per-replica", x.num_cores_per_replica or None),
            ("device-assignment", ",".join(str(d) for d in x.device_assignment) or None),
            ("topology", x.topology.hex() if x.topology else None)]))
    if has_tpu:
        stages.append("tpu-insert-call-stubs" + _opts([("target", "cpu" if target == "cpu" else None)]))
        stages.append("tpu-conversion-report" + _opts([("json", _q(report_json, "--report_json") if report_json else None)]))
    return stages


def pipeline_text(opts, **kw):
    return ",".join(pipeline_stages(opts, **kw))
