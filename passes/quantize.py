"""quantize: post-training int8 quantization (static range, dynamic range, weight-only).

    quantize{method=static_range calibration=stats.json signature-keys=serving_default
             min-num-elements=1024 per-channel=true}

Quantizable ops are MatMul, Conv2D, DepthwiseConv2dNative, BatchMatMul(V2/V3) and two-input
Einsum in the functions reachable from the given signatures (every function when
`signature-keys` is empty), whose activation (operand 0) is float32 and whose weight
(operand 1, through Identities) is a float32 constant or a variable read, with at least
`min-num-elements` elements (and, when `weights` lists any, whose weight it names).
BiasAdd/Relu/Relu6 after them keep consuming the (float) result; see quantize_lowering.py
for the arithmetic and the choice of CPU kernels.

- weights: symmetric int8, per output channel (per-channel=true) or per tensor. A variable
  becomes an int8 variable (its checkpoint shrinks 4x) when the pass can follow every use of
  its handle (passes/analysis/variables.py); otherwise the consumer gets an int8 constant copy.
  Constant weights become int8 constants. The IR shows the scales on the int8 values' types:
  `tensor<3x3x3x32x!quant.uniform<i8:f32:3, {...}>>`; export writes their storage type (int8).
  Where the activation is never negative (Relu, Relu6, Softmax, ... possibly through pooling
  and reshapes: `_non_negative`; or a calibrated minimum >= 0) its mean is positive, and a
  channel's summed rounding error times that mean would bias every output of the channel:
  balanced rounding (`balanced-rounding`, L.balance_rounding) keeps each sum under half a step.
- weight_only: the int8 weight is dequantized (Cast, Mul by scale) in front of the float op.
- static_range: activations are quantized with the scale/zero point of the calibrated range
  (`calibration`: the JSON of compiler/calibration.py; ops without statistics, e.g. never run
  during calibration, stay float) and the op runs in integers where TF has a CPU kernel. A
  constant bias (BiasAdd/AddV2 along the output channel) is first corrected for the weight
  rounding's expected effect, E[x] . (w_q - w) from the calibrated activation means
  (`bias-correction`), then folded into the int32 accumulator; a result whose only use
  (through Relu/Relu6) is the next quantized op's activation is requantized straight to int8
  (`_chain`).
- dynamic_range: like static range, but each activation's range is computed in the graph on
  every run: per row of a MatMul/BatchMatMul activation, per example of a convolution
  (`_dynamic_axes`), so an input's result does not depend on its batch-mates; a never-negative
  activation is stored as uint8 with zero point 0.
The core op of each rewrite carries the IR-only attribute `smopt.quantized = "<method>"`.
"""
from __future__ import annotations

import json

import numpy as np

from smopt.ir import types as T
from smopt.ir.attributes import DenseElements
from smopt.ir.callgraph import reached_functions
from smopt.ir.builder import Builder
from smopt.ir.core import Op, OpResult

from smopt.passes.numerics import quantize_lowering as L
from smopt.passes.analysis.traits import IDENTITY, trace_forwarding
from smopt.passes.analysis.variables import VariableAnalysis, float_uses
from smopt.passes.framework.registry import Pass, PassError, option, register

QUANTIZABLE = ("MatMul", "Conv2D", "DepthwiseConv2dNative", "BatchMatMul", "BatchMatMulV2",
               "BatchMatMulV3", "Einsum")
METHODS = ("static_range", "dynamic_range", "weight_only")


class Site:
    """One quantizable op: where it is, its float activation and its weight's source."""

    def __init__(self, fn, op, source):
        self.fn = fn
        self.op = op
        self.source = source          # the Const or ReadVariableOp op behind operand 1

    @property
    def is_variable(self):
        return self.source.type == "ReadVariableOp"


def _is_f32(v):
    return isinstance(v.type, T.TensorType) and v.type.element is T.float32


def _float_op(op):
    if op.type == "BatchMatMulV3":
        return all(op.attrs.get(k) is T.float32 for k in ("Ta", "Tb", "Tout"))
    if op.type == "Einsum" and (len(op.operands) != 2 or "->" not in str(op.attrs.get("equation", ""))):
        return False
    return op.attrs.get("T") is T.float32


