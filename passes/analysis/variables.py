"""Which variable does a resource value hold, and how to give a variable a new dtype everywhere.

Helper of the `quantize` pass (no pass is registered here). A variable's handle reaches the
ops that use it through function arguments bound to the object graph
(`tf_saved_model.bound_input`), call ops (operand k of a call is argument k of its callee),
resource Identities, and the main graph's VarHandleOps, which reach the checkpoint functions
(`__inference__traced_save/restore`) whose SaveV2/RestoreV2 `tensor_names` name the variable's
checkpoint key. The values linked this way form one class per variable (union-find).

For each variable the analysis says what the pass may do:
- "retype": every use is understood (reads, the checkpoint functions' save/restore pattern,
  handle-only ops), so the variable itself can become int8: ReadVariableOp/VarHandleOp dtypes,
  argument handle data, RestoreV2/SaveV2 dtypes and the Identities between them change.
- "freeze": the handle also reaches read-only ops the pass does not retype (e.g.
  ResourceGather); a quantized consumer may use an int8 constant copy instead, and the
  variable stays float.
- "skip": the handle is written at run time (AssignVariableOp outside the restore pattern,
  ResourceApply*, ...), reaches unknown ops, or its class is ambiguous (a value that can hold
  several variables, or comes from somewhere the analysis cannot follow).
"""
from __future__ import annotations

from smopt.ir import types as T
from smopt.ir.attributes import DenseElements
from smopt.ir.core import CALL_OPS, Function, Op, OpResult

# Ops that take a handle but neither read the value's dtype nor write the variable.
_HANDLE_ONLY = frozenset({"DisableCopyOnRead", "VarIsInitializedOp", "DestroyResourceOp", "VariableShape"})
# Read-only ops that carry the dtype in a way the retyping does not follow.
_READ_ONLY = frozenset({"ResourceGather", "ResourceGatherNd"})
_FORWARD = frozenset({"Identity"})


def _is_resource(v):
    return isinstance(v.type, T.TensorType) and v.type.dtype is T.resource


def trace_identity(v):
    """Follow Identity ops backwards from value `v`."""
    while isinstance(v, OpResult) and v.op.type in _FORWARD and len(v.op.operands) == 1:
        v = v.op.operands[0]
    return v


def _const_strings(v):
    v = trace_identity(v)
    if isinstance(v, OpResult) and v.op.type == "Const":
        val = v.op.attrs.get("value")
        if isinstance(val, DenseElements) and val.type.dtype is T.string:
            return [x.decode() if isinstance(x, bytes) else str(x) for x in val.array.reshape(-1)]
    return None


