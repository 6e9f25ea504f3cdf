"""Which TensorFlow ops XLA can compile, per device (cpu, gpu, tpu). No TensorFlow needed.

Public API (small and stable: tpu-compatibility-check and the XLA clustering passes use it):

    DEVICES                                  ("cpu", "gpu", "tpu")
    is_compilable(op_type, device="tpu")     -> bool: the op has an XLA kernel for `device`
                                                (user overrides, see below, included)
    dtype_supported(dtype, device="tpu")     -> bool: tensors of `dtype` (an ir.types.DType or
                                                its name) can live in an XLA computation on
                                                `device`; resource/variant handles count as
                                                supported (they are not data)
    op_issues(op, module=None, device="tpu", allow=(), deny=())
                                             -> list of reasons (str) why the IR op `op` cannot
                                                be compiled for `device`; [] when it can
    compilable_ops(device="tpu")             -> frozenset of op type names
    table_info()                             -> {"tensorflow_version", "num_ops", "overrides_file"}

The table is data: passes/data/xla_ops.json, generated from TensorFlow's own kernel registry by
tools/gen_xla_ops.py (the tf2xla kernels with their per-attr dtype constraints, the TPU
backend's dtype set `kTpuAllTypes`, the few TPU-only kernels). GPU uses the CPU kernel list
(a CPU build of TF cannot enumerate XLA_GPU_JIT kernels; tf2xla registers the same set).

Custom ops and local policy: set SMOPT_TPU_OPS_FILE to a JSON file
    {"allow": ["MyCustomOp"], "deny": ["SomeOp"]}           (applies to the TPU)
    {"tpu": {"allow": [...]}, "gpu": {"deny": [...]}}       (per device)
`allow` makes an op compilable (any dtypes: we have no kernel constraints for it), `deny`
makes it not compilable. Passes add their own allow/deny lists via `op_issues(allow=, deny=)`.

Beyond the kernel table, op_issues checks what the runtime checks: every operand and result
dtype must be one the device supports (strings only as Const operands of Assert, which the
TPU backend accepts), and type attrs must be in the kernel's constraint (e.g. MatMul has no
int8 kernel). Ops marked for outside compilation (`_xla_outside_compilation`) run on the host
and are always accepted; ops that the TPU rewrite consumes itself (TPUReplicateMetadata,
TPUReplicatedInput/Output, ...) are accepted on the TPU.
"""
from __future__ import annotations

import functools
import json
import os

from smopt.ir import opdefs
from smopt.ir import types as T

DEVICES = ("cpu", "gpu", "tpu")
ENV_FILE = "SMOPT_TPU_OPS_FILE"
_DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data", "xla_ops.json")
_HANDLES = ("resource", "variant")

# Op families that never compile (no XLA kernel exists): named in messages as a hint.
_STRING_PREFIXES = ("String", "Regex", "Substr", "Unicode", "AsString", "DecodeBase64",
                    "EncodeBase64", "ReduceJoin", "StaticRegex", "Tokenizer", "WordPiece")


@functools.lru_cache(maxsize=None)
def _table():
    with open(_DATA) as f:
        data = json.load(f)
    sets = [frozenset(s) for s in data["type_sets"]]
    ops = {name: {attr: sets[i] for attr, i in attrs.items()} for name, attrs in data["ops"].items()}
    return {
        "version": data.get("tensorflow_version", "?"),
        "ops": ops,
        "tpu_only": frozenset(data.get("tpu_only_ops", {})),
        "structural": frozenset(data.get("tpu_structural_ops", ())),
        "dtypes": {d: frozenset(v) for d, v in data["device_dtypes"].items()},
    }


def _check_device(device):
    if device not in DEVICES:
        raise ValueError(f"unknown device '{device}' (expected one of {', '.join(DEVICES)})")


@functools.lru_cache(maxsize=8)
def _overrides_from(path, stamp):
    del stamp  # part of the cache key only (file changes are picked up)
    try:
        with open(path) as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        raise ValueError(f"{ENV_FILE}={path}: cannot read it as JSON ({e})") from None
    if not isinstance(data, dict):
        raise ValueError(f"{ENV_FILE}={path}: expected a JSON object with 'allow'/'deny' lists")
    out = {d: (frozenset(), frozenset()) for d in DEVICES}
    per_device = {k: v for k, v in data.items() if k in DEVICES}
    if "allow" in data or "deny" in data:
        per_device.setdefault("tpu", {"allow": data.get("allow", []), "deny": data.get("deny", [])})
    for dev, spec in per_device.items():
        if not isinstance(spec, dict):
            raise ValueError(f"{ENV_FILE}={path}: '{dev}' must be an object with 'allow'/'deny' lists")
        allow, deny = spec.get("allow", []), spec.get("deny", [])
        if not all(isinstance(x, str) for x in list(allow) + list(deny)):
            raise ValueError(f"{ENV_FILE}={path}: 'allow' and 'deny' must be lists of op names")
        out[dev] = (frozenset(allow), frozenset(deny))
    return out


