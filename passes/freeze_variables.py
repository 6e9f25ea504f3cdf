"""freeze-variables: read-only variables become constants; unread variables leave the model.

    freeze-variables{drop-unused=true}

What TensorFlow's quantizer does with `freeze_all_variables` (its default) and what MLIR's
`tf-saved-model-freeze-variables` does, on smopt's IR:

1. Freeze. `passes/analysis/variables.VariableAnalysis` links every resource value to the
   variable(s) it can hold. A variable group (Keras exports list one weight under two
   object-graph paths) is frozen when the analysis understands every use and none writes it
   at run time outside the checkpoint functions and the main graph's initializers (status
   "retype" or "freeze"), and its members hold equal values. Then, in every library function
   except the checkpoint functions, `ReadVariableOp` becomes a `Const` of the current value
   (the int8 value after `quantize`, keeping the quantized element type),
   `ResourceGather`/`ResourceGatherNd` become `GatherV2`/`GatherNd` of that constant, and
   `VarIsInitializedOp`/`VariableShape` become constants. Node names, control inputs and
   control users are kept; a function's control output naming a read without control inputs
   is dropped (tf.function lists every stateful op there; a constant needs no waiting for).

2. Drop (`drop-unused`, default on). Resource arguments that no longer have uses are removed
   from functions, with the matching operands (and `Tin` entries) of every call op, until
   nothing changes: captured arguments (`tf_saved_model.bound_input`) of frozen variables,
   and unbound ones of functions that only call ops reference (If/While bodies and other
   function-valued attributes keep their signatures). If afterwards every variable of the
   module is frozen, no library function outside the checkpoint functions touches a handle,
   and the checkpoint holds nothing but these variables (every `SaveV2` tensor name is a
   variable's key or `_CHECKPOINTABLE_OBJECT_GRAPH`: a saveable such as a MutableHashTable
   keeps them; static lookup tables, which their initializers rebuild at load, do not), the
   variables go: the variables, their `VarHandleOp`s and initializers in the main graph, the save/restore calls, the checkpoint functions and the
   saver's filename placeholder go. Export then prunes the object graph's variable nodes,
   writes a checkpoint holding only the object graph and leaves out the `saver_def` (TF
   Serving skips the restore without one; `tf.saved_model.load` still finds `variables/`).
   Otherwise nothing is dropped: frozen reads are constants, the variables stay stored.

Statistics: reads (and gathers) frozen, variables frozen, arguments removed, variables dropped.
"""
from __future__ import annotations

import numpy as np

from smopt.ir import types as T
from smopt.ir.builder import Builder
from smopt.ir.callgraph import call_sites
from smopt.ir.core import Op, OpResult

from smopt.passes.analysis.variables import VariableAnalysis, checkpoint_functions, is_resource, saved_keys
from smopt.passes.framework.registry import Pass, option, register

_OBJECT_GRAPH_KEY = "_CHECKPOINTABLE_OBJECT_GRAPH"