class VariableAnalysis:
    def __init__(self, module):
        self.module = module
        self._parent = {}
        self._values = {}
        self._seeds = {}          # id(value) -> set of variable paths
        self._uncertain = set()   # ids of values whose source the analysis cannot follow
        self._uses = []           # (value, op, operand index) for non-structural uses
        self._by_key = {v.checkpoint_key: v for v in module.variables if v.checkpoint_key}
        self._by_node = {v.node_id: v for v in module.variables}
        self._by_path = {v.path: v for v in module.variables}
        self._build()
        self._classify()

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

    # ---- building ---------------------------------------------------------------------
    def _callers(self):
        """function name -> True when every reference to it is a call op's callee."""
        only_calls = {name: True for name in self.module.functions}
        for fn in self.module.all_functions():
            for op, name, how in fn.walk_function_refs():
                if name not in only_calls:
                    continue
                if how == "call" or (how == "f" and op.type in CALL_OPS):
                    continue
                only_calls[name] = False
        return only_calls

    def _build(self):
        m = self.module
        only_calls = self._callers()
        for fn in m.all_functions():
            for a in fn.args:
                if not _is_resource(a):
                    continue
                self._add(a)
                bound = a.attrs.get("tf_saved_model.bound_input")
                if isinstance(bound, int) and bound in self._by_node:
                    self._seeds.setdefault(id(a), set()).add(self._by_node[bound].path)
                elif not fn.is_graph and not only_calls.get(fn.name, False):
                    self._uncertain.add(id(a))
            for op in fn.ops:
                self._visit(fn, op)
            for v in fn.returns:
                if _is_resource(v):
                    self._add(v)
                    self._uncertain.add(id(v))

    def _visit(self, fn, op):
        m = self.module
        for r in op.results:
            if _is_resource(r):
                self._add(r)
                if op.type != "VarHandleOp" and op.type not in _FORWARD:
                    self._uncertain.add(id(r))
        callee = op.callee
        operands = op.operands[:-1] if op.type == "TPUPartitionedCall" else op.operands
        if callee is not None and callee in m.functions:
            target = m.functions[callee]
            for i, v in enumerate(operands):
                if _is_resource(v) and i < len(target.args):
                    self._union(v, target.args[i])
            return
        if op.type in _FORWARD:
            for v, r in zip(op.operands, op.results):
                if _is_resource(v):
                    self._union(v, r)
            return
        for i, v in enumerate(op.operands):
            if _is_resource(v):
                self._add(v)
                self._uses.append((v, op, i))
        if op.type == "AssignVariableOp" and len(op.operands) == 2:
            key = self._restored_key(op.operands[1])
            if key is not None and key in self._by_key:
                self._seeds.setdefault(id(op.operands[0]), set()).add(self._by_key[key].path)
        elif op.type == "SaveV2":
            names = _const_strings(op.operands[1])
            for j, t in enumerate(op.operands[3:]):
                src = trace_identity(t)
                if names and j < len(names) and isinstance(src, OpResult) \
                        and src.op.type == "ReadVariableOp" and names[j] in self._by_key:
                    self._add(src.op.operands[0])
                    self._seeds.setdefault(id(src.op.operands[0]), set()).add(self._by_key[names[j]].path)

    @staticmethod
    def _copied_from(assign):
        """The handle an AssignVariableOp copies from (its value is a ReadVariableOp), or None."""
        src = trace_identity(assign.operands[1]) if len(assign.operands) == 2 else None
        if isinstance(src, OpResult) and src.op.type == "ReadVariableOp":
            return src.op.operands[0]
        return None

    @staticmethod
    def _restored_key(value):
        src = trace_identity(value)
        if isinstance(src, OpResult) and src.op.type == "RestoreV2":
            names = _const_strings(src.op.operands[1])
            if names and src.index < len(names):
                return names[src.index]
        return None

    # ---- classification ---------------------------------------------------------------
    def _classify(self):
        """Variables whose handles meet in one class are one group (Keras exports list the
        same variable under two object-graph paths, with one handle in the graph); the
        pass treats a group as one weight and requires equal values."""
        order = {"retype": 0, "freeze": 1, "skip": 2}
        self._class_vars = {}
        self._class_status = {}
        copies = []
        for k in self._parent:
            root = self._find(k)
            self._class_vars.setdefault(root, set()).update(self._seeds.get(k, ()))
            if k in self._uncertain:
                self._class_status[root] = "skip"
        for v, op, idx in self._uses:
            root = self._find(id(v))
            status = self._class_status.get(root, "retype")
            if op.type == "ReadVariableOp" or op.type in _HANDLE_ONLY:
                use = "retype"
            elif op.type == "AssignVariableOp" and self._restored_key(op.operands[1]) is not None:
                use = "retype"
            elif op.type == "AssignVariableOp" and idx == 0 and self._copied_from(op) is not None:
                use = "retype"    # checked below: the source must be in the same group
                copies.append((root, self._copied_from(op)))
            elif op.type in _READ_ONLY:
                use = "freeze"
            else:
                use = "skip"
            self._class_status[root] = max(status, use, key=order.get)
        vparent = {p: p for p in self._by_path}

        def vfind(p):
            while vparent[p] != p:
                vparent[p] = vparent[vparent[p]]
                p = vparent[p]
            return p

        for paths in self._class_vars.values():
            paths = sorted(paths)
            for p in paths[1:]:
                a, b = vfind(paths[0]), vfind(p)
                if a != b:
                    vparent[a] = b
        comps = {}
        for p in self._by_path:
            comps.setdefault(vfind(p), set()).add(p)
        self._group_of = {p: frozenset(comps[vfind(p)]) for p in self._by_path}
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
        v = value
        while isinstance(v, OpResult) and v.op.type in _FORWARD:
            chain.append(v.op)
            v = v.op.operands[0]
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
        v = value
        while isinstance(v, OpResult) and v.op.type in _FORWARD:
            v.op.attrs["T"] = storage
            v.type = T.TensorType(element, v.type.shape)
            v = v.op.operands[0]

    @staticmethod
    def _retype_save_uses(read, element, storage):
        """Identity chains from `read` into SaveV2 save the stored int8 values as they are."""
        def walk(v, chain):
            for user, idx in list(v.uses):
                if isinstance(user, Function) or not isinstance(user, Op):
                    continue
                if user.type in _FORWARD:
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
        if user.type in _FORWARD and isinstance(user.attrs.get("T"), T.DType) and user.attrs["T"].is_integer:
            continue  # an Identity chain into SaveV2 that `retype` switched to int8
        if user.type == "SaveV2":
            continue
        if user.type == "AssignVariableOp" and idx == 1 and isinstance(user.attrs.get("dtype"), T.DType) \
                and user.attrs["dtype"].is_integer:
            continue  # a copy into another handle of the same (retyped) variable group
        out.append((user, idx))
    return out


__all__ = ["VariableAnalysis", "trace_identity", "float_uses"]