def weight_source(op):
    """The Const/ReadVariableOp op behind `op`'s weight operand, or None."""
    if len(op.operands) < 2:
        return None
    w = trace_forwarding(op.operands[1], IDENTITY)
    if not isinstance(w, OpResult):
        return None
    if w.op.type == "Const" and isinstance(w.op.attrs.get("value"), DenseElements) \
            and w.op.attrs["value"].type.element is T.float32:
        return w.op
    if w.op.type == "ReadVariableOp" and w.op.attrs.get("dtype") is T.float32:
        return w.op
    return None


def _signature_functions(module, signature_keys):
    """Functions reachable from these signatures, in module order (all functions for an
    empty list)."""
    if not signature_keys:
        return list(module.functions.values())
    missing = [k for k in signature_keys if k not in module.signatures]
    if missing:
        have = ", ".join(sorted(module.signatures)) or "none"
        raise PassError(f"signature '{missing[0]}' not found in the module (signatures: {have})")
    seen = reached_functions(module, [module.signatures[k].function for k in signature_keys])
    return [f for f in module.functions.values() if f.name in seen]


def quantizable_sites(module, signature_keys=("serving_default",)):
    """Every quantizable op (float activation, constant or variable weight) to consider."""
    sites = []
    for fn in _signature_functions(module, list(signature_keys)):
        for op in fn.ops:
            if op.type in QUANTIZABLE and _float_op(op) and op.operands and _is_f32(op.operands[0]) \
                    and len(op.results) == 1 and _is_f32(op.results[0]):
                src = weight_source(op)
                if src is not None:
                    sites.append(Site(fn, op, src))
    return sites


# ---- per-op geometry --------------------------------------------------------------------
def _einsum_parts(op):
    eq = str(op.attrs.get("equation", "")).replace(" ", "")
    lhs, _, out = eq.partition("->")
    ins = lhs.split(",")
    return (ins[0], ins[1], out) if len(ins) == 2 else None


def channel_axis(op, wshape):
    """(weight axis of the output channel, broadcast shape of a per-channel output scale)."""
    rank = len(wshape)
    t = op.type
    if t == "MatMul":
        return (0 if op.attrs.get("transpose_b") else 1), [-1]
    if t.startswith("BatchMatMul"):
        if rank < 2:
            return None, None
        return (rank - 2 if op.attrs.get("adj_y") else rank - 1), [-1]
    if t == "Conv2D":
        fmt = op.attrs.get("data_format", "NHWC")
        fmt = fmt.decode() if isinstance(fmt, bytes) else fmt
        return 3, ([-1, 1, 1] if fmt == "NCHW" else [-1])
    if t == "DepthwiseConv2dNative":
        if rank == 4 and wshape[3] == 1:
            return 2, None
        if rank == 4 and wshape[2] == 1:
            return 3, None
        return None, None
    if t == "Einsum":
        parts = _einsum_parts(op)
        if parts is None:
            return None, None
        xs, ws, out = parts
        if "." in ws or len(ws) != rank:
            return None, None
        cands = [c for c in ws if c in out and c not in xs]
        if len(cands) != 1:
            return None, None
        c = cands[0]
        after = out[out.index(c) + 1:]
        if "." in after:
            return None, None
        return ws.index(c), [-1] + [1] * len(after)
    return None, None


def _matmul_colsum(op, wq):
    """sum over the contraction axis of the int8 weight, shaped to broadcast against acc."""
    w = wq.astype(np.int32)
    if op.type == "MatMul":
        return w.sum(axis=1 if op.attrs.get("transpose_b") else 0)
    if op.attrs.get("adj_y"):
        return np.swapaxes(w.sum(axis=-1, keepdims=True), -1, -2)
    return w.sum(axis=-2, keepdims=True)