@register
class FreezeVariables(Pass):
    name = "freeze-variables"
    title = "FreezeVariables"
    summary = "Replace reads of read-only variables by constants and drop variables nothing reads"
    drop_unused: bool = option(
        True, "remove dead captured arguments and, when the model becomes stateless, the "
        "variables and checkpoint functions")
    statistics = {
        "num-frozen-reads": "Number of variable reads replaced by constants",
        "num-frozen-variables": "Number of variables whose reads became constants",
        "num-removed-arguments": "Number of dead resource arguments removed",
        "num-dropped-variables": "Number of variables removed from the model",
    }

    def run(self, module):
        if not module.variables:
            return
        self.module = module
        self.ckpt = checkpoint_functions(module)
        ana = VariableAnalysis(module)
        frozen = []          # variable groups (lists of Variable)
        seen = set()
        for v in module.variables:
            group, status = ana.group_of(v.path)
            if id(group[0]) in seen:
                continue
            seen.add(id(group[0]))
            if status not in ("retype", "freeze"):
                continue
            value = self._group_value(group)
            if value is None:
                continue
            self._freeze_group(ana, group, value)
            frozen.append(group)
            self.bump("num-frozen-variables", len(group))
        if self.drop_unused and frozen:
            frozen_paths = {v.path for g in frozen for v in g}
            self._remove_dead_arguments(frozen_paths)
            if self._can_drop(frozen_paths):
                self._drop_all()

    # ---- freezing -----------------------------------------------------------------------
    def _group_value(self, group):
        try:
            values = [np.asarray(self.module.read_variable(v)) for v in group]
        except LookupError:
            return None
        first = values[0]
        for other in values[1:]:
            if other.shape != first.shape or other.dtype != first.dtype or not np.array_equal(
                    other, first, equal_nan=first.dtype.kind == "f"):
                return None
        return first.astype(group[0].type.dtype.np, copy=False)

    def _freeze_group(self, ana, group, value):
        element = group[0].type.element
        for h in ana.values_of(group):
            for user, idx in list(h.uses):
                if not isinstance(user, Op) or idx != 0 or user.parent is None:
                    continue
                fn = user.parent
                if fn.is_graph or fn.name in self.ckpt:
                    continue
                b = Builder.before(user)
                frozen = user.name + "/frozen"
                if user.type == "ReadVariableOp":
                    self._replace(user, b.const(value, frozen, user.results[0].type.element))
                elif user.type in ("ResourceGather", "ResourceGatherNd"):
                    self._freeze_gather(b, user, value, element)
                elif user.type == "VarIsInitializedOp":
                    self._replace(user, b.const(np.array(True), frozen))
                elif user.type == "VariableShape":
                    out = user.attrs.get("out_type", T.int32)
                    self._replace(user, b.const(np.array(value.shape, dtype=out.np), frozen))
                elif user.type == "DisableCopyOnRead" and not user.control.uses:
                    user.erase()

    def _replace(self, old, new):
        """`new` (just made before `old`) takes `old`'s place: name, control inputs, result
        and control users."""
        fn = old.parent
        name = old.name
        for c in old.control_inputs:
            new.add_control_input(c)
        if old.results:
            old.results[0].replace_all_uses_with(new.results[0])
        old.control.replace_all_uses_with(new.control)
        if not new.control_inputs:   # a constant gives a function's control outputs nothing to wait for
            for f in {id(u): u for u, _ in new.control.uses if not isinstance(u, Op)}.values():
                f.set_control_rets([(n, t) for n, t in f.control_rets if t is not new.control])
        if old.device:
            new.device = old.device
        old.erase()
        fn.rename_op(new, name)
        self.bump("num-frozen-reads")

    def _freeze_gather(self, b, op, value, element):
        params = b.const(value, op.name + "/frozen_params", element)
        tind = op.attrs.get("Tindices", T.int32)
        if op.type == "ResourceGather":
            axis = b.const(np.array(0, dtype=np.int32), op.name + "/axis")
            attrs = {"Tparams": params.result.type.dtype, "Tindices": tind, "Taxis": T.int32,
                     "batch_dims": op.attrs.get("batch_dims", 0)}
            new = b.create("GatherV2", [params.result, op.operands[1], axis.result], [op.results[0].type],
                           attrs, op.name + "/frozen")
        else:
            new = b.create("GatherNd", [params.result, op.operands[1]], [op.results[0].type],
                           {"Tparams": params.result.type.dtype, "Tindices": tind}, op.name + "/frozen")
        self._replace(op, new)

    # ---- dead arguments -----------------------------------------------------------------
    def _remove_dead_arguments(self, frozen_paths):
        by_node = {v.node_id: v.path for v in self.module.variables}
        changed = True
        while changed:
            changed = False
            # TPUPartitionedCall passes a device ordinal after the arguments: not a plain call site
            sites = call_sites(self.module, ("PartitionedCall", "StatefulPartitionedCall"))
            for name, fn in self.module.functions.items():
                if name in self.ckpt:
                    continue
                calls = sites.get(name)
                exported = bool(fn.attrs.get("tf_saved_model.exported"))
                for arg in reversed(list(fn.args)):
                    if arg.uses or not is_resource(arg) or calls is None:
                        continue
                    bound = arg.attrs.get("tf_saved_model.bound_input")
                    if bound is not None:
                        # a capture: callers outside the IR (the object graph's concrete
                        # function) get it from bound_inputs, which export rewrites
                        if by_node.get(bound) not in frozen_paths:
                            continue
                    elif exported:
                        continue  # a user-visible argument of an exported function
                    for call in calls:
                        _drop_call_operand(call, arg.index)
                    fn.erase_argument(arg.index)
                    self.bump("num-removed-arguments")
                    changed = True

    # ---- dropping -----------------------------------------------------------------------
    def _can_drop(self, frozen_paths):
        m = self.module
        if any(v.path not in frozen_paths for v in m.variables):
            return False
        keys = {v.checkpoint_key for v in m.variables} | {_OBJECT_GRAPH_KEY}
        for name in self.ckpt:
            names = saved_keys(m.functions[name])
            if names is None or any(n not in keys for n in names):
                return False
        # Only the main graph and the checkpoint functions may still touch variables: in the
        # graph, every user of a VarHandleOp's handle is dropped with it (initializers, the
        # save/restore calls). A handle a library function still holds -- a capture, or one
        # the analysis could not attribute (e.g. returned by a call) reaching a variable op --
        # keeps the model stateful.
        for name, fn in m.functions.items():
            if name in self.ckpt:
                continue
            # A captured variable handle keeps it; other captured resources (lookup tables,
            # restored by their own initializers, not by the checkpoint) do not.
            if any(is_resource(a) and m.variable_by_node(a.attrs.get("tf_saved_model.bound_input")) is not None
                   for a in fn.args if a.attrs.get("tf_saved_model.bound_input") is not None):
                return False
            if any(_is_variable_op(op.type) for op in fn.ops):
                return False
        return True

    def _drop_all(self):
        m = self.module
        g = m.graph
        if g is not None:
            dead = []
            dead_ids = set()
            for op in g.ops:
                if op.type == "VarHandleOp" or op.callee in self.ckpt or any(
                        isinstance(v, OpResult) and id(v.op) in dead_ids for v in op.operands):
                    dead.append(op)
                    dead_ids.add(id(op))
            # control users that survive just lose the edge
            for op in dead:
                for user, idx in list(op.control.uses):
                    if isinstance(user, Op) and id(user) not in dead_ids:
                        user.remove_control_input(op.control)
            g.remove_ops(dead)
            wanted = {t.split(":")[0] for s in m.signatures.values() for _, t, _ in s.inputs + s.outputs}
            unused = [op for op in g.ops if op.type in ("Placeholder", "Const") and not op.has_uses
                      and op.name not in wanted]
            g.remove_ops(unused)
        refs = set()
        for fn in m.all_functions():
            for op in fn.ops:
                if op.callee:
                    refs.add(op.callee)
        aliased = m.aliased_functions()
        for name in sorted(self.ckpt):
            if name not in refs and name in m.functions and name not in aliased:
                m.remove_function(name)
        self.bump("num-dropped-variables", len(m.variables))
        m.variables = []


def _is_variable_op(op_type):
    return "Variable" in op_type or op_type.startswith("Resource") or op_type in ("VarIsInitializedOp",
                                                                                   "DisableCopyOnRead")


def _drop_call_operand(call, index):
    ops = list(call.operands)
    del ops[index]
    call.set_operands(ops)
    tin = call.attrs.get("Tin")
    if isinstance(tin, list) and index < len(tin):
        call.attrs["Tin"] = tin[:index] + tin[index + 1:]
    ro = call.attrs.get("_read_only_resource_inputs")
    if isinstance(ro, list):  # operand positions: shift those after the removed one
        call.attrs["_read_only_resource_inputs"] = [i - (i > index) for i in ro if i != index]


__all__ = ["FreezeVariables"]
