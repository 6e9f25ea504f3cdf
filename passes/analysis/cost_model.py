"""A static cost model for TF ops and functions (the conversion report's figures).

Public API (used by tpu-conversion-report and the CPU/GPU placement passes):

    op_cost(op, module)            -> int: cost of one op; a call costs its callee
    function_cost(module, name)    -> int: cost of one run of a function (callees included)
    CostModel(module)              the memoizing engine behind both; also
        .split(name, tpu)          -> (cpu_cost, {tpu function: cost}) for one run of `name`
                                      when the functions in `tpu` run on the TPU
        .own_cost(op)              -> the op's cost without any function it calls

Unit. One cost unit is one arithmetic operation (FLOP) or four bytes of memory traffic:

    cost(op) = flops(op) + ceil(bytes(op) / 4)

`bytes` is what the op reads and writes (operands + results; strings count STRING_BYTES per
element, resource/variant handles nothing). Ops that only touch metadata or alias their input
(Const, Identity, Reshape, Shape, ReadVariableOp, NoOp, TPU plumbing, ...) cost 0: their
consumers pay for reading the data. So a matmul of [B,K]x[K,N] costs 2*B*K*N + (B*K + K*N +
B*N) * itemsize / 4. Figures are estimates for comparing parts of one model (CPU vs TPU share),
not times.

FLOPs where shapes are known:
  MatMul / BatchMatMul*:        2 * (result elements) * K
  Einsum:                        2 * (result elements) * (product of contracted label sizes)
  Conv2D/Conv3D (+BackpropInput): 2 * (output elements) * (filter elements / out channels)
  DepthwiseConv2dNative:         2 * (output elements) * kh * kw
  MaxPool/AvgPool(3D):           (output elements) * window size
  reductions (Sum, Mean, Max, ArgMax, ...): input elements
  Softmax / LogSoftmax:          5 per element; FusedBatchNorm*: 4 per element of x
  transcendental elementwise (Exp, Tanh, Sigmoid, Erf, Pow, Rsqrt, ...): 4 per element
  data movement (Transpose, Concat, Gather, Slice, Pad, Tile, Cast, ...): 0 (bytes only)
  string ops: STRING_OP_FLOPS per element; any other op: 1 per result element

Fallbacks: a dynamic dimension (-1, e.g. the batch) counts as DYNAMIC_DIM = 1, so costs are
per example; a tensor of unknown rank counts as UNKNOWN_ELEMENTS elements; an op with no
formula costs one FLOP per result element plus its bytes.

Functions and control flow: a call (PartitionedCall, StatefulPartitionedCall,
TPUPartitionedCall, a direct call) costs its callee; If/Case cost their most expensive branch
(an upper bound of one run); While costs cond + body once (the trip count is not known
statically); any other op with function-valued attributes (BatchFunction `f`, ...) adds the
functions it references. Costs are memoized per function; recursion counts 0 for the cycle.
"""
from __future__ import annotations

import math
import re

from smopt.ir import opdefs
from smopt.ir import types as T
from smopt.ir.attributes import FuncAttr
from smopt.ir.core import CALL_OPS
from smopt.passes.analysis.traits import BRANCH_OPS, WHILE_OPS

DYNAMIC_DIM = 1
UNKNOWN_ELEMENTS = 64
STRING_BYTES = 32
STRING_OP_FLOPS = 32
TRANSCENDENTAL_FLOPS = 4

FREE = frozenset("""
Const Identity IdentityN NoOp Placeholder PlaceholderWithDefault VarHandleOp ReadVariableOp
Shape ShapeN Rank Size Reshape Squeeze ExpandDims StopGradient PreventGradient EnsureShape
Snapshot _Arg _Retval DisableCopyOnRead VarIsInitializedOp Assert ControlTrigger VariableShape
BroadcastArgs BroadcastGradientArgs TPUOrdinalSelector TPUReplicateMetadata TPUReplicatedInput
TPUReplicatedOutput TPUCompilationResult TPUPartitionedInput TPUPartitionedInputV2
TPUPartitionedOutput TPUPartitionedOutputV2 ReadVariableXlaSplitND DestroyResourceOp
CheckNumerics DebugIdentity DebugIdentityV2 OptionalNone
""".split())

MOVEMENT = frozenset("""
Transpose ConjugateTranspose Concat ConcatV2 Pack Unpack Split SplitV Slice StridedSlice Gather
GatherV2 GatherNd ResourceGather Tile Pad PadV2 MirrorPad Cast BroadcastTo Reverse ReverseV2
Fill ZerosLike OnesLike Bitcast DepthToSpace SpaceToDepth SpaceToBatchND BatchToSpaceND
OneHot Roll TensorScatterUpdate ScatterNd DynamicStitch ParallelDynamicStitch Empty
AssignVariableOp ResourceScatterUpdate TensorListFromTensor TensorListStack TensorListGetItem
TensorListSetItem TensorListReserve TensorListPushBack TensorListPopBack MatrixDiag
MatrixDiagV3 MatrixDiagPart MatrixDiagPartV3 MatrixSetDiagV3 Range LinSpace
""".split())

