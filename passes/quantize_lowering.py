"""Quantization arithmetic (numpy) and the TF-op lowerings of the `quantize` pass.

Conventions (as TensorFlow's quantizer): weights are symmetric int8 in [-127, 127] with zero
point 0, per output channel or per tensor; activations are asymmetric int8 in [-128, 127],
real = scale * (q - zero_point), the range widened to contain 0 so that 0 is exact.

What runs on CPU (checked against TF 2.21's kernels):
- MatMul / BatchMatMul(V2/V3): `BatchMatMulV3` with Ta = Tb = int8, Tout = int32 has a CPU
  kernel, so the int8 activation and int8 weight multiply directly; the activation zero point
  is removed from the int32 accumulator with a constant correction zp * sum_k(w[k, n]).
- Conv2D and Einsum: their CPU kernels take int32 (not int8), so both int8 operands are cast
  to int32 and the zero point subtracted first (exact, also in the padding of a SAME conv).
- DepthwiseConv2dNative has no integer CPU kernel: the simulated path quantizes the
  activation, dequantizes it (same rounding and clipping as the integer path) and runs the
  float op on the dequantized int8 weights.
The int32 accumulator is cast to float and multiplied by activation scale x weight scale
(per channel); BiasAdd/Relu/Relu6 that follow keep running in float on that result, which is
what a fused quantized kernel's float epilogue computes. Static range goes further where the
graph allows (passes/quantize.py): a constant bias joins the int32 accumulator, and a result
that only feeds the next op's int8 activation (through Relu/Relu6) is requantized directly,
the activation becoming clip bounds, as TF's quantizer does.
"""
from __future__ import annotations

import numpy as np

from ir import types as T
from ir.core import Op

QMIN, QMAX = -128, 127
WMAX = 127


# ---- numpy ------------------------------------------------------------------------------
def quantize_weight(w, axis):
    """Symmetric int8: (q, scales) with scales per slice along `axis` (or a scalar)."""
    w = np.asarray(w, dtype=np.float32)
    if axis is None:
        amax = np.array(np.max(np.abs(w)) if w.size else 0.0, dtype=np.float32)
        scale = np.where(amax > 0, amax / WMAX, 1.0).astype(np.float32)
        q = np.clip(np.round(w / scale), -WMAX, WMAX).astype(np.int8)
        return q, scale
    red = tuple(i for i in range(w.ndim) if i != axis)
    amax = np.max(np.abs(w), axis=red) if w.size else np.zeros(w.shape[axis], np.float32)
    scale = np.where(amax > 0, amax / WMAX, 1.0).astype(np.float32)
    shape = [1] * w.ndim
    shape[axis] = -1
    q = np.clip(np.round(w / scale.reshape(shape)), -WMAX, WMAX).astype(np.int8)
    return q, scale


def activation_params(lo, hi):
    """(scale, zero_point) for an int8 activation observed in [lo, hi]."""
    lo, hi = min(float(lo), 0.0), max(float(hi), 0.0)
    if hi - lo < 1e-12:
        return 1.0, 0
    scale = float(np.float32((hi - lo) / (QMAX - QMIN)))   # the float32 scale the graph uses
    zp = int(np.clip(np.round(QMIN - lo / scale), QMIN, QMAX))
    return scale, zp


def weight_type(scale, axis):
    if axis is None:
        return T.QuantizedType(T.int8, T.float32, float(scale), 0)
    return T.QuantizedType(T.int8, T.float32, [float(s) for s in scale], [0] * len(scale), axis)


# ---- IR building ------------------------------------------------------------------------
def tt(element, shape):
    return T.TensorType(element, shape)


