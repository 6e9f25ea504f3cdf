"""tpu-io-shape-opt: dense shapes for the tensors that cross the CPU/TPU boundary.

The converter's `io_shape_optimization` (on by default). TPUs lay out an array in tiles of
(8, 128) over its two minor dimensions, and host<->TPU transfers move whole tiles: a
`[B, 16, 16, 3]` image batch occupies `B * 16 * 16(->16) * 3(->128)` elements on the device,
43x its data. Reshaping it to `[B, 768]` on the CPU before the transfer and back on the TPU
moves dense data. A reshape changes no value, so numerics are bit-exact.

The boundary: arguments and results of every call (PartitionedCall, StatefulPartitionedCall,
direct call) from CPU code (a library function that is not a TPU function and is not called
by one) into a TPU function (`smopt.tpu_function = true`). The pass runs before the call
stubs are inserted. Calls in the main graph are left alone (signature output tensors name
their nodes); so are BatchFunction ops whose `f` is a TPU function itself
(tpu-batch-function never creates those: it calls TPU functions through a CPU wrapper).

The rule, per argument or result type of the TPU function:

- eligible: a ranked tensor of a float, integer or bool dtype (not strings, resources,
  variants, quantized types) of rank >= 2 whose dimensions are static except perhaps the
  0th (the batch dimension, -1);
- cost of a shape = the elements its (8, 128) tiling occupies:
  `prod(d[:-2]) * roundup(d[-2], 8) * roundup(d[-1], 128)`; with a dynamic 0th dimension the
  cost is per batch row and the rank-2 shape `[B, n]` counts `roundup(n, 128)` (the batch
  dimension's own padding to 8 is shared by the whole batch);
- candidates: `[d0, prod(d[1:])]` (fold all non-batch dimensions; keeps the batch
  dimension, so batching before the call is unaffected) and, for a fully static shape whose
  element count N is a multiple of 128, `[N / 128, 128]`;
- the cheapest candidate wins if it is strictly cheaper than the original shape; on equal
  cost the batch-keeping fold is preferred. Otherwise the tensor is left alone (already
  dense, e.g. `[B, 8, 128]` or `[B, 256]`, unknown or partly dynamic shapes, scalars, rank 1).

Rewrite: the TPU function's argument gets the new type and its first ops are a `Const` shape
and `Reshape` back to the original shape (`io_shape/<arg>`), which replaces every use of the
argument; a returned value gets a `Reshape` to its new shape at the end (`io_shape/<result>`).
Each CPU call site reshapes its operands before the call (`<call>_io_shape/<arg>`) and its
results back right after it (`<call>_io_shape/<result>`), so the caller sees the old types
(not `<call>/...`: those are the names TF gives the callee's nodes when it inlines a call).
`_input_shapes` follows the new argument shapes. If anything besides the rewritten CPU
call sites uses the TPU function (another caller, a TPU caller, a function alias, a
signature, the object graph's exported functions), the function is cloned as `<name>_io`
(IR attr `smopt.io_shape_clone_of` names the original), the CPU call sites call the clone,
and the original keeps its signature for the others.
"""
from __future__ import annotations

import numpy as np

from smopt.ir import types as T
from smopt.ir.attributes import FuncAttr, ShapeAttr
from smopt.ir.builder import Builder

from smopt.passes.analysis.traits import PLAIN_CALLS
from smopt.passes.framework.registry import Pass, register
from smopt.passes.tpu_select_functions import is_tpu_function



