"""Quantization arithmetic (numpy) and the TF-op lowerings of the `quantize` pass.

Conventions (as TensorFlow's quantizer): weights are symmetric int8 in [-127, 127] with zero
point 0, per output channel or per tensor; activations are asymmetric int8 in [-128, 127],
real = scale * (q - zero_point), the range widened to contain 0 so that 0 is exact. Dynamic
range stores a never-negative activation as uint8 in [0, 255] with zero point 0 instead.

What runs on CPU (checked against TF 2.21's kernels):
- MatMul / BatchMatMul(V2/V3): `BatchMatMulV3` with Ta = int8 or uint8, Tb = int8, Tout =
  int32 has a CPU kernel, so the activation and int8 weight multiply directly; the activation
  zero point is removed from the int32 accumulator with a correction zp * sum_k(w[k, n]).
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

from smopt.ir import types as T
from smopt.ir.builder import Builder

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
    q = np.clip(np.round(w / broadcast_scale(scale, w.ndim, axis)), -WMAX, WMAX).astype(np.int8)
    return q, scale


def broadcast_scale(scale, ndim, axis):
    """The weight scale(s) shaped to broadcast against a rank-`ndim` weight."""
    s = np.asarray(scale, np.float32)
    if axis is None:
        return s
    shape = [1] * ndim
    shape[axis] = -1
    return s.reshape(shape)


def dequantize_array(q, scale, axis):
    return q.astype(np.float32) * broadcast_scale(scale, q.ndim, axis)


def balance_rounding(w, q, scale, scale_axis, out_axis):
    """Re-round `q` (int8 of `w` at `scale`) so that each output channel's rounding errors sum
    to at most half a step: where a channel's errors add up to n steps, the n elements rounded
    furthest in that direction go to their other neighbour, the cheapest flips in squared
    error (1 - 2|e| each). An activation that is never negative has a positive mean mu, and
    mu * sum(error) is a bias every output of that channel carries; this removes it without
    data, at a small cost in per-element error."""
    w = np.asarray(w, np.float32)
    r = np.moveaxis(w / broadcast_scale(scale, w.ndim, scale_axis), out_axis, -1)
    qi = np.moveaxis(q.astype(np.int32), out_axis, -1)
    r2, q2 = r.reshape(-1, r.shape[-1]), qi.reshape(-1, qi.shape[-1]).copy()
    err = q2 - r2
    n = np.rint(err.sum(axis=0)).astype(np.int64)
    rank_down = np.argsort(np.argsort(-err, axis=0, kind="stable"), axis=0, kind="stable")
    rank_up = np.argsort(np.argsort(err, axis=0, kind="stable"), axis=0, kind="stable")
    q2 -= (rank_down < np.maximum(n, 0)).astype(np.int32)
    q2 += (rank_up < np.maximum(-n, 0)).astype(np.int32)
    q2 = np.clip(q2, -WMAX, WMAX).reshape(qi.shape)
    return np.moveaxis(q2, -1, out_axis).astype(np.int8)


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


class LoweringBuilder:
    """The lowerings' op factory over an IR Builder: ops go before `anchor` (or, with
    `after`, behind it in creation order), are named `<prefix>/<suffix>` (made unique) and
    stand for their first result, which is what the arithmetic below composes.

    `shared` (one dict per pass run) holds the scalar constants every lowering in a function
    reuses (the int8 bounds, reduction axes, ...): one `quantize/<name>` op each, first in the
    function so that it precedes every use.
    """

    def __init__(self, fn, anchor, prefix, after=False, shared=None):
        self.fn = fn
        self.builder = Builder.after(anchor) if after else Builder.before(anchor)
        self.prefix = prefix
        self.shared = {} if shared is None else shared
        self.site_consts = {}

    def op(self, op_type, operands, rtype, attrs, suffix):
        return self.builder.create(op_type, operands, [rtype], attrs, f"{self.prefix}/{suffix}").results[0]

    def const(self, array, suffix, element=None):
        return self.builder.const(np.asarray(array), f"{self.prefix}/{suffix}", element).results[0]

    def shared_const(self, array, name):
        arr = np.asarray(array)
        key = (id(self.fn), arr.dtype.str, arr.shape, arr.tobytes())
        v = self.shared.get(key)
        if v is None or v.op.parent is not self.fn:
            v = self.shared[key] = Builder.at_start(self.fn).const(arr, f"quantize/{name}").results[0]
        return v

    # elementwise helpers (result shape = first operand's shape unless given)
    def binary(self, op_type, a, b, suffix, dtype=T.float32):
        """An elementwise op; its result has the operands' broadcast shape."""
        sa, sb = a.type.shape, b.type.shape
        shape = broadcast_shape(sa, sb) if sa is not None and sb is not None else None
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
    """An activation's quantization: Python numbers (static range) or in-graph tensors
    (dynamic), stored as int8 (zero point in [-128, 127]) or, for an activation that is never
    negative, as uint8 with zero point 0 (`unsigned`): the same 256 levels over [0, max] with
    no zero point to correct for."""

    def __init__(self, scale, zero_point, unsigned=False):
        self.scale = scale
        self.zero_point = zero_point
        self.unsigned = unsigned

    @property
    def static(self):
        return not hasattr(self.scale, "type")

    @property
    def has_zero_point(self):
        return hasattr(self.zero_point, "type") or bool(self.zero_point)

    @property
    def storage(self):
        return T.uint8 if self.unsigned else T.int8

    @property
    def bounds(self):
        return (0, 255) if self.unsigned else (QMIN, QMAX)