def _overrides(device):
    path = os.environ.get(ENV_FILE)
    if not path:
        return frozenset(), frozenset()
    try:
        st = os.stat(path)
    except OSError:
        raise ValueError(f"{ENV_FILE}={path}: no such file") from None
    return _overrides_from(path, (st.st_mtime_ns, st.st_size))[device]


@functools.lru_cache(maxsize=None)
def _kernel_ops(device):
    t = _table()
    ops = set(t["ops"])
    if device == "tpu":
        ops |= t["tpu_only"] | t["structural"]
    return frozenset(ops)


def compilable_ops(device="tpu"):
    """Every op type with an XLA kernel on `device`, overrides applied."""
    _check_device(device)
    allow, deny = _overrides(device)
    return frozenset((_kernel_ops(device) | allow) - deny)


def is_compilable(op_type, device="tpu"):
    """True when `op_type` (TF op name, no "tf." prefix) has an XLA kernel on `device`."""
    _check_device(device)
    allow, deny = _overrides(device)
    if op_type in deny:
        return False
    return op_type in allow or op_type in _kernel_ops(device)


def dtype_supported(dtype, device="tpu"):
    """True when tensors of `dtype` can be XLA-compiled data on `device`."""
    _check_device(device)
    name = dtype if isinstance(dtype, str) else getattr(dtype, "name", str(dtype))
    return name in _HANDLES or name in _table()["dtypes"][device]


def table_info():
    return {"tensorflow_version": _table()["version"], "num_ops": len(_table()["ops"]),
            "overrides_file": os.environ.get(ENV_FILE)}


def _dtype_name(t):
    return t.dtype.name if isinstance(t, T.TensorType) else None


def _type_str(dt):
    return dt.mlir if isinstance(dt, T.DType) else str(dt)


def _string_ok(op, value, is_operand):
    """Strings reach XLA only as Const operands of Assert (the TPU backend's TpuOpFilter)."""
    def host_or_assert(o):
        return getattr(o, "type", None) == "Assert" or "_xla_outside_compilation" in getattr(o, "attrs", {})
    if is_operand:
        return op.type == "Assert"
    if op.type == "Const":
        users = value.users()
        return bool(users) and all(host_or_assert(u) for u in users)
    return False


def family_hint(op_type):
    """'string op' / 'sparse op' for the families the TPU never supports, else ''."""
    if op_type.startswith(_STRING_PREFIXES):
        return "string op"
    if "Sparse" in op_type and op_type not in _table()["ops"]:
        return "sparse op"
    return ""


def op_issues(op, module=None, device="tpu", allow=(), deny=()):
    """Reasons why `op` cannot be XLA-compiled for `device` ([] if it can; at most one reason:
    a missing kernel, else the first operand/result of an unsupported dtype, else the first
    type attr the kernel does not accept).

    `allow`/`deny` are extra op type names (a pass's options); `allow` skips every check for
    that op type, `deny` reports it. Calls of library functions are compilable themselves;
    check their callees separately.
    """
    _check_device(device)
    if op.type in deny:
        return ["listed as unsupported (extra-unsupported-ops)"]
    if op.type in allow or "_xla_outside_compilation" in op.attrs:
        return []
    env_allow, env_deny = _overrides(device)
    if op.type in env_deny:
        return [f"denied by {ENV_FILE}"]
    if op.type in env_allow:
        return []
    is_call = module is not None and op.type in module.functions
    if not is_call and op.type not in _kernel_ops(device):
        hint = family_hint(op.type)
        return [f"no XLA kernel for {device.upper()}" + (f" ({hint})" if hint else "")]
    for kind, values in (("operand", op.operands), ("result", op.results)):
        for i, v in enumerate(values):
            name = _dtype_name(v.type)
            if name is None or dtype_supported(name, device):
                continue
            if name == "string" and _string_ok(op, v, kind == "operand"):
                continue
            what = "a string tensor" if name == "string" else \
                f"of type {v.type}, which {device.upper()} does not support"
            return [f"{kind} #{i} is {what}"]
    if is_call:
        return []
    cons = _table()["ops"].get(op.type, {})
    dev_types = _table()["dtypes"][device]
    for attr, allowed in sorted(cons.items()):
        val = opdefs.get_attr(op, attr, module=module)
        for v in (val if isinstance(val, list) else [val]):
            if not isinstance(v, T.DType) or v.name in _HANDLES:
                continue
            if v.name not in allowed or (v.name not in dev_types and v is not T.string):
                return [f"its XLA kernel does not accept {attr} = {_type_str(v)}"]
    return []


