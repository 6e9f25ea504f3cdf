"""Which variable does a resource value hold: the one resource/variable analysis.

A variable's handle reaches the ops that use it through function arguments bound to the object
graph (`tf_saved_model.bound_input`), call ops (operand k of a call is argument k of its
callee), forwarding ops (passes/analysis/traits.py) and the main graph's VarHandleOps, which
reach the checkpoint functions (`__inference__traced_save/restore`) whose SaveV2/RestoreV2
`tensor_names` name the variable's checkpoint key. The values linked this way form one handle
class per handle (union-find); classes that share a variable, and the variables they carry,
form one group (Keras exports list the same variable under two object-graph paths, and Keras 3
exports save a variable through another VarHandleOp than the one its functions capture).

`ResourceAnalysis(module, flow)` builds this once; `flow` says how far handles are followed:
- `STRICT` (quantize, freeze-variables, compression): through Identity and into callee
  arguments only; a handle passed to control flow, IdentityN or returned is a use the
  analysis does not understand (so the passes that retype or freeze never miss a user).
- `THROUGH_CONTROL_FLOW` (bf16-convert): also IdentityN, call results (callee returns) and
  If/Case/While branches and bodies, which bf16-convert retypes along with the variable.
Checkpoints are decoded here only (`checkpoint_keys`, `save_links`, `restore_links`): the
usual chains are ReadVariableOp -> Identity* -> SaveV2 and RestoreV2 -> Identity* ->
AssignVariableOp; a variable whose chain is anything else is `broken`.

`VariableAnalysis(module)` (STRICT) says what quantize and freeze-variables may do with each
group:
- "retype": every use is understood (reads, the checkpoint functions' save/restore pattern,
  handle-only ops), so the variable itself can become int8: ReadVariableOp/VarHandleOp dtypes,
  argument handle data, RestoreV2/SaveV2 dtypes and the Identities between them change.
- "freeze": the handle also reaches read-only ops the pass does not retype (e.g.
  ResourceGather); a quantized consumer may use an int8 constant copy instead, and the
  variable stays float.
- "skip": the handle is written at run time (AssignVariableOp outside the restore pattern,
  ResourceApply*, ...), reaches unknown ops, or its class is ambiguous (a value that can hold
  several variables, or comes from somewhere the analysis cannot follow).
`ResourceAnalysis.components()` (THROUGH_CONTROL_FLOW) gives bf16-convert each group with its
handle classes and their uses by role.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from smopt.ir import types as T
from smopt.ir.attributes import DenseElements, FuncAttr
from smopt.ir.callgraph import call_sites
from smopt.ir.core import Function, Op, OpResult
from smopt.passes.analysis.traits import (ALIASING, CASE_OPS, IDENTITY, IF_OPS, VARIABLE_METADATA, VARIABLE_READS,
                                          VARIABLE_WRITES, WHILE_OPS, trace_forwarding)

CHECKPOINT_OPS = frozenset({"SaveV2", "RestoreV2", "MergeV2Checkpoints"})


def is_resource(v):
    return isinstance(v.type, T.TensorType) and v.type.dtype is T.resource


def const_strings(v):
    """The strings of a string Const behind `v` (through Identity), or None."""
    v = trace_forwarding(v, IDENTITY)
    if isinstance(v, OpResult) and v.op.type == "Const":
        val = v.op.attrs.get("value")
        if isinstance(val, DenseElements) and val.type.dtype is T.string:
            return [x.decode() if isinstance(x, bytes) else str(x) for x in val.array.reshape(-1)]
    return None


def checkpoint_keys(op):
    """The `tensor_names` of a SaveV2/RestoreV2 op (checkpoint keys, in tensor order), or None."""
    return const_strings(op.operands[1]) if op.type in ("SaveV2", "RestoreV2") and len(op.operands) > 1 else None


def saved_keys(fn):
    """Every key the SaveV2 ops of function `fn` save, or None when one's names are not constant."""
    out = []
    for op in fn.ops:
        if op.type == "SaveV2":
            keys = checkpoint_keys(op)
            if keys is None:
                return None
            out.extend(keys)
    return out


def checkpoint_functions(module):
    """Names of the functions that save or restore the checkpoint (TF2's `_traced_save/restore`)."""
    return {name for name, fn in module.functions.items() if any(op.type in CHECKPOINT_OPS for op in fn.ops)}


@dataclass(frozen=True)
class HandleFlow:
    """How far ResourceAnalysis follows a handle (module docstring)."""
    forwarding: frozenset      # forwarding ops whose results are their resource operands
    call_results: bool         # bind call results to the callee's returns (arity must match)
    control_flow: bool         # bind If/Case/While operands to branch/body arguments and results