REDUCTIONS = frozenset("""
Sum Mean Max Min Prod All Any ArgMax ArgMin L2Loss EuclideanNorm Cumsum Cumprod
CumulativeLogsumexp UnsortedSegmentSum UnsortedSegmentMax UnsortedSegmentMin SegmentSum
SegmentMean SegmentMax TopKV2 InTopKV2
""".split())

TRANSCENDENTAL = frozenset("""
Exp Expm1 Log Log1p Tanh Sigmoid Erf Erfc Erfinv Sqrt Rsqrt Pow Sin Cos Tan Asin Acos Atan
Atan2 Sinh Cosh Asinh Acosh Atanh Softplus Softsign Selu Elu Gelu Lgamma Digamma Igamma
Igammac Xlogy Xlog1py Ndtri BesselI0e BesselI1e LeakyRelu SquaredDifference
""".split())

MATMUL = frozenset({"MatMul", "SparseMatMul"})
BATCH_MATMUL = frozenset({"BatchMatMul", "BatchMatMulV2", "BatchMatMulV3"})
POOL = frozenset({"MaxPool", "AvgPool", "MaxPool3D", "AvgPool3D"})
_STRING_PREFIXES = ("String", "Regex", "Substr", "Unicode", "AsString", "DecodeBase64",
                    "EncodeBase64", "ReduceJoin", "StaticRegex")


def _dims(t):
    """Shape with dynamic dims replaced, or None for unknown rank / non-tensors."""
    if not isinstance(t, T.TensorType) or t.shape is None:
        return None
    return [DYNAMIC_DIM if d < 0 else d for d in t.shape]


def _elements(t):
    d = _dims(t)
    if d is None:
        return UNKNOWN_ELEMENTS if isinstance(t, T.TensorType) else 0
    return math.prod(d)


def _bytes(t):
    if not isinstance(t, T.TensorType):
        return 0
    dt = t.dtype
    if dt in (T.resource, T.variant):
        return 0
    size = STRING_BYTES if dt is T.string else (dt.itemsize or 4)
    return _elements(t) * size


def _dim(t, i, default=1):
    d = _dims(t)
    if d is None or not d or not (-len(d) <= i < len(d)):
        return default
    return d[i]


def _attr(op, name, default=None):
    return opdefs.get_attr(op, name, default)


def _out_elements(op):
    return sum(_elements(r.type) for r in op.results)


def _in_elements(op, i=0):
    return _elements(op.operands[i].type) if i < len(op.operands) else 0


def _einsum_flops(op):
    eq = _attr(op, "equation", "")
    if not isinstance(eq, str) or "->" not in eq or not op.results:
        return None
    lhs, out = eq.replace(" ", "").split("->")
    terms = lhs.split(",")
    if len(terms) != len(op.operands):
        return None
    sizes = {}
    for term, v in zip(terms, op.operands):
        d = _dims(v.type)
        if d is None:
            continue
        labels = re.sub(r"\.\.\.", "", term)
        if "..." in term:  # labels after the ellipsis count from the end
            head, tail = term.split("...")
            for j, c in enumerate(head):
                if j < len(d):
                    sizes[c] = max(sizes.get(c, 1), d[j])
            for j, c in enumerate(reversed(tail)):
                if j < len(d):
                    sizes[c] = max(sizes.get(c, 1), d[-1 - j])
        elif len(labels) == len(d):
            for c, n in zip(labels, d):
                sizes[c] = max(sizes.get(c, 1), n)
    contracted = {c for term in terms for c in term if c.isalpha()} - set(out)
    k = math.prod(sizes.get(c, 1) for c in contracted)
    return 2 * _out_elements(op) * k