def _roundup(n, m):
    return -(-n // m) * m


def tile_cost(shape, dynamic_batch=False):
    """Elements the (8, 128) tiling of `shape` occupies (per batch row if `dynamic_batch`)."""
    dims = list(shape)
    if dynamic_batch:
        dims[0] = 1
        if len(dims) == 2:
            return _roundup(dims[1], 128)
    lead = 1
    for d in dims[:-2]:
        lead *= d
    return lead * _roundup(dims[-2], 8) * _roundup(dims[-1], 128)


def dense_shape(ttype):
    """The shape `ttype` should cross the boundary in, or None to leave it alone."""
    if not isinstance(ttype, T.TensorType) or not isinstance(ttype.element, T.DType):
        return None
    dt = ttype.element
    if not (dt.is_float or dt.is_integer or dt is T.bool_):
        return None
    shape = ttype.shape
    if shape is None or len(shape) < 2 or any(d < 0 for d in shape[1:]):
        return None
    inner = 1
    for d in shape[1:]:
        inner *= d
    if inner == 0 or shape[0] == 0:
        return None
    dynamic = shape[0] < 0
    best, best_cost = None, tile_cost(shape, dynamic)
    fold = (shape[0], inner)
    if len(shape) > 2 and tile_cost(fold, dynamic) < best_cost:
        best, best_cost = fold, tile_cost(fold, dynamic)
    if not dynamic:
        n = shape[0] * inner
        if n % 128 == 0:
            flat = (n // 128, 128)
            if flat != tuple(shape) and tile_cost(flat) < best_cost:
                best, best_cost = flat, tile_cost(flat)
    return best


def _reshape(b, value, shape, out_type, name):
    """A Reshape of `value` to `shape` (-1 for the dynamic dim) and its shape Const, made
    at builder `b`; returns the Reshape."""
    c = b.const(np.array(shape, dtype=np.int32), name + "/shape")
    return b.create("Reshape", [value, c.result], [out_type], {"T": out_type.element, "Tshape": T.int32}, name)


@register
class TpuIoShapeOpt(Pass):
    name = "tpu-io-shape-opt"
    title = "TpuIoShapeOpt"
    summary = "Reshape tensors crossing the CPU/TPU boundary to dense (8, 128)-tiled shapes"
    statistics = {
        "num-reshaped-args": "Number of TPU function arguments reshaped",
        "num-reshaped-results": "Number of TPU function results reshaped",
        "num-cloned": "Number of TPU functions cloned to keep their original signature",
    }

    def run(self, module):
        cg = module.call_graph()
        tpu_side = set()
        for name, fn in module.functions.items():
            if is_tpu_function(fn):
                tpu_side.add(name)
                tpu_side |= cg.reachable(name)
        sites = {}
        for fn in module.functions.values():
            if fn.name in tpu_side:
                continue
            for op in fn.ops:
                if op.type in PLAIN_CALLS or op.type in module.functions:
                    callee = op.callee
                    if is_tpu_function(module.functions.get(callee)):
                        sites.setdefault(callee, []).append(op)
        for name in sorted(sites):
            if self._optimize(module, cg, module.functions[name], sites[name]):
                cg = module.call_graph()  # a clone adds calls into other TPU functions

    @staticmethod
    def _has_other_users(module, cg, fn, calls):
        if fn.attrs.get("tf_saved_model.exported") or fn.name in module.aliased_functions():
            return True
        if any(s.function == fn.name for s in module.signatures.values()):
            return True
        ids = {id(op) for op in calls}
        for caller in cg.callers(fn.name):
            for op, how in cg.g.edges[caller, fn.name]["sites"]:
                if id(op) not in ids:
                    return True
        return False

    def _optimize(self, module, cg, fn, calls):
        """Rewrite `fn` and its CPU call sites `calls`; True if a clone was made."""
        if any(len(op.operands) != len(fn.args) or len(op.results) != len(fn.returns) for op in calls):
            return False
        arg_plan = {i: s for i, a in enumerate(fn.args) if (s := dense_shape(a.type)) is not None}
        res_plan = {j: s for j, v in enumerate(fn.returns) if (s := dense_shape(v.type)) is not None}
        if not arg_plan and not res_plan:
            return False
        cloned = self._has_other_users(module, cg, fn, calls)
        if cloned:
            clone = fn.clone(module.unique_function_name(fn.name + "_io"), module)
            clone.attrs.pop("tf_saved_model.exported", None)
            clone.attrs["smopt.io_shape_clone_of"] = fn.name
            module.add_function(clone)
            for op in calls:
                if op.type == fn.name:
                    op.type = clone.name
                else:
                    op.attrs["f"] = FuncAttr(clone.name, op.attrs["f"].attrs)
            fn = clone
            self.bump("num-cloned")
        old_args = {i: fn.args[i].type for i in arg_plan}
        old_res = {j: fn.returns[j].type for j in res_plan}
        self._rewrite_function(fn, arg_plan, res_plan)
        for op in calls:
            self._rewrite_call(op, fn, arg_plan, res_plan, old_args, old_res)
        return cloned

    def _rewrite_function(self, fn, arg_plan, res_plan):
        start = Builder.at_start(fn)
        shapes = fn.attrs.get("_input_shapes")
        if isinstance(shapes, list):
            shapes = fn.attrs["_input_shapes"] = list(shapes)  # a clone shares the original's list
        for i, shape in sorted(arg_plan.items()):
            a = fn.args[i]
            old = a.type
            a.type = old.with_shape(shape)
            r = _reshape(start, a, old.shape, old, f"io_shape/{a.name}")
            a.replace_all_uses_with(r.result)
            r.set_operand(0, a)
            if isinstance(shapes, list) and i < len(shapes):
                shapes[i] = ShapeAttr(shape)
            self.bump("num-reshaped-args")
        rets = list(fn.returns)
        end = Builder.at_end(fn)
        for j, shape in sorted(res_plan.items()):
            v = rets[j]
            r = _reshape(end, v, shape, v.type.with_shape(shape), f"io_shape/{fn.result_names[j]}")
            rets[j] = r.result
            self.bump("num-reshaped-results")
        fn.set_returns(rets)

    @staticmethod
    def _rewrite_call(op, fn, arg_plan, res_plan, old_args, old_res):
        before, after = Builder.before(op), Builder.after(op)
        for i, shape in sorted(arg_plan.items()):
            v = op.operands[i]
            r = _reshape(before, v, shape, fn.args[i].type, f"{op.name}_io_shape/{fn.args[i].name}")
            op.set_operand(i, r.result)
        for j, shape in sorted(res_plan.items()):
            res = op.results[j]
            back = res.type if isinstance(res.type, T.TensorType) and res.type.shape is not None \
                else old_res[j]
            res.type = old_res[j].with_shape(shape)
            r = _reshape(after, res, old_res[j].shape, back, f"{op.name}_io_shape/{fn.result_names[j]}")
            res.replace_all_uses_with(r.result)
            r.set_operand(0, res)


__all__ = ["TpuIoShapeOpt", "dense_shape", "tile_cost"]