# ---- calibration statistics -------------------------------------------------------------
class Stats:
    def __init__(self, path):
        try:
            with open(path) as f:
                data = json.load(f)
        except OSError as e:
            raise PassError(f"cannot read calibration statistics '{path}': {e.strerror}") from None
        except ValueError as e:
            raise PassError(f"calibration statistics '{path}' are not valid JSON: {e}") from None
        funcs = data.get("functions") if isinstance(data, dict) else None
        if not isinstance(funcs, dict):
            raise PassError(f"calibration statistics '{path}' have no 'functions' table")
        self.functions = funcs
        self.by_node = {}
        for entries in funcs.values():
            for node, e in entries.items():
                self.by_node.setdefault(node, []).append(e)

    @staticmethod
    def _range(entries):
        los = [e["min"] for e in entries if _finite(e.get("min"))]
        his = [e["max"] for e in entries if _finite(e.get("max"))]
        if not los or not his:
            return None
        return min(los), max(his)

    def lookup(self, fn_name, node):
        """(min, max) for node in fn; falls back to the node name alone (functions renamed by
        earlier passes), taking the union of every function's range for that node."""
        e = self.functions.get(fn_name, {}).get(node)
        if e is not None:
            return self._range([e])
        if fn_name not in self.functions and node in self.by_node:
            return self._range(self.by_node[node])
        return None

    def mean(self, fn_name, node):
        """The recorded per-channel activation means (a float64 vector) or None; with the same
        fallback as `lookup`, only when one function recorded the node."""
        e = self.functions.get(fn_name, {}).get(node)
        if e is None and fn_name not in self.functions and len(self.by_node.get(node, ())) == 1:
            e = self.by_node[node][0]
        m = e.get("mean") if isinstance(e, dict) else None
        if not isinstance(m, list) or not m or not all(_finite(x) for x in m):
            return None
        return np.asarray(m, np.float64)


def _finite(x):
    return isinstance(x, (int, float)) and np.isfinite(x)