def _conv_flops(op, out_t, filt_t, depthwise=False):
    fd = _dims(filt_t)
    out = _elements(out_t)
    if fd is None or len(fd) < 3:
        return 2 * out
    if depthwise:  # filter [kh, kw, in, multiplier]
        return 2 * out * math.prod(fd[:-2])
    return 2 * out * (math.prod(fd) // max(fd[-1], 1))


def _flops(op):
    t = op.type
    if t in MOVEMENT:
        return 0
    if t in MATMUL and len(op.operands) >= 2:
        ta = bool(_attr(op, "transpose_a", False))
        k = _dim(op.operands[0].type, 0 if ta else 1)
        return 2 * _out_elements(op) * k
    if t in BATCH_MATMUL and len(op.operands) >= 2:
        adj = bool(_attr(op, "adj_x", False))
        k = _dim(op.operands[0].type, -2 if adj else -1)
        return 2 * _out_elements(op) * k
    if t in ("Einsum", "XlaEinsum"):
        f = _einsum_flops(op)
        if f is not None:
            return f
    if t in ("Conv2D", "Conv3D", "Conv", "_FusedConv2D") and len(op.operands) >= 2 and op.results:
        return _conv_flops(op, op.results[0].type, op.operands[1].type)
    if t in ("Conv2DBackpropInput", "Conv3DBackpropInputV2") and len(op.operands) >= 3:
        return _conv_flops(op, op.operands[2].type, op.operands[1].type)
    if t == "DepthwiseConv2dNative" and len(op.operands) >= 2 and op.results:
        return _conv_flops(op, op.results[0].type, op.operands[1].type, depthwise=True)
    if t in POOL:
        ks = _attr(op, "ksize", None)
        window = math.prod(ks) if isinstance(ks, list) and ks else 9
        return _out_elements(op) * window
    if t in REDUCTIONS:
        return _in_elements(op)
    if t in ("Softmax", "LogSoftmax"):
        return 5 * _out_elements(op)
    if t.startswith("FusedBatchNorm") or t == "_FusedBatchNormEx":
        return 4 * _in_elements(op)
    if t in TRANSCENDENTAL:
        return TRANSCENDENTAL_FLOPS * _out_elements(op)
    if t.startswith(_STRING_PREFIXES):
        return STRING_OP_FLOPS * max(_out_elements(op), _in_elements(op))
    return _out_elements(op)


def _function_refs(op):
    """[(mode, [function names])] the op runs: 'sum' adds them, 'max' takes the largest."""
    callee = op.callee
    if callee is not None:
        return [("sum", [callee])]
    if op.type in BRANCH_OPS:
        names = []
        for key in ("then_branch", "else_branch"):
            v = op.attrs.get(key)
            if isinstance(v, FuncAttr):
                names.append(v.name)
        for v in op.attrs.get("branches", []) or []:
            if isinstance(v, FuncAttr):
                names.append(v.name)
        return [("max", names)] if names else []
    refs = []
    for key, v in op.attrs.items():
        vals = v if isinstance(v, list) else [v]
        names = [x.name for x in vals if isinstance(x, FuncAttr)]
        if names:
            refs.append(("sum", names))
    return refs


class CostModel:
    def __init__(self, module):
        self.module = module
        self._fn = {}
        self._split = {}
        self._active = set()

    # ---- single ops ----------------------------------------------------------------------
    def own_cost(self, op):
        """The op's cost without any function it calls."""
        if op.type in FREE or op.type in CALL_OPS or op.type in self.module.functions:
            return 0
        if op.type in BRANCH_OPS or op.type in WHILE_OPS:
            return 0
        nbytes = sum(_bytes(v.type) for v in op.operands) + sum(_bytes(r.type) for r in op.results)
        return int(_flops(op)) + -(-nbytes // 4)

    def op_cost(self, op):
        total = self.own_cost(op)
        for mode, names in _function_refs(op):
            costs = [self.function_cost(n) for n in names]
            if costs:
                total += max(costs) if mode == "max" else sum(costs)
        return total

    # ---- functions -----------------------------------------------------------------------
    def function_cost(self, name):
        if name in self._fn:
            return self._fn[name]
        fn = self.module.functions.get(name)
        if fn is None or name in self._active:
            return 0
        self._active.add(name)
        try:
            total = sum(self.op_cost(op) for op in fn.ops)
        finally:
            self._active.discard(name)
        self._fn[name] = total
        return total

    def split(self, name, tpu):
        """(cpu cost, {tpu function: cost}) of one run of `name`, a non-TPU function, when the
        functions in `tpu` (and everything they call) run on the TPU."""
        tpu = frozenset(tpu)
        key = (name, tpu)
        if key in self._split:
            return self._split[key]
        if name in tpu:
            return 0, {name: self.function_cost(name)}
        fn = self.module.functions.get(name)
        if fn is None or ("split", name) in self._active:
            return 0, {}
        self._active.add(("split", name))
        cpu, per = 0, {}
        try:
            for op in fn.ops:
                cpu += self.own_cost(op)
                for mode, names in _function_refs(op):
                    parts = [self.split(n, tpu) for n in names]
                    if not parts:
                        continue
                    if mode == "max":
                        parts = [max(parts, key=lambda p: p[0] + sum(p[1].values()))]
                    for c, d in parts:
                        cpu += c
                        for k, v in d.items():
                            per[k] = per.get(k, 0) + v
        finally:
            self._active.discard(("split", name))
        self._split[key] = (cpu, per)
        return cpu, per


def op_cost(op, module):
    """Cost of `op` (a call costs its callee, recursively)."""
    return CostModel(module).op_cost(op)


def function_cost(module, name):
    """Cost of one run of function `name` (everything it calls included)."""
    return CostModel(module).function_cost(name)


__all__ = ["CostModel", "op_cost", "function_cost", "DYNAMIC_DIM", "UNKNOWN_ELEMENTS"]