STRICT = HandleFlow(IDENTITY, call_results=False, control_flow=False)
THROUGH_CONTROL_FLOW = HandleFlow(ALIASING, call_results=True, control_flow=True)


@dataclass
class HandleClass:
    """Resource values that are one handle, the ops using it and the variables it carries."""
    values: list = field(default_factory=list)
    uses: list = field(default_factory=list)        # (op, function, role)
    variables: dict = field(default_factory=dict)   # path -> Variable


@dataclass
class VariableGroup:
    """Variables that must change together, with the handle classes carrying them."""
    variables: list
    classes: list


def use_role(op_type):
    """What an op with a resource operand does to the variable: reader, writer, neutral, opaque."""
    if op_type in VARIABLE_READS:
        return "reader"
    if op_type in VARIABLE_WRITES:
        return "writer"
    return "neutral" if op_type in VARIABLE_METADATA else "opaque"


class ResourceAnalysis:
    """Handle classes, their variables and the checkpoint links of one module."""

    def __init__(self, module, flow=STRICT):
        self.module = module
        self.flow = flow
        self._parent = {}
        self._values = {}          # id -> resource Value, in the order first seen
        self.seeds = []            # (value id, Variable)
        self.uncertain = set()     # ids of values whose source the analysis cannot follow
        self.uses = []             # (value, op, function, operand index) not followed
        self.handles = []          # (VarHandleOp, function)
        self.save_links = {}       # Variable path -> [(SaveV2 op, tensor index, [Identity ops])]
        self.restore_links = {}    # Variable path -> [(RestoreV2 op, output index, [Identity ops])]
        self.broken = set()        # Variable paths whose save/restore chain is not understood
        self.restored = {}         # id(AssignVariableOp) -> checkpoint key it restores
        self._by_key = {v.checkpoint_key: v for v in module.variables if v.checkpoint_key}
        self._by_node = {v.node_id: v for v in module.variables}
        self._by_path = {v.path: v for v in module.variables}
        self._build()
        self._group()

    # ---- union-find -------------------------------------------------------------------
    def _add(self, v):
        k = id(v)
        if k not in self._parent:
            self._parent[k] = k
            self._values[k] = v
        return k

    def _find(self, k):
        while self._parent[k] != k:
            self._parent[k] = self._parent[self._parent[k]]
            k = self._parent[k]
        return k

    def _union(self, a, b):
        ra, rb = self._find(self._add(a)), self._find(self._add(b))
        if ra != rb:
            self._parent[ra] = rb

    def _bind(self, a, b):
        if is_resource(a) and is_resource(b):
            self._union(a, b)

    def _seed(self, v, var):
        self.seeds.append((self._add(v), var))

    # ---- building ---------------------------------------------------------------------
    def _build(self):
        m = self.module
        sites = call_sites(m)    # None: referenced other than by calls
        for fn in m.all_functions():
            for a in fn.args:
                if not is_resource(a):
                    continue
                self._add(a)
                bound = a.attrs.get("tf_saved_model.bound_input")
                if isinstance(bound, int) and bound in self._by_node:
                    self._seed(a, self._by_node[bound])
                elif not fn.is_graph and sites.get(fn.name) is None:
                    self.uncertain.add(id(a))
            for op in fn.ops:
                self._visit(fn, op)
            for v in fn.returns:
                if is_resource(v):
                    self._add(v)
                    self.uncertain.add(id(v))
        for fn in m.all_functions():
            for op in fn.ops:
                if op.type == "SaveV2":
                    self._link_save(op)
                elif op.type == "RestoreV2":
                    self._link_restore(op)

    def _visit(self, fn, op):
        flow = self.flow
        for r in op.results:
            if is_resource(r):
                self._add(r)
                if op.type != "VarHandleOp" and op.type not in flow.forwarding:
                    self.uncertain.add(id(r))
        if op.type == "VarHandleOp":
            self.handles.append((op, fn))
        if not any(is_resource(v) for v in op.operands):
            return
        if self._follow(op):
            return
        for i, v in enumerate(op.operands):
            if is_resource(v):
                self._add(v)
                self.uses.append((v, op, fn, i))

    def _follow(self, op):
        """Bind the handles `op` passes on (forwarding, calls, control flow under the flow);
        False when `op` is not such an op or cannot be followed: its operands are uses."""
        m, flow = self.module, self.flow
        if op.type in flow.forwarding:
            for v, r in zip(op.operands, op.results):
                self._bind(v, r)
            return True
        callee = op.callee
        if callee is not None:
            operands = op.operands[:-1] if op.type == "TPUPartitionedCall" else op.operands
            target = m.functions.get(callee)
            if not flow.call_results:
                if target is None:
                    return False
                for v, a in zip(operands, target.args):
                    if is_resource(v):
                        self._union(v, a)
                return True
            return self._bind_call(operands, op.results, target)
        if not flow.control_flow:
            return False
        if op.type in IF_OPS or op.type in CASE_OPS:
            names = ([op.attrs.get(k) for k in IF_OPS[op.type]] if op.type in IF_OPS
                     else list(op.attrs.get("branches") or []))
            ok = bool(names)
            for f in names:
                ok &= isinstance(f, FuncAttr) and self._bind_call(op.operands[1:], op.results,
                                                                  m.functions.get(f.name))
            return ok
        if op.type in WHILE_OPS:
            ok = True
            for key in ("cond", "body"):
                f = op.attrs.get(key)
                g = m.functions.get(f.name) if isinstance(f, FuncAttr) else None
                if g is None or len(g.args) != len(op.operands):
                    ok = False
                    continue
                for v, a in zip(op.operands, g.args):
                    self._bind(v, a)
                if key == "body":
                    for v, ret, r in zip(op.operands, g.returns, op.results):
                        self._bind(v, ret)
                        self._bind(v, r)
            return ok
        return False

    def _bind_call(self, operands, results, callee):
        if callee is None or len(operands) != len(callee.args):
            return False
        for v, arg in zip(operands, callee.args):
            self._bind(v, arg)
        for r, ret in zip(results, callee.returns):
            self._bind(r, ret)
        return True

    # ---- checkpoint links ---------------------------------------------------------------
    def _link_save(self, op):
        """SaveV2 tensor j is ReadVariableOp -> Identity* of the variable keyed names[j]."""
        keys = checkpoint_keys(op)
        if not keys:
            return
        for j, t in enumerate(op.operands[3:len(keys) + 3]):
            var = self._by_key.get(keys[j])
            if var is None:
                continue
            chain = []
            src = trace_forwarding(t, IDENTITY, chain)
            if isinstance(src, OpResult) and src.op.type == "ReadVariableOp":
                self._seed(src.op.operands[0], var)
                self.save_links.setdefault(var.path, []).append((op, j, chain))
            else:
                self.broken.add(var.path)

    def _link_restore(self, op):
        """RestoreV2 output i -> Identity* -> AssignVariableOp(handle, value) restores the
        variable keyed names[i] into that handle; a linear chain is a link bf16 retypes."""
        keys = checkpoint_keys(op)
        if not keys:
            return
        for i, r in enumerate(op.results[:len(keys)]):
            var = self._by_key.get(keys[i])
            stack = [r]
            while stack:
                v = stack.pop()
                for user, idx in v.uses:
                    if not isinstance(user, Op):
                        continue
                    if user.type in IDENTITY:
                        stack.append(user.results[0])
                    elif user.type == "AssignVariableOp" and idx == 1 and len(user.operands) == 2:
                        self.restored[id(user)] = keys[i]
                        if var is not None:
                            self._seed(user.operands[0], var)
            if var is None:
                continue
            chain, v = [], r
            while len(v.uses) == 1 and isinstance(v.uses[0][0], Op) and v.uses[0][0].type in IDENTITY:
                chain.append(v.uses[0][0])
                v = v.uses[0][0].results[0]
            users = v.users()
            if len(users) == 1 and isinstance(users[0], Op) and users[0].type == "AssignVariableOp" \
                    and len(users[0].operands) == 2 and users[0].operands[1] is v:
                self.restore_links.setdefault(var.path, []).append((op, i, chain))
            else:
                self.broken.add(var.path)

    # ---- grouping -----------------------------------------------------------------------
    def _group(self):
        """Handle classes, and variable groups: variables whose handles meet in one class are
        one group, transitively."""
        self.classes = {}     # root id -> HandleClass, in the order first seen
        for k, v in self._values.items():
            self.classes.setdefault(self._find(k), HandleClass()).values.append(v)
        for v, op, fn, _ in self.uses:
            self.classes[self._find(id(v))].uses.append((op, fn, use_role(op.type)))
        for op, fn in self.handles:
            for r in op.results:
                if id(r) in self._parent:
                    self.classes[self._find(id(r))].uses.append((op, fn, "handle"))
        for k, var in self.seeds:
            self.classes[self._find(k)].variables[var.path] = var
        vparent = {p: p for p in self._by_path}

        def vfind(p):
            while vparent[p] != p:
                vparent[p] = vparent[vparent[p]]
                p = vparent[p]
            return p

        for cls in self.classes.values():
            paths = sorted(cls.variables)
            for p in paths[1:]:
                a, b = vfind(paths[0]), vfind(p)
                if a != b:
                    vparent[a] = b
        comps = {}
        for p in self._by_path:
            comps.setdefault(vfind(p), set()).add(p)
        self._group_of = {p: frozenset(comps[vfind(p)]) for p in self._by_path}

    def class_of(self, value):
        """The HandleClass holding resource value `value`, or None."""
        k = id(value)
        return self.classes[self._find(k)] if k in self._parent else None

    def components(self):
        """[VariableGroup] of every group some handle class carries, in module order; its
        classes in the order first seen."""
        order = {v.path: i for i, v in enumerate(self.module.variables)}
        groups = {}
        for cls in self.classes.values():
            if cls.variables:
                g = self._group_of[next(iter(cls.variables))]
                groups.setdefault(g, []).append(cls)
        out = [VariableGroup(sorted((self._by_path[p] for p in g), key=lambda v: order.get(v.path, 0)), classes)
               for g, classes in groups.items()]
        return sorted(out, key=lambda grp: order.get(grp.variables[0].path, 0))