# ---- the pass ---------------------------------------------------------------------------
@register
class Quantize(Pass):
    name = "quantize"
    title = "Quantize"
    summary = "Post-training int8 quantization of MatMul/Conv2D/DepthwiseConv2dNative/BatchMatMul/Einsum weights (and activations)"
    method: str = option("static_range", "static_range, dynamic_range or weight_only", choices=METHODS)
    calibration: str = option(
        "", "calibration statistics JSON (compiler/calibration.py); static_range needs it")
    signature_keys: list[str] = option(
        ["serving_default"],
        "quantize functions reachable from these signatures (empty: every function)")
    min_num_elements: int = option(1024, "quantize only weights with at least this many elements")
    per_channel: bool = option(True, "per-output-channel weight scales (false: one scale per tensor)")
    balanced_rounding: bool = option(
        True, "weights of ops whose activation is never negative: round so that each output channel's "
        "rounding errors sum to at most half a step")
    bias_correction: bool = option(
        True, "static_range: subtract the weight rounding error's mean effect (from the calibrated "
        "activation means) from the op's constant bias")
    weights: list[str] = option(
        [], "only ops whose weight is one of these: variable paths, or function/node of constant "
        "weights (empty: every quantizable op; compiler/compression.py chooses per weight)")
    statistics = {
        "num-quantized": "Number of ops quantized",
        "num-int8-variables": "Number of variables converted to int8",
        "num-int8-constants": "Number of int8 weight constants created",
        "num-folded-biases": "Number of constant biases folded into the int32 accumulator (static range)",
        "num-requantized": "Number of static results requantized straight into the next int8 activation",
        "num-balanced": "Number of weights rounded with balanced channel error sums",
        "num-bias-corrected":
            "Number of constant biases corrected for the weight rounding error (static range)",
        "num-skipped-small": "Number of ops skipped: weight below min-num-elements",
        "num-skipped-no-stats": "Number of ops skipped: no calibration statistics",
        "num-skipped-unsupported":
            "Number of ops skipped: weight variable used in ways the pass cannot follow",
    }

    def run(self, module):
        stats = None
        if self.method == "static_range":
            if not self.calibration:
                raise PassError("method=static_range needs calibration statistics (calibration=PATH)")
            stats = Stats(self.calibration)
        elif self.calibration:
            Stats(self.calibration)  # a given file must at least be readable
        if self.min_num_elements < 0:
            raise PassError(f"min-num-elements must be >= 0, got {self.min_num_elements}")
        self._shared = {}   # scalar constants shared by the lowerings of a function
        self._rescales = {}  # id(rescale Mul) -> (Mul, int32 offset op or None): static results
        self._requants = []  # (quantize Cast, ActParams): static int8 activations
        sites = quantizable_sites(module, self.signature_keys)
        analysis = VariableAnalysis(module) if any(s.is_variable for s in sites) else None
        groups = {}
        ranges, means = {}, {}
        for s in sites:
            if s.is_variable:
                var, status = analysis.variable_of(s.source.operands[0])
                if var is None or status == "skip" or len({v.type for v in var}) != 1 \
                        or not var[0].type.has_static_shape or var[0].type.element is not T.float32:
                    self.bump("num-skipped-unsupported")
                    continue
                shape, key = var[0].type.shape, ("var", tuple(v.path for v in var))
            else:
                var, status = None, None
                shape, key = s.source.attrs["value"].type.shape, ("const", id(s.source))
            if self.weights and not (set(self.weights) & ({v.path for v in var} if var is not None
                                                            else {f"{s.fn.name}/{s.source.name}"})):
                continue
            if int(np.prod(shape)) < self.min_num_elements:
                self.bump("num-skipped-small")
                continue
            if stats is not None:
                r = stats.lookup(s.fn.name, s.op.name)
                if r is None:
                    self.bump("num-skipped-no-stats")
                    continue
                ranges[id(s.op)] = r
                means[id(s.op)] = stats.mean(s.fn.name, s.op.name)
            groups.setdefault(key, (var, status, shape, []))[3].append(s)
        for key, (var, status, shape, group) in groups.items():
            self._quantize_group(module, analysis, var, status, shape, group, ranges, means)
        for cast, p in self._requants:
            self._chain(cast, p)

    # ---- weights ------------------------------------------------------------------------
    def _quantize_group(self, module, analysis, var, status, shape, group, ranges, means):
        axes = {channel_axis(s.op, shape)[0] for s in group}
        out_axis = axes.pop() if len(axes) == 1 else None
        axis = out_axis if self.per_channel else None
        if var is not None:
            try:
                arrays = [np.asarray(module.read_variable(v)) for v in var]
            except LookupError:
                self.bump("num-skipped-unsupported", len(group))
                return
            w = arrays[0]
            if any(a.shape != w.shape or a.dtype != w.dtype or not np.array_equal(a, w) for a in arrays[1:]):
                self.bump("num-skipped-unsupported", len(group))  # one handle, different values
                return
        else:
            w = group[0].source.attrs["value"].array
        if w.dtype != np.float32 or tuple(w.shape) != tuple(shape):
            self.bump("num-skipped-unsupported", len(group))
            return
        q, scale = L.quantize_weight(w, axis)
        if self.balanced_rounding and out_axis is not None \
                and all(_non_negative(s.op.operands[0]) or ranges.get(id(s.op), (-1,))[0] >= 0 for s in group):
            q = L.balance_rounding(w, q, scale, axis, out_axis)
            self.bump("num-balanced")
        if self.bias_correction:
            for s in group:
                if means.get(id(s.op)) is not None:
                    self._correct_bias(s, w, q, scale, axis, means[id(s.op)])
        qtype = L.weight_type(scale, axis)
        if var is not None and status == "retype":
            self._retype_variable(module, analysis, var, qtype, q, group)
        else:
            self._int8_constants(q, qtype, shape, group)
        for s in group:
            self._lower(s, scale, axis, q, ranges.get(id(s.op)))
            self.bump("num-quantized")

    def _retype_variable(self, module, analysis, variables, qtype, q, group):
        for s in group:
            old = s.op.operands[1]
            if old is not s.source.results[0]:
                s.op.set_operand(1, s.source.results[0])
                _drop_dead_chain(s.fn, old.op if isinstance(old, OpResult) else None)
        reads = analysis.retype(variables, qtype)
        for var in variables:
            module.set_variable(var, q, T.TensorType(qtype, var.type.shape))
            self.bump("num-int8-variables")
        site_ids = {id(s.op) for s in group}
        for r in reads:
            uses = [(u, i) for u, i in float_uses(r.results[0])
                    if not (isinstance(u, Op) and id(u) in site_ids and i == 1)]
            if not uses:
                continue
            b = L.LoweringBuilder(r.parent, r, r.name, after=True, shared=self._shared)
            deq = L.dequantize_weight(b, r.results[0], qtype.scale, qtype.axis)
            for u, i in uses:
                if isinstance(u, Op):
                    u.set_operand(i, deq)
                else:
                    u.set_returns([deq if (j == i) else v for j, v in enumerate(u.returns)])

    def _int8_constants(self, q, qtype, shape, group):
        made = {}
        for s in group:
            fn = s.fn
            c = made.get(id(fn))
            if c is None:
                base = s.source.name if not s.is_variable else s.source.name.rsplit("/", 1)[0] + "/int8_weight"
                op = Builder.at_start(fn).const(DenseElements(T.TensorType(qtype, shape), q),
                                                base + ("" if s.is_variable else "/int8"))
                c = made[id(fn)] = op.results[0]
                self.bump("num-int8-constants")
            old = s.op.operands[1]
            s.op.set_operand(1, c)
            _drop_dead_chain(fn, old.op if isinstance(old, OpResult) else None)
        for s in group:   # the int8 constant replaced the float one: it takes over its name
            c = made[id(s.fn)]
            if not s.is_variable and s.source.parent is None and c.op.name.endswith("/int8") \
                    and s.fn.unique_op_name(s.source.name) == s.source.name:
                s.fn.rename_op(c.op, s.source.name)

    def _correct_bias(self, s, w, q, scale, axis, mean):
        """Bias correction (Nagel et al. 2019): the rounded weight changes the op's expected
        output by E[x] . (w_q - w) per output channel; the calibrated activation means give
        E[x], and the constant bias that follows the op absorbs the negated shift."""
        found = _bias_add(s.op)
        if found is None:
            return
        add, src = found
        dw = L.dequantize_array(q, scale, axis).astype(np.float64) - w.astype(np.float64)
        shift = _mean_shift(s.op, dw, np.asarray(mean, np.float64))
        bias = src.attrs["value"].array
        if shift is None or shift.shape != bias.shape or not np.all(np.isfinite(shift)):
            return
        new = (bias.astype(np.float64) - shift).astype(np.float32)
        c = Builder.before(add).const(new, src.name + "/bias_corrected")
        add.set_operand(1 if add.operands[0] is s.op.results[0] else 0, c.results[0])
        _drop_dead_chain(s.fn, src)
        if src.parent is None and s.fn.unique_op_name(src.name) == src.name:
            s.fn.rename_op(c, src.name)
        self.bump("num-bias-corrected")

    # ---- ops ----------------------------------------------------------------------------
    def _lower(self, s, scale, axis, q, rng):
        op, fn = s.op, s.fn
        wq = op.operands[1]
        b = L.LoweringBuilder(fn, op, op.name, shared=self._shared)
        if self.method == "weight_only":
            op.set_operand(1, L.dequantize_weight(b, wq, scale, axis))
            op.attrs["smopt.quantized"] = self.method
            return
        x = op.operands[0]
        if self.method == "static_range":
            p = L.ActParams(*L.activation_params(*rng))
        else:
            p = L.dynamic_params(b, x, _dynamic_axes(op, x), _non_negative(x))
        xq = L.quantize_activation(b, x, p)
        if p.static:
            self._requants.append((xq.op, p))
        out_type = op.results[0].type
        wscale = scale if axis is not None else np.asarray(scale, np.float32)
        _, out_shape = channel_axis(op, q.shape)
        if axis is None:
            out_shape = []
        attrs = {k: v for k, v in op.attrs.items() if "." not in k}
        if op.type == "DepthwiseConv2dNative":
            xd = L.dequantize_activation(b, xq, p)
            wd = L.dequantize_weight(b, wq, scale, axis)
            core = b.op(op.type, [xd, wd], out_type, dict(attrs), "float_op")
            result = core
        else:
            bias = _foldable_bias(op, p, wscale, out_shape) if p.static else None
            if op.type == "MatMul" or op.type.startswith("BatchMatMul"):
                adj = (op.attrs.get("transpose_a", False), op.attrs.get("transpose_b", False)) \
                    if op.type == "MatMul" else (op.attrs.get("adj_x", False), op.attrs.get("adj_y", False))
                acc = b.op("BatchMatMulV3", [xq, wq], T.TensorType(T.int32, out_type.shape),
                           {"Ta": p.storage, "Tb": T.int8, "Tout": T.int32, "adj_x": bool(adj[0]),
                            "adj_y": bool(adj[1])}, "int8_matmul")
                core = acc
                colsum = _matmul_colsum(op, q)
                if p.static:
                    corr = (p.zero_point * colsum).astype(np.int64)
                    if bias is not None:
                        corr = corr - bias[1]
                    if np.any(corr):
                        acc = b.binary("Sub", acc, b.const(corr.astype(np.int32), "zp_correction"),
                                       "sub_zp_correction", T.int32)
                elif p.has_zero_point:
                    zpi = b.cast(p.zero_point, T.int32, "zp_i32")
                    corr = b.binary("Mul", zpi, b.const(colsum.astype(np.int32), "weight_colsum"),
                                    "zp_correction", T.int32)
                    acc = b.binary("Sub", acc, corr, "sub_zp_correction", T.int32)
            else:  # Conv2D, Einsum: int32 kernels
                xi = L.centered_int32(b, xq, p)
                wi = b.cast(wq, T.int32, "weight_to_int32")
                attrs["T"] = T.int32
                core = acc = b.op(op.type, [xi, wi], T.TensorType(T.int32, out_type.shape), attrs, "int32_op")
                if bias is not None:
                    acc = b.binary("AddV2", acc, b.const(bias[1].astype(np.int32), "int32_bias"), "add_bias",
                                   T.int32)
            result = L.rescale_output(b, acc, p, wscale, out_shape)
            if p.static:
                self._rescales[id(result.op)] = (result.op, acc.op if acc is not core else None)
            if bias is not None:   # the float BiasAdd is now part of the int32 accumulator
                add = bias[0]
                add.results[0].replace_all_uses_with(result)
                add.control.replace_all_uses_with(result.op.control)
                old_bias = [v for v in add.operands if v is not op.results[0]][0]
                add.erase()
                _drop_dead_chain(fn, old_bias.op if isinstance(old_bias, OpResult) else None)
                self.bump("num-folded-biases")
        core.op.attrs["smopt.quantized"] = self.method
        for c in list(op.control_inputs):
            core.op.add_control_input(c)
        op.results[0].replace_all_uses_with(result)
        op.control.replace_all_uses_with(result.op.control)
        name = op.name
        op.erase()
        fn.rename_op(core.op, name)

    # ---- int8 -> int8 ------------------------------------------------------------------
    def _chain(self, cast, p):
        """Requantize a static result straight into the next op's int8 activation.

        Before (A's epilogue, [Relu/Relu6], B's prologue):
            q = Cast(Clip(Round(Relu(Float(acc - off) * os) / s) + zp, -128, 127))
        after, with c = os / s and d = zp - off * c (per channel):
            q = Cast(Clip(Round(Float(acc) * c + d), lo, hi))
        where the activation becomes the clip bounds (Relu: lo = zp; Relu6 also hi = zp +
        round(6 / s)): rounding is monotonic, so clipping after it equals clipping before.
        Only when each value on the way has no other user.
        """
        clip = cast.operands[0].op
        prev = clip.operands[0].op
        add_zp = prev if prev.type == "AddV2" else None
        rnd = add_zp.operands[0].op if add_zp is not None else prev
        scaled = rnd.operands[0].op
        x = scaled.operands[0]
        act = x.op if isinstance(x, OpResult) and x.op.type in ("Relu", "Relu6") else None
        y = act.operands[0] if act is not None else x
        if not isinstance(y, OpResult) or id(y.op) not in self._rescales:
            return
        mul, offset = self._rescales[id(y.op)]
        chain = [mul] + ([act] if act else []) + [scaled, rnd] + ([add_zp] if add_zp else [])
        if any(len(op.results[0].uses) != 1 or op.control.uses or op.control_inputs for op in chain) \
                or (offset is not None and len(offset.results[0].uses) != 1):
            return
        fn = cast.parent
        accf, os_value = mul.operands
        os_ = os_value.op.attrs["value"].array
        c = (os_.astype(np.float64) / p.scale).astype(np.float32)
        d = np.full(c.shape, float(p.zero_point))
        if offset is not None:   # Sub(acc, corr) or AddV2(acc, int32 bias)
            off = offset.operands[1].op.attrs["value"].array.astype(np.float64)
            d = d + (-off if offset.type == "Sub" else off) * c.reshape(c.shape or (1,)).astype(np.float64)
            accf.op.set_operand(0, offset.operands[0])
        prefix = mul.name.rsplit("/", 1)[0]
        mul.set_operand(1, L.LoweringBuilder(fn, mul, prefix).const(c, "requant_scale"))
        b = L.LoweringBuilder(fn, scaled, prefix, shared=self._shared)
        t = mul.results[0]
        d = d.astype(np.float32)
        if np.any(d):
            t = b.binary("AddV2", t, b.const(d if d.ndim and np.ptp(d) else d.reshape(-1)[0], "requant_offset"),
                         "requant")
        rnd.set_operand(0, t)
        clip.set_operand(0, rnd.results[0])
        lo, hi = L.QMIN, L.QMAX
        if act is not None:
            lo = max(L.QMIN, p.zero_point)
            if act.type == "Relu6":
                hi = min(L.QMAX, p.zero_point + int(np.round(6.0 / p.scale)))
        if lo != L.QMIN:
            clip.set_operand(1, b.shared_const(np.float32(lo), f"int8_{lo}".replace("-", "m")))
        if hi != L.QMAX:
            clip.set_operand(2, b.shared_const(np.float32(hi), f"int8_{hi}".replace("-", "m")))
        for op in ([add_zp] if add_zp else []) + [scaled] + ([act] if act else []) + \
                ([offset] if offset is not None else []):
            consts = [v.op for v in op.operands if isinstance(v, OpResult) and v.op.type == "Const"]
            op.erase()
            for k in consts:
                _drop_dead_chain(fn, k)
        _drop_dead_chain(fn, os_value.op)
        self.bump("num-requantized")