def dynamic_params(b, x, axes=None, non_negative=False):
    """In-graph range of `x` -> ActParams of f32 tensors (scale, zero point): over `axes`
    (kept as size-1 dims, e.g. per row of a MatMul's activation or per example of a
    convolution) or, for None, over the whole tensor (scalars). A `non_negative` activation
    gets scale = max / 255 and uint8 storage (no zero point).

    The zero point needs no clipping: min <= 0 <= max and scale >= (max - min) / 255 put
    -128 - min / scale in [-128, 127] (up to a rounding ulp that Round absorbs).
    """
    if axes is not None:
        src, keep = x, True
        axis = b.shared_const(np.array(axes, np.int32), "axes_" + "_".join(map(str, axes)))
        shape = [1 if i in axes else d for i, d in enumerate(x.type.shape)]
    elif x.type.rank is not None:   # reduce over every axis at once
        src, keep, shape = x, False, []
        axis = b.shared_const(np.arange(x.type.rank, dtype=np.int32), f"all_axes_{x.type.rank}d")
    else:
        src = b.op("Reshape", [x, b.shared_const(np.array([-1], np.int32), "flatten_shape")],
                   tt(T.float32, [-1]), {"T": T.float32, "Tshape": T.int32}, "flatten")
        keep, shape = False, []
        axis = b.shared_const(np.array(0, np.int32), "axis_0")
    attrs = {"T": T.float32, "Tidx": T.int32, "keep_dims": keep}

    def scale_of(span):   # span / 255, kept away from 0
        raw = b.binary("Mul", span, b.shared_const(np.float32(1.0 / (QMAX - QMIN)), "inv_levels"), "scale_raw")
        return b.binary("Maximum", raw, b.shared_const(np.float32(1e-12), "min_scale"), "scale")

    if non_negative:
        return ActParams(scale_of(b.op("Max", [src, axis], tt(T.float32, shape), attrs, "max")), 0, unsigned=True)
    lo = b.op("Min", [src, axis], tt(T.float32, shape), attrs, "min")
    hi = b.op("Max", [src, axis], tt(T.float32, shape), attrs, "max")
    zero = b.shared_const(np.float32(0.0), "zero")
    lo = b.binary("Minimum", lo, zero, "min0")
    hi = b.binary("Maximum", hi, zero, "max0")
    scale = scale_of(b.binary("Sub", hi, lo, "range"))
    zp = b.binary("RealDiv", lo, scale, "min_over_scale")
    zp = b.binary("Sub", b.shared_const(np.float32(QMIN), "qmin"), zp, "zp_raw")
    zp = b.unary("Round", zp, "zero_point")
    return ActParams(scale, zp)


def broadcast_shape(a, b):
    """numpy broadcasting of two static-or-dynamic (-1) shapes."""
    a, b = list(a), list(b)
    n = max(len(a), len(b))
    a, b = [1] * (n - len(a)) + a, [1] * (n - len(b)) + b
    return [y if x == 1 else x if y in (1, -1) else y for x, y in zip(a, b)]


def quantize_activation(b, x, p):
    """int8 (uint8) activation: Cast(clip(round(x / scale) + zp)). Static params give the
    result a `!quant.uniform<i8:f32, scale:zp>` type."""
    s = b.scalar(p.scale, "act_scale") if p.static else p.scale
    scaled = b.binary("RealDiv", x, s, "scale_x")
    r = b.unary("Round", scaled, "round")
    if p.has_zero_point:
        zp = b.scalar(float(p.zero_point), "zp") if p.static else p.zero_point
        r = b.binary("AddV2", r, zp, "add_zp")
    lo, hi = p.bounds
    c = b.op("ClipByValue", [r, b.shared_const(np.float32(lo), "qmin" if lo else "zero"),
                             b.shared_const(np.float32(hi), "qmax" if hi == QMAX else "uint8_max")],
             tt(T.float32, x.type.shape), {"T": T.float32}, "clip")
    element = T.QuantizedType(p.storage, T.float32, p.scale, p.zero_point) if p.static else p.storage
    return b.cast(c, p.storage, "quantize", element)


def centered_int32(b, xq, p):
    """int32(xq) - zero_point: the activation's integer value with real 0 at 0."""
    xi = b.cast(xq, T.int32, "to_int32")
    if not p.has_zero_point:
        return xi
    if p.static:
        return b.binary("Sub", xi, b.scalar(p.zero_point, "zp_i32", np.int32), "sub_zp", T.int32)
    return b.binary("Sub", xi, b.cast(p.zero_point, T.int32, "zp_i32"), "sub_zp", T.int32)


def dequantize_weight(b, wq, scale, axis, suffix="dequantize"):
    """float32 weight = Cast(wq) * scale (broadcast along `axis`)."""
    wf = b.cast(wq, T.float32, suffix + "_cast")
    s = broadcast_scale(scale, len(wq.type.shape), axis)
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
    s = b.binary("Mul", p.scale, b.const(ws, "weight_scale"), "output_scale")
    return b.binary("Mul", accf, s, "rescale")


def dequantize_activation(b, xq, p):
    """float32 (xq - zp) * scale, for the simulated path."""
    xf = b.cast(xq, T.float32, "to_float")
    if p.has_zero_point:
        zp = b.scalar(float(p.zero_point), "zp_f32") if p.static else p.zero_point
        xf = b.binary("Sub", xf, zp, "sub_zp")
    return b.binary("Mul", xf, b.scalar(p.scale, "act_scale") if p.static else p.scale, "dequantize_x")
