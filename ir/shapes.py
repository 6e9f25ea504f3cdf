"""Result-shape inference for the ops smopt creates or rewrites.

`infer_result_shapes(op)` returns one shape per result (a tuple with -1 for unknown dims, or
None for unknown rank), or None when the op is not in the table. The verifier compares the
declared result types with it; passes can call it to compute result types instead of
writing them by hand. Shapes follow TensorFlow's shape functions (common_shape_fns.cc) for
the cases covered; anything the table cannot decide is None (unknown), never a guess.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TypeAlias

import numpy as np

from smopt.ir.attributes import DenseElements
from smopt.ir.core import Op, OpResult, Value

Shape: TypeAlias = "tuple[int, ...] | None"

# Elementwise ops: the result has the (broadcast) shape of the inputs.
UNARY = frozenset({
    "Abs", "Acos", "Asin", "Atan", "Ceil", "Cos", "Cosh", "Elu", "Erf", "Exp", "Expm1",
    "Floor", "Gelu", "Identity", "Inv", "IsFinite", "IsNan", "LeakyRelu", "Log", "Log1p",
    "LogicalNot", "Neg", "Reciprocal", "Relu", "Relu6", "Round", "Rsqrt", "Selu", "Sigmoid",
    "Sign", "Sin", "Sinh", "Snapshot", "Softplus", "Softsign", "Sqrt", "Square", "StopGradient",
    "Tan", "Tanh", "Cast", "PreventGradient", "Softmax", "LogSoftmax", "ZerosLike", "OnesLike",
    "ClipByValue", "FakeQuantWithMinMaxVars", "FakeQuantWithMinMaxArgs",
})
BINARY = frozenset({
    "Add", "AddV2", "BiasAdd", "Div", "DivNoNan", "Equal", "FloorDiv", "FloorMod", "Greater",
    "GreaterEqual", "Less", "LessEqual", "LogicalAnd", "LogicalOr", "Maximum", "Minimum", "Mod",
    "Mul", "MulNoNan", "NotEqual", "Pow", "RealDiv", "SquaredDifference", "Sub", "TruncateDiv",
    "TruncateMod", "Xdivy", "Xlogy",
})


def _shape(v: Value) -> Shape:
    return getattr(v.type, "shape", None)


def const_value(v: Value) -> np.ndarray | None:
    """The value of `v` when a Const (through Identity) produces it, else None."""
    seen = 0
    while isinstance(v, OpResult) and seen < 8:
        op = v.op
        if op.type == "Const":
            val = op.attrs.get("value")
            return val.array if isinstance(val, DenseElements) else None
        if op.type != "Identity" or not op.operands:
            return None
        v, seen = op.operands[0], seen + 1
    return None


def broadcast(a: Shape, b: Shape) -> Shape:
    """NumPy broadcasting of two shapes with unknown (-1) dims; raises ValueError if they
    cannot broadcast."""
    if a is None or b is None:
        return None
    out = []
    for i in range(1, max(len(a), len(b)) + 1):
        x = a[-i] if i <= len(a) else 1
        y = b[-i] if i <= len(b) else 1
        if x == 1:
            out.append(y)
        elif y == 1:
            out.append(x)
        elif x < 0 or y < 0:
            out.append(max(x, y) if min(x, y) < 0 and max(x, y) > 1 else -1)
        elif x == y:
            out.append(x)
        else:
            raise ValueError(f"shapes {_fmt(a)} and {_fmt(b)} do not broadcast")
    return tuple(reversed(out))


def _fmt(s: Shape) -> str:
    if s is None:
        return "*"
    return "[" + ", ".join("?" if d < 0 else str(d) for d in s) + "]"


def _matmul(op):
    a, b = _shape(op.operands[0]), _shape(op.operands[1])
    if a is None or b is None:
        return [None]
    if len(a) != 2 or len(b) != 2:
        raise ValueError(f"operands must be matrices, got {_fmt(a)} and {_fmt(b)}")
    m, ka = (a[1], a[0]) if op.attrs.get("transpose_a") else (a[0], a[1])
    kb, n = (b[1], b[0]) if op.attrs.get("transpose_b") else (b[0], b[1])
    if ka >= 0 and kb >= 0 and ka != kb:
        raise ValueError(f"inner dimensions differ: {_fmt(a)} x {_fmt(b)}")
    return [(m, n)]


def _batch_matmul(op):
    a, b = _shape(op.operands[0]), _shape(op.operands[1])
    if a is None or b is None:
        return [None]
    if len(a) < 2 or len(b) < 2:
        raise ValueError(f"operands need rank >= 2, got {_fmt(a)} and {_fmt(b)}")
    m, ka = (a[-1], a[-2]) if op.attrs.get("adj_x") else (a[-2], a[-1])
    kb, n = (b[-1], b[-2]) if op.attrs.get("adj_y") else (b[-2], b[-1])
    if ka >= 0 and kb >= 0 and ka != kb:
        raise ValueError(f"inner dimensions differ: {_fmt(a)} x {_fmt(b)}")
    batch = broadcast(a[:-2], b[:-2]) if op.type != "BatchMatMul" else a[:-2]
    return [tuple(batch) + (m, n)]


def _conv_out(size, k, stride, dilation, padding):
    if size < 0 or k < 0:
        return -1
    eff = (k - 1) * dilation + 1
    if padding == "VALID":
        return (size - eff + stride) // stride
    return (size + stride - 1) // stride  # SAME


def _conv2d(op):
    x, w = _shape(op.operands[0]), _shape(op.operands[1])
    padding = op.attrs.get("padding")
    if x is None or w is None or padding not in ("SAME", "VALID"):
        return [None]
    if len(x) != 4 or len(w) != 4:
        raise ValueError(f"input and filter must have rank 4, got {_fmt(x)} and {_fmt(w)}")
    fmt = op.attrs.get("data_format", "NHWC")
    fmt = fmt.decode() if isinstance(fmt, bytes) else fmt
    if fmt != "NHWC":
        return [None]
    strides = op.attrs.get("strides") or [1, 1, 1, 1]
    dil = op.attrs.get("dilations") or [1, 1, 1, 1]
    depthwise = op.type == "DepthwiseConv2dNative"
    if x[3] >= 0 and w[2] >= 0 and (x[3] != w[2] if depthwise else x[3] % w[2] != 0):
        raise ValueError(f"input channels {x[3]} do not match the filter {_fmt(w)}")
    h = _conv_out(x[1], w[0], strides[1], dil[1], padding)
    wd = _conv_out(x[2], w[1], strides[2], dil[2], padding)
    c = (w[2] * w[3] if min(w[2], w[3]) >= 0 else -1) if depthwise else w[3]
    return [(x[0], h, wd, c)]


def _reshape(op):
    target = const_value(op.operands[1])
    if target is None:
        return [None]
    dims = [int(d) for d in np.asarray(target).reshape(-1)]
    src = _shape(op.operands[0])
    if dims.count(-1) > 1:
        raise ValueError(f"shape {dims} has more than one -1")
    if -1 in dims and src is not None and all(d >= 0 for d in src):
        known = int(np.prod([d for d in dims if d != -1]))
        total = int(np.prod(src))
        if known == 0 or total % known:
            raise ValueError(f"cannot reshape {_fmt(src)} into {dims}")
        dims[dims.index(-1)] = total // known
    elif -1 not in dims and src is not None and all(d >= 0 for d in src):
        if int(np.prod(src)) != int(np.prod(dims)):
            raise ValueError(f"cannot reshape {_fmt(src)} ({int(np.prod(src))} elements) into {dims}")
    return [tuple(dims)]


def _transpose(op):
    perm = const_value(op.operands[1])
    src = _shape(op.operands[0])
    if perm is None or src is None:
        return [None]
    perm = [int(p) for p in np.asarray(perm).reshape(-1)]
    if sorted(perm) != list(range(len(src))):
        raise ValueError(f"perm {perm} is not a permutation of the {len(src)} dimensions")
    return [tuple(src[p] for p in perm)]


def _unary(op):
    return [_shape(op.operands[0])] if op.operands else None


def _binary(op):
    if op.type == "BiasAdd":
        return [_shape(op.operands[0])]
    return [broadcast(_shape(op.operands[0]), _shape(op.operands[1]))]


_TABLE: dict[str, Callable[[Op], list]] = {
    "MatMul": _matmul, "BatchMatMul": _batch_matmul, "BatchMatMulV2": _batch_matmul,
    "BatchMatMulV3": _batch_matmul, "Conv2D": _conv2d, "DepthwiseConv2dNative": _conv2d,
    "Reshape": _reshape, "Transpose": _transpose,
}
_TABLE.update({name: _unary for name in UNARY})
_TABLE.update({name: _binary for name in BINARY})


def infer_result_shapes(op: Op) -> list | None:
    """Shapes of `op`'s results by TF's shape rules, or None if the table does not cover it.
    Raises ValueError when the operands' shapes are impossible for the op."""
    fn = _TABLE.get(op.type)
    if fn is None or len(op.results) != 1:
        return None
    if op.type in BINARY and op.type != "BiasAdd" and len(op.operands) != 2:
        return None
    return fn(op)


def shape_str(s: Shape) -> str:
    return _fmt(s)