_INT32_BIAS_LIMIT = 2 ** 30   # |bias / output scale| beyond this stays a float BiasAdd


def _bias_add(op):
    """(add op, bias Const op) when `op`'s only user adds a constant float bias along the last
    axis (BiasAdd NHWC, or AddV2/Add of a rank-1 constant), else None."""
    uses = op.results[0].uses
    if len(uses) != 1 or op.control.uses:
        return None
    add, idx = uses[0]
    if not isinstance(add, Op) or add.type not in ("BiasAdd", "AddV2", "Add") or len(add.operands) != 2:
        return None
    if add.type == "BiasAdd" and (idx != 0 or add.attrs.get("data_format", "NHWC") not in ("NHWC", b"NHWC")):
        return None
    shape = op.results[0].type.shape
    if not shape or shape[-1] < 0 or add.results[0].type != op.results[0].type or add.control_inputs:
        return None
    src = trace_forwarding(add.operands[1 - idx], IDENTITY)
    if not (isinstance(src, OpResult) and src.op.type == "Const"):
        return None
    val = src.op.attrs.get("value")
    if not isinstance(val, DenseElements) or val.type.element is not T.float32 \
            or tuple(val.type.shape) != (shape[-1],):
        return None
    return add, src.op


def _foldable_bias(op, p, wscale, out_shape):
    """(add op, int32 bias) for the constant bias after `op` (`_bias_add`): static range folds
    it into the int32 accumulator as round(bias / (act_scale * weight_scale[c])), as TF's
    quantizer does. The rounding error is at most half an output quantization step per channel."""
    found = _bias_add(op)
    if found is None or list(out_shape) not in ([], [-1]):   # the weight scale must run along the last axis too
        return None
    add, src = found
    val = src.attrs["value"]
    out_scale = (np.float32(p.scale) * np.asarray(wscale, np.float32)).astype(np.float32)
    q = np.round(val.array.astype(np.float64) / np.broadcast_to(out_scale, val.array.shape))
    if not np.all(np.isfinite(q)) or np.max(np.abs(q), initial=0) > _INT32_BIAS_LIMIT:
        return None
    return add, q.astype(np.int64)