class VariableAnalysis(ResourceAnalysis):
    """ResourceAnalysis(STRICT) with what quantize and freeze-variables may do per group."""

    def __init__(self, module):
        super().__init__(module, STRICT)
        self._classify()

    @staticmethod
    def _copied_from(assign):
        """The handle an AssignVariableOp copies from (its value is a ReadVariableOp), or None."""
        src = trace_forwarding(assign.operands[1], IDENTITY) if len(assign.operands) == 2 else None
        if isinstance(src, OpResult) and src.op.type == "ReadVariableOp":
            return src.op.operands[0]
        return None

    # ---- classification ---------------------------------------------------------------
    def _classify(self):
        """A group's status is the worst of its classes' (the pass treats a group as one
        weight and requires equal values)."""
        order = {"retype": 0, "freeze": 1, "skip": 2}
        self._class_vars = {root: set(cls.variables) for root, cls in self.classes.items()}
        self._class_status = {}
        copies = []
        for k in self.uncertain:
            self._class_status[self._find(k)] = "skip"
        for v, op, _, idx in self.uses:
            root = self._find(id(v))
            status = self._class_status.get(root, "retype")
            if op.type == "ReadVariableOp" or op.type in VARIABLE_METADATA:
                use = "retype"
            elif op.type == "AssignVariableOp" and id(op) in self.restored:
                use = "retype"
            elif op.type == "AssignVariableOp" and idx == 0 and self._copied_from(op) is not None:
                use = "retype"    # checked below: the source must be in the same group
                copies.append((root, self._copied_from(op)))
            elif op.type in VARIABLE_READS:
                use = "freeze"    # read-only ops the retyping does not follow (ResourceGather)
            else:
                use = "skip"
            self._class_status[root] = max(status, use, key=order.get)
        for root, src in copies:
            src_paths = self._class_vars.get(self._find(id(src))) if id(src) in self._parent else None
            dst_paths = self._class_vars.get(root)
            if not src_paths or not dst_paths or \
                    self._group_of[next(iter(src_paths))] != self._group_of[next(iter(dst_paths))]:
                self._class_status[root] = "skip"
        self.status = {}
        for root, paths in self._class_vars.items():
            if not paths:
                continue
            g = self._group_of[next(iter(paths))]
            st = self._class_status.get(root, "retype")
            self.status[g] = max(self.status.get(g, "retype"), st, key=order.get)

    # ---- queries ----------------------------------------------------------------------
    def variable_of(self, value):
        """([Variable, ...] of the value's group, status), or (None, 'skip')."""
        k = id(value)
        if k not in self._parent:
            return None, "skip"
        root = self._find(k)
        paths = self._class_vars.get(root, set())
        if not paths or self._class_status.get(root) == "skip":
            return None, "skip"
        g = self._group_of[next(iter(paths))]
        return [self._by_path[p] for p in sorted(g)], self.status.get(g, "skip")

    def group_of(self, path):
        """([Variable, ...] of the group holding variable `path`, status). A variable no handle
        reaches has nothing to rewrite: status "retype"."""
        g = self._group_of[path]
        return [self._by_path[p] for p in sorted(g)], self.status.get(g, "retype")

    def values_of(self, variables):
        """Every resource value known to hold one of `variables` (a group)."""
        group = {v.path for v in variables}
        out = []
        for k in self._parent:
            paths = self._class_vars.get(self._find(k))
            if paths and paths <= group:
                out.append(self._values[k])
        return out

    def reads_of(self, variables):
        """Every ReadVariableOp of the group in the module (graph included)."""
        reads = []
        for v in self.values_of(variables):
            for user, idx in v.uses:
                if isinstance(user, Op) and user.type == "ReadVariableOp" and idx == 0:
                    reads.append(user)
        return reads

    # ---- retyping ---------------------------------------------------------------------
    def retype(self, variables, element):
        """Make every handle, read, save and restore of the group use `element`'s storage dtype.

        Returns the ReadVariableOps (now producing `tensor<shape x element>`); their users
        still expect the old float values, which the caller must rewrite or dequantize.
        """
        storage = element.storage if isinstance(element, T.QuantizedType) else element
        shape = variables[0].type.shape
        for v in self.values_of(variables):
            if v.type.subtypes:
                v.type = T.TensorType(T.resource, v.type.shape, [T.TensorType(storage, shape)])
            if isinstance(v, OpResult) and v.op.type == "VarHandleOp":
                v.op.attrs["dtype"] = storage
            for user, idx in list(v.uses):
                if not isinstance(user, Op):
                    continue
                if user.type == "AssignVariableOp" and idx == 0:
                    user.attrs["dtype"] = storage
                    if not self._retype_restore(user.operands[1], storage):
                        self._retype_identities(user.operands[1], element, storage)
        reads = self.reads_of(variables)
        for r in reads:
            r.attrs["dtype"] = storage
            r.results[0].type = T.TensorType(element, r.results[0].type.shape
                                             if r.results[0].type.shape is not None else shape)
            self._retype_save_uses(r, element, storage)
        return reads

    @staticmethod
    def _retype_restore(value, storage):
        chain = []
        v = trace_forwarding(value, IDENTITY, chain)
        if not (isinstance(v, OpResult) and v.op.type == "RestoreV2"):
            return False
        rop = v.op
        dtypes = list(rop.attrs.get("dtypes", []))
        if v.index < len(dtypes):
            dtypes[v.index] = storage
            rop.attrs["dtypes"] = dtypes
        v.type = T.TensorType(storage, v.type.shape)
        for op in chain:
            op.attrs["T"] = storage
            op.results[0].type = T.TensorType(storage, op.results[0].type.shape)
        return True

    @staticmethod
    def _retype_identities(value, element, storage):
        """Identities between a (retyped) read and an AssignVariableOp copying it."""
        chain = []
        trace_forwarding(value, IDENTITY, chain)
        for op in chain:
            op.attrs["T"] = storage
            op.results[0].type = T.TensorType(element, op.results[0].type.shape)

    @staticmethod
    def _retype_save_uses(read, element, storage):
        """Identity chains from `read` into SaveV2 save the stored int8 values as they are."""
        def walk(v, chain):
            for user, idx in list(v.uses):
                if isinstance(user, Function) or not isinstance(user, Op):
                    continue
                if user.type in IDENTITY:
                    walk(user.results[0], chain + [user])
                elif user.type == "SaveV2" and idx >= 3:
                    dtypes = list(user.attrs.get("dtypes", []))
                    if idx - 3 < len(dtypes):
                        dtypes[idx - 3] = storage
                        user.attrs["dtypes"] = dtypes
                    for op in chain:
                        op.attrs["T"] = storage
                        op.results[0].type = T.TensorType(element, op.results[0].type.shape)
        walk(read.results[0], [])


def float_uses(value):
    """Uses of `value` that still expect floats: everything except Identity->SaveV2 chains
    (which `retype` switched to int8) and uses listed by the caller."""
    out = []
    for user, idx in value.uses:
        if isinstance(user, Function):
            out.append((user, idx))
            continue
        if user.type in IDENTITY and isinstance(user.attrs.get("T"), T.DType) and user.attrs["T"].is_integer:
            continue  # an Identity chain into SaveV2 that `retype` switched to int8
        if user.type == "SaveV2":
            continue
        if user.type == "AssignVariableOp" and idx == 1 and isinstance(user.attrs.get("dtype"), T.DType) \
                and user.attrs["dtype"].is_integer:
            continue  # a copy into another handle of the same (retyped) variable group
        out.append((user, idx))
    return out


__all__ = ["ResourceAnalysis", "VariableAnalysis", "HandleFlow", "STRICT", "THROUGH_CONTROL_FLOW", "HandleClass",
           "VariableGroup", "use_role", "is_resource", "const_strings", "checkpoint_keys", "saved_keys", "checkpoint_functions",
           "CHECKPOINT_OPS", "float_uses"]