# Operands XLA needs as compile-time constants (TF's REGISTER_XLA_OP(...)
# .CompileTimeConstantInput(...) in tensorflow/compiler/tf2xla/kernels), by operand index.
# XLA compiles a cluster per distinct value of such an operand when it enters the cluster
# as an argument, but a value computed inside the cluster from run-time data cannot be
# compiled at all ("must be a compile-time constant").
COMPILE_TIME_CONSTANT_INPUTS = {
    "Range": (0, 1, 2), "Reshape": (1,), "Fill": (0,), "Tile": (1,), "Slice": (1, 2),
    "StridedSlice": (1, 2, 3), "Transpose": (1,), "Pad": (1,), "PadV2": (1,), "MirrorPad": (1,),
    "ExpandDims": (1,), "Sum": (1,), "Mean": (1,), "Max": (1,), "Min": (1,), "Prod": (1,),
    "All": (1,), "Any": (1,), "ArgMax": (1,), "ArgMin": (1,), "ConcatV2": (-1,), "Split": (0,),
    "SplitV": (1, 2), "OneHot": (1,), "BroadcastTo": (1,), "TopKV2": (1,), "Cumsum": (1,),
    "Cumprod": (1,), "GatherV2": (2,), "ResizeBilinear": (1,), "ResizeNearestNeighbor": (1,),
    "ReverseV2": (1,), "Empty": (0,), "LinSpace": (2,), "Roll": (1, 2), "ScatterNd": (2,),
    "UnsortedSegmentSum": (2,), "UnsortedSegmentMax": (2,), "UnsortedSegmentMin": (2,),
    "UnsortedSegmentProd": (2,), "Bincount": (1,), "MatrixBandPart": (1, 2),
    "Conv2DBackpropInput": (0,), "RandomUniform": (0,), "RandomStandardNormal": (0,),
    "StatelessRandomUniform": (0,), "StatelessRandomNormal": (0,),
    "SequenceMask": (1,), "MaxPoolV2": (1, 2), "EuclideanNorm": (1,),
}
# Ops whose value XLA can fold at compile time when their inputs can: shapes of the
# arguments are static at compile time (a cluster is compiled per input shape).
_SHAPE_SOURCES = frozenset({"Const", "Shape", "ShapeN", "Size", "Rank"})
_SHAPE_ARITHMETIC = frozenset({
    "Identity", "Pack", "Unpack", "ConcatV2", "StridedSlice", "Slice", "Add", "AddV2", "Sub",
    "Mul", "FloorDiv", "FloorMod", "RealDiv", "Div", "Cast", "Prod", "Sum", "Maximum",
    "Minimum", "GatherV2", "Squeeze", "ExpandDims", "Reshape", "Fill", "Range", "Neg",
    "Floor", "Ceil", "BroadcastArgs", "Transpose", "Equal", "Select", "SelectV2", "Less",
    "Greater", "LogicalAnd", "ZerosLike", "OnesLike",
})


def data_dependent_constant_input(op, limit=256):
    """The index of an operand of `op` that XLA needs as a compile-time constant but that is
    computed from run-time data in the same function (not only from constants, shapes and
    arguments), else None. Such an op must not be clustered with that computation."""
    from smopt.ir.core import OpResult
    indices = COMPILE_TIME_CONSTANT_INPUTS.get(op.type, ())
    for idx in indices:
        if not -len(op.operands) <= idx < len(op.operands):
            continue
        stack, seen = [op.operands[idx]], set()
        while stack:
            v = stack.pop()
            if id(v) in seen or not isinstance(v, OpResult):
                continue  # an argument: the cluster gets it as a (compile-time) input
            seen.add(id(v))
            if v.op.type in _SHAPE_SOURCES:
                continue
            if v.op.type not in _SHAPE_ARITHMETIC or len(seen) > limit:
                return idx % len(op.operands)
            stack.extend(v.op.operands)
    return None