_NON_NEGATIVE = {"Relu", "Relu6", "Sigmoid", "Softmax", "Softplus", "Exp", "Abs", "Square", "Sqrt", "Rsqrt"}
_ORDER_PRESERVING = {"Identity", "Reshape", "Squeeze", "ExpandDims", "Transpose", "MaxPool", "MaxPoolV2",
                     "AvgPool", "Mean", "Max", "Min", "StopGradient", "EnsureShape", "ConcatV2"}


def _non_negative(v, depth=8):
    """Whether `v` is never negative by construction: made by Relu/Relu6/Sigmoid/Softmax/...,
    possibly through ops that only move, select or average values (pooling, reshapes,
    concatenation of non-negative tensors). Function arguments are unknown."""
    if depth == 0 or not isinstance(v, OpResult) or v.index != 0:
        return False
    op = v.op
    if op.type in _NON_NEGATIVE:
        return True
    if op.type not in _ORDER_PRESERVING or not op.operands:
        return False
    if op.type == "ConcatV2":
        return all(_non_negative(x, depth - 1) for x in op.operands[:-1])
    return _non_negative(op.operands[0], depth - 1)


def _dynamic_axes(op, x):
    """Dynamic range measures the activation per row of a MatMul/BatchMatMul (its contraction
    axis, last, is reduced) and per example of a convolution (all axes but the batch): finer
    ranges than one per tensor, and each example's result does not depend on the others in
    its batch. None (one range per tensor) for Einsum, transposed activations or unknown rank."""
    rank = x.type.rank
    if rank is None or rank < 2:
        return None
    if op.type == "MatMul" and not op.attrs.get("transpose_a") or \
            op.type.startswith("BatchMatMul") and not op.attrs.get("adj_x"):
        return [rank - 1]
    if op.type in ("Conv2D", "DepthwiseConv2dNative") and rank == 4:
        return [1, 2, 3]
    return None