class Builder:
    """Inserts ops before `anchor` in `fn`, named `<prefix>/<suffix>`.

    `shared` (one dict per pass run) holds the scalar constants every lowering in a function
    reuses (the int8 bounds, reduction axes, ...): one `quantize/<name>` op each, first in the
    function so that it precedes every use.
    """

    def __init__(self, fn, anchor, prefix, after=False, shared=None):
        self.fn = fn
        self.anchor = anchor
        self.prefix = prefix
        self.after = after
        self.last = None
        self.shared = {} if shared is None else shared
        self.site_consts = {}

    def _insert(self, op):
        if self.after:
            self.fn.insert_after(self.last or self.anchor, op, uniquify=False)
            self.last = op
        else:
            self.fn.insert_before(self.anchor, op, uniquify=False)
        return op.results[0]

    def op(self, op_type, operands, rtype, attrs, suffix):
        name = self.fn.unique_op_name(f"{self.prefix}/{suffix}")
        return self._insert(Op(op_type, operands, [rtype], attrs, name))

    def const(self, array, suffix, element=None):
        from ir.core import make_const
        return self._insert(make_const(np.asarray(array), self.fn.unique_op_name(f"{self.prefix}/{suffix}"),
                                       element))

    def shared_const(self, array, name):
        from ir.core import make_const
        arr = np.asarray(array)
        key = (id(self.fn), arr.dtype.str, arr.shape, arr.tobytes())
        v = self.shared.get(key)
        if v is None or v.op.parent is not self.fn:
            op = make_const(arr, self.fn.unique_op_name(f"quantize/{name}"))
            self.fn.insert_before(self.fn.ops[0], op, uniquify=False)
            v = self.shared[key] = op.results[0]
        return v

    # elementwise helpers (result shape = first operand's shape unless given)
    def binary(self, op_type, a, b, suffix, dtype=T.float32, shape="a"):
        shape = a.type.shape if shape == "a" else shape
        return self.op(op_type, [a, b], tt(dtype, shape), {"T": dtype}, suffix)

    def unary(self, op_type, a, suffix, dtype=T.float32):
        return self.op(op_type, [a], tt(dtype, a.type.shape), {"T": dtype}, suffix)

    def cast(self, a, dst, suffix, element=None):
        return self.op("Cast", [a], tt(element or dst, a.type.shape),
                       {"SrcT": a.type.dtype, "DstT": dst, "Truncate": False}, suffix)

    def scalar(self, value, suffix, dtype=np.float32):
        """A scalar constant of this site (one op per value, e.g. a scale used twice)."""
        arr = np.array(value, dtype=dtype)
        key = ("site", arr.dtype.str, arr.tobytes())
        if key not in self.site_consts:
            self.site_consts[key] = self.const(arr, suffix)
        return self.site_consts[key]


class ActParams:
    """An activation's quantization: Python numbers (static range) or in-graph scalars (dynamic)."""

    def __init__(self, scale, zero_point):
        self.scale = scale
        self.zero_point = zero_point

    @property
    def static(self):
        return not hasattr(self.scale, "type")


def dynamic_params(b, x):
    """In-graph per-tensor range of `x` -> ActParams of f32 scalars (scale, zero point).

    The zero point needs no clipping: min <= 0 <= max and scale >= (max - min) / 255 put
    -128 - min / scale in [-128, 127] (up to a rounding ulp that Round absorbs).
    """
    attrs = {"T": T.float32, "Tidx": T.int32, "keep_dims": False}
    if x.type.rank is not None:   # reduce over every axis at once
        src, axis = x, b.shared_const(np.arange(x.type.rank, dtype=np.int32), f"all_axes_{x.type.rank}d")
    else:
        src = b.op("Reshape", [x, b.shared_const(np.array([-1], np.int32), "flatten_shape")],
                   tt(T.float32, [-1]), {"T": T.float32, "Tshape": T.int32}, "flatten")
        axis = b.shared_const(np.array(0, np.int32), "axis_0")
    lo = b.op("Min", [src, axis], tt(T.float32, []), attrs, "min")
    hi = b.op("Max", [src, axis], tt(T.float32, []), attrs, "max")
    zero = b.shared_const(np.float32(0.0), "zero")
    lo = b.binary("Minimum", lo, zero, "min0")
    hi = b.binary("Maximum", hi, zero, "max0")
    span = b.binary("Sub", hi, lo, "range")
    scale = b.binary("Mul", span, b.shared_const(np.float32(1.0 / (QMAX - QMIN)), "inv_levels"), "scale_raw")
    scale = b.binary("Maximum", scale, b.shared_const(np.float32(1e-12), "min_scale"), "scale")
    zp = b.binary("RealDiv", lo, scale, "min_over_scale")
    zp = b.binary("Sub", b.shared_const(np.float32(QMIN), "qmin"), zp, "zp_raw")
    zp = b.unary("Round", zp, "zero_point")
    return ActParams(scale, zp)