def _mean_shift(op, dw, mean):
    """E[x] . dw per output channel for `op` with weight error `dw` and activation channel
    means `mean` (as calibration records them, see `mean_axis`); None where not modelled."""
    t = op.type
    if t == "MatMul":
        d = dw.T if op.attrs.get("transpose_b") else dw
        return mean @ d if d.ndim == 2 and d.shape[0] == mean.shape[0] else None
    if t.startswith("BatchMatMul"):
        if dw.ndim != 2:
            return None
        d = dw.T if op.attrs.get("adj_y") else dw
        return mean @ d if d.shape[0] == mean.shape[0] else None
    if mean_axis(op) is None or dw.ndim != 4 or dw.shape[2] != mean.shape[0]:
        return None
    if t == "Conv2D":     # border outputs see zero padding: the shift is the interior's
        return np.einsum("hwio,i->o", dw, mean)
    if t == "DepthwiseConv2dNative":
        return np.einsum("hwcm,c->cm", dw, mean).reshape(-1)
    return None


def mean_axis(op):
    """Whether bias correction models `op`: it then needs the means of operand 0 over every
    axis but the last (the contraction axis of MatMul/BatchMatMul, the input channels of an
    NHWC convolution, whose output channels are last too, where the bias runs); else None."""
    t = op.type
    if t == "MatMul":
        return None if op.attrs.get("transpose_a") else -1
    if t.startswith("BatchMatMul"):
        return None if op.attrs.get("adj_x") else -1
    if t in ("Conv2D", "DepthwiseConv2dNative"):
        fmt = op.attrs.get("data_format", "NHWC")
        return -1 if (fmt.decode() if isinstance(fmt, bytes) else fmt) == "NHWC" else None
    return None


def _drop_dead_chain(fn, op):
    """Erase `op` (a weight's or bias's Const/Identity feeding no value now) and the Identities
    above it; ops waiting on it wait on its control inputs instead."""
    while op is not None and op.parent is fn and (op.type == "Const" or op.type in IDENTITY) \
            and not any(r.uses for r in op.results) and op.forward_control_uses():
        src = op.operands[0] if op.operands else None
        op.erase()
        op = src.op if isinstance(src, OpResult) else None


__all__ = ["Quantize", "quantizable_sites", "QUANTIZABLE", "METHODS", "Site",
           "channel_axis", "mean_axis", "Stats"]