def quantize_activation(b, x, p):
    """int8 activation: Cast(clip(round(x / scale) + zp)). Static params give the result a
    `!quant.uniform<i8:f32, scale:zp>` type."""
    s = b.scalar(p.scale, "act_scale") if p.static else p.scale
    scaled = b.binary("RealDiv", x, s, "scale_x")
    r = b.unary("Round", scaled, "round")
    if p.static:
        if p.zero_point:
            r = b.binary("AddV2", r, b.scalar(float(p.zero_point), "zp"), "add_zp")
    else:
        r = b.binary("AddV2", r, p.zero_point, "add_zp")
    c = b.op("ClipByValue", [r, b.shared_const(np.float32(QMIN), "qmin"), b.shared_const(np.float32(QMAX), "qmax")],
             tt(T.float32, x.type.shape), {"T": T.float32}, "clip")
    element = T.QuantizedType(T.int8, T.float32, p.scale, p.zero_point) if p.static else T.int8
    return b.cast(c, T.int8, "quantize", element)


def centered_int32(b, xq, p):
    """int32(xq) - zero_point: the activation's integer value with real 0 at 0."""
    xi = b.cast(xq, T.int32, "to_int32")
    if p.static:
        if p.zero_point:
            xi = b.binary("Sub", xi, b.scalar(p.zero_point, "zp_i32", np.int32), "sub_zp", T.int32)
    else:
        zpi = b.cast(p.zero_point, T.int32, "zp_i32")
        xi = b.binary("Sub", xi, zpi, "sub_zp", T.int32)
    return xi


def dequantize_weight(b, wq, scale, axis, suffix="dequantize"):
    """float32 weight = Cast(wq) * scale (broadcast along `axis`)."""
    wf = b.cast(wq, T.float32, suffix + "_cast")
    s = np.asarray(scale, np.float32)
    if axis is not None:
        shape = [1] * len(wq.type.shape)
        shape[axis] = -1
        s = s.reshape(shape)
    return b.binary("Mul", wf, b.const(s, suffix + "_scale"), suffix)


def rescale_output(b, acc, p, wscale, out_shape):
    """float32 result = float(acc) * act_scale * weight_scale[channel] (`out_shape`: the
    broadcast shape of the per-channel scale, e.g. [N] or [N, 1, 1])."""
    accf = b.cast(acc, T.float32, "acc_to_float")
    ws = np.asarray(wscale, np.float32)
    if ws.ndim:
        ws = ws.reshape(out_shape)
    if p.static:
        return b.binary("Mul", accf, b.const((np.float32(p.scale) * ws).astype(np.float32), "output_scale"),
                        "rescale")
    s = b.binary("Mul", p.scale, b.const(ws, "weight_scale"), "output_scale",
                 shape=list(ws.shape))
    return b.binary("Mul", accf, s, "rescale")


def dequantize_activation(b, xq, p):
    """float32 (xq - zp) * scale, for the simulated path."""
    xf = b.cast(xq, T.float32, "to_float")
    if p.static:
        if p.zero_point:
            xf = b.binary("Sub", xf, b.scalar(float(p.zero_point), "zp_f32"), "sub_zp")
        return b.binary("Mul", xf, b.scalar(p.scale, "act_scale"), "dequantize_x")
    xf = b.binary("Sub", xf, p.zero_point, "sub_zp")
    return b.binary("Mul", xf, p.scale, "dequantize_x")
