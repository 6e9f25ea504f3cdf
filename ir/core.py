"""The core IR: SSA values, operations, functions and the module.

A Function is a straight-line dataflow graph: `ops` is kept in a valid topological
order (every operand and control input is defined earlier), which is what the printer
prints and what the verifier checks. TF's control edges (`^node`) are explicit: each op
has a control token (`op.control`, type `!tf_executor.control`) that other ops list in
`control_inputs` and that a function may return as a control output.

Use lists are maintained by the mutation API (set_operand, replace_all_uses_with,
erase, ...); passes should go through it rather than editing lists directly.
"""
from __future__ import annotations

import itertools

from smopt.ir import types as T
from smopt.ir.attributes import FuncAttr, rename_function_refs

CALL_OPS = ("PartitionedCall", "StatefulPartitionedCall", "TPUPartitionedCall")


class CycleError(ValueError):
    """The dataflow of a function has a cycle; `op` is on (or behind) it."""

    def __init__(self, op, message):
        super().__init__(message)
        self.op = op


class Value:
    __slots__ = ("type", "uses")

    def __init__(self, vtype):
        self.type = vtype
        self.uses = []  # list of (op, operand index); control uses have index -1

    @property
    def has_uses(self):
        return bool(self.uses)

    def users(self):
        seen, out = set(), []
        for op, _ in self.uses:
            if id(op) not in seen:
                seen.add(id(op))
                out.append(op)
        return out

    def replace_all_uses_with(self, new):
        """Point every use (operands, control inputs, function returns) at `new`."""
        if new is self:
            return
        for op, idx in list(self.uses):
            if isinstance(op, Function):
                op._replace_return(self, new)
            elif idx < 0:
                op._replace_control_input(self, new)
            else:
                op.set_operand(idx, new)


class Argument(Value):
    """A function argument. `name` is the FunctionDef input_arg name."""

    __slots__ = ("function", "index", "name", "attrs")

    def __init__(self, function, index, name, vtype, attrs=None):
        super().__init__(vtype)
        self.function = function
        self.index = index
        self.name = name
        self.attrs = dict(attrs or {})

    @property
    def owner(self):
        return None

    def __repr__(self):
        return f"<arg %{self.name}: {self.type}>"


class OpResult(Value):
    __slots__ = ("op", "index")

    def __init__(self, op, index, vtype):
        super().__init__(vtype)
        self.op = op
        self.index = index

    @property
    def owner(self):
        return self.op

    def __repr__(self):
        return f"<result #{self.index} of {self.op.type} {self.op.name!r}: {self.type}>"


class ControlToken(Value):
    __slots__ = ("op",)

    def __init__(self, op):
        super().__init__(T.CONTROL)
        self.op = op

    @property
    def owner(self):
        return self.op

    def __repr__(self):
        return f"<control of {self.op.type} {self.op.name!r}>"


class Op:
    """One TF node: `type` is the NodeDef op (or a library function's name for direct calls)."""

    __slots__ = ("type", "name", "operands", "control_inputs", "results", "control", "attrs",
                 "device", "parent", "src", "__weakref__")

    def __init__(self, op_type, operands=(), result_types=(), attrs=None, name=None,
                 control_inputs=(), device=""):
        self.type = op_type
        self.name = name or op_type
        self.operands = []
        self.control_inputs = []
        self.results = [OpResult(self, i, t) for i, t in enumerate(result_types)]
        self.control = ControlToken(self)
        self.attrs = dict(attrs or {})
        self.device = device
        self.parent = None
        self.src = None  # (file, line, col) when parsed from text
        for v in operands:
            self.add_operand(v)
        for c in control_inputs:
            self.add_control_input(c)

    # ---- operands -------------------------------------------------------------------
    def add_operand(self, value):
        if not isinstance(value, Value) or isinstance(value, ControlToken):
            raise TypeError(f"operand of {self.type} must be a data value, got {value!r}")
        self.operands.append(value)
        value.uses.append((self, len(self.operands) - 1))

    def set_operand(self, idx, value):
        old = self.operands[idx]
        old.uses.remove((self, idx))
        self.operands[idx] = value
        value.uses.append((self, idx))

    def set_operands(self, values):
        self.drop_operands()
        for v in values:
            self.add_operand(v)

    def drop_operands(self):
        for i, v in enumerate(self.operands):
            v.uses.remove((self, i))
        self.operands = []

    def add_control_input(self, token):
        if isinstance(token, Op):
            token = token.control
        if not isinstance(token, ControlToken):
            raise TypeError(f"control input of {self.type} must be a control token")
        if token in self.control_inputs:
            return
        self.control_inputs.append(token)
        token.uses.append((self, -1))

    def remove_control_input(self, token):
        self.control_inputs.remove(token)
        token.uses.remove((self, -1))

    def _replace_control_input(self, old, new):
        self.remove_control_input(old)
        if new is not None:
            self.add_control_input(new)

    def forward_control_uses(self):
        """Make the ops that wait on this op's control token wait on its control inputs
        instead, so that an op without side effects can go. Returns False, changing nothing,
        when a function's control return holds the token."""
        users = list(self.control.uses)
        if any(not isinstance(u, Op) for u, _ in users):
            return False
        for u, _ in users:
            u.remove_control_input(self.control)
            for c in self.control_inputs:
                u.add_control_input(c)
        return True

    def drop_all_references(self):
        self.drop_operands()
        for c in list(self.control_inputs):
            self.remove_control_input(c)

    # ---- queries --------------------------------------------------------------------
    @property
    def result(self):
        if len(self.results) != 1:
            raise ValueError(f"{self.type} has {len(self.results)} results")
        return self.results[0]

    @property
    def has_uses(self):
        return self.control.has_uses or any(r.has_uses for r in self.results)

    @property
    def callee(self):
        """The function this op calls, for call ops (f attr) and direct calls."""
        f = self.attrs.get("f")
        if self.type in CALL_OPS and isinstance(f, FuncAttr):
            return f.name
        if self.parent is not None and self.parent.module is not None \
                and self.type in self.parent.module.functions:
            return self.type
        return None

    def location(self):
        if self.src:
            return f"{self.src[0]}:{self.src[1]}:{self.src[2]}"
        fn = self.parent.name if self.parent is not None else "?"
        return f'loc("{self.name}") in @{fn}'

    def __repr__(self):
        return f"<Op {self.type} {self.name!r}>"

    # ---- mutation -------------------------------------------------------------------
    def erase(self):
        """Remove from the function. Results and the control token must be unused."""
        for r in self.results:
            if r.uses:
                raise ValueError(f"cannot erase {self!r}: result #{r.index} still has uses")
        if self.control.uses:
            raise ValueError(f"cannot erase {self!r}: control token still has uses")
        self.drop_all_references()
        if self.parent is not None:
            self.parent._remove_op(self)


class Function:
    """A FunctionDef (or the SavedModel's main graph when `is_graph`)."""

    def __init__(self, name, module=None, is_graph=False):
        self.name = name
        self.module = module
        self.is_graph = is_graph
        self.args = []
        self.ops = []
        self.returns = []          # data values returned, in output_arg order
        self.result_names = []     # output_arg names
        self.result_attrs = []     # dicts, IR-only annotations per result
        self.control_rets = []     # list of (name, ControlToken)
        self.attrs = {}
        self._names = None         # lazily built set of op names for unique naming

    # ---- signature ------------------------------------------------------------------
    @property
    def arg_types(self):
        return [a.type for a in self.args]

    @property
    def result_types(self):
        return [v.type for v in self.returns]

    def add_argument(self, name, vtype, attrs=None, index=None):
        if index is None or index == len(self.args):
            arg = Argument(self, len(self.args), name, vtype, attrs)
            self.args.append(arg)
            return arg
        arg = Argument(self, index, name, vtype, attrs)
        self.args.insert(index, arg)
        for i, a in enumerate(self.args):
            a.index = i
        return arg

    def erase_argument(self, index):
        arg = self.args[index]
        if arg.uses:
            raise ValueError(f"argument %{arg.name} of @{self.name} still has uses")
        shapes = self.attrs.get("_input_shapes")
        if isinstance(shapes, list) and len(shapes) == len(self.args):   # TF's per-argument shapes
            self.attrs["_input_shapes"] = shapes[:index] + shapes[index + 1:]
        del self.args[index]
        for i, a in enumerate(self.args):
            a.index = i

    def set_returns(self, values, names=None, attrs=None):
        for i, v in enumerate(self.returns):
            v.uses.remove((self, i))
        self.returns = list(values)
        for i, v in enumerate(self.returns):
            v.uses.append((self, i))
        if names is not None:
            self.result_names = list(names)
        if attrs is not None:
            self.result_attrs = [dict(a) for a in attrs]
        while len(self.result_attrs) < len(self.returns):
            self.result_attrs.append({})
        del self.result_attrs[len(self.returns):]

    def add_control_ret(self, name, token):
        if isinstance(token, Op):
            token = token.control
        self.control_rets.append((name, token))
        token.uses.append((self, -1))

    def set_control_rets(self, items):
        for _, tok in self.control_rets:
            tok.uses.remove((self, -1))
        self.control_rets = []
        for name, tok in items:
            self.add_control_ret(name, tok)

    def _replace_return(self, old, new):
        if isinstance(old, ControlToken):
            items = [(n, new if t is old else t) for n, t in self.control_rets]
            items = [(n, t) for n, t in items if t is not None]
            self.set_control_rets(items)
        else:
            self.set_returns([new if v is old else v for v in self.returns])

    # ---- ops ------------------------------------------------------------------------
    def unique_op_name(self, base):
        if self._names is None:
            self._names = {op.name for op in self.ops}
        if base not in self._names:
            return base
        for i in itertools.count(1):
            cand = f"{base}_{i}"
            if cand not in self._names:
                return cand

    def _adopt(self, op, uniquify):
        if op.parent is not None:
            raise ValueError(f"{op!r} already belongs to @{op.parent.name}")
        if uniquify:
            op.name = self.unique_op_name(op.name)
        if self._names is not None:
            self._names.add(op.name)
        op.parent = self

    def append(self, op, uniquify=True):
        self._adopt(op, uniquify)
        self.ops.append(op)
        return op

    def insert_before(self, anchor, op, uniquify=True):
        self._adopt(op, uniquify)
        self.ops.insert(self.ops.index(anchor), op)
        return op

    def insert_after(self, anchor, op, uniquify=True):
        self._adopt(op, uniquify)
        self.ops.insert(self.ops.index(anchor) + 1, op)
        return op

    def rename_op(self, op, name):
        """Give `op` a new node name (must be free in this function)."""
        if self._names is not None:
            if name in self._names and name != op.name:
                raise ValueError(f"node name '{name}' already used in @{self.name}")
            self._names.discard(op.name)
            self._names.add(name)
        op.name = name

    def _remove_op(self, op):
        self.ops.remove(op)
        if self._names is not None:
            self._names.discard(op.name)
        op.parent = None

    def remove_ops(self, dead):
        """Erase a set of ops at once (they may use each other, but nothing else may use them)."""
        dead_ids = {id(o) for o in dead}
        for op in dead:
            op.drop_all_references()
        for op in dead:
            for v in list(op.results) + [op.control]:
                if any(id(u) not in dead_ids for u, _ in v.uses):
                    raise ValueError(f"cannot erase {op!r}: still used outside the erased set")
        self.ops = [o for o in self.ops if id(o) not in dead_ids]
        for op in dead:
            op.parent = None
            if self._names is not None:
                self._names.discard(op.name)

    def sort_topologically(self):
        """Reorder ops so that every def precedes its uses; stable for already-valid orders.

        Raises ValueError naming an op on a cycle if the dataflow has one.
        """
        if self._is_topologically_sorted():
            return
        index = {id(op): i for i, op in enumerate(self.ops)}
        indeg = {}
        succs = {id(op): [] for op in self.ops}
        for op in self.ops:
            preds = {id(v.op) for v in op.operands if isinstance(v, OpResult) and id(v.op) in index}
            preds |= {id(c.op) for c in op.control_inputs if id(c.op) in index}
            indeg[id(op)] = len(preds)
            for p in preds:
                succs[p].append(op)
        import heapq
        heap = [(index[id(op)], op) for op in self.ops if indeg[id(op)] == 0]
        heapq.heapify(heap)
        order = []
        while heap:
            _, op = heapq.heappop(heap)
            order.append(op)
            for s in succs[id(op)]:
                indeg[id(s)] -= 1
                if indeg[id(s)] == 0:
                    heapq.heappush(heap, (index[id(s)], s))
        if len(order) != len(self.ops):
            stuck = next(op for op in self.ops if indeg[id(op)] > 0)
            raise CycleError(stuck, f"dataflow cycle through node '{stuck.name}' ({stuck.type}) in "
                             f"{'the graph' if self.is_graph else '@' + self.name}")
        self.ops = order

    def _is_topologically_sorted(self):
        seen = set()
        for op in self.ops:
            for v in op.operands:
                if isinstance(v, OpResult) and id(v.op) not in seen and v.op.parent is self:
                    return False
            for c in op.control_inputs:
                if id(c.op) not in seen and c.op.parent is self:
                    return False
            seen.add(id(op))
        return True

    def walk_function_refs(self):
        """Yield (op, function name, how) for every call edge out of this function."""
        for op in self.ops:
            callee = op.callee
            if callee is not None and callee == op.type:
                yield op, callee, "call"
            for key, value in op.attrs.items():
                from smopt.ir.attributes import function_refs
                for name in function_refs(value):
                    yield op, name, key

    def clone(self, new_name, module=None):
        """A deep copy of this function (same op names) under `new_name`."""
        f = Function(new_name, module if module is not None else self.module, self.is_graph)
        vmap = {}
        for a in self.args:
            vmap[a] = f.add_argument(a.name, a.type, a.attrs)
        clone_ops_into(self.ops, f, vmap)
        f.set_returns([vmap[v] for v in self.returns], list(self.result_names),
                      [dict(a) for a in self.result_attrs])
        f.set_control_rets([(n, vmap[t]) for n, t in self.control_rets])
        f.attrs = dict(self.attrs)
        return f

    def __repr__(self):
        return f"<Function @{self.name}: {len(self.args)} args, {len(self.ops)} ops>"


def clone_op(op, vmap, name=None):
    """Copy `op` with operands remapped through `vmap` (missing entries map to themselves)."""
    new = Op(op.type, [vmap.get(v, v) for v in op.operands], [r.type for r in op.results],
             dict(op.attrs), name or op.name,
             [vmap.get(c, c) for c in op.control_inputs], op.device)
    for r, nr in zip(op.results, new.results):
        vmap[r] = nr
    vmap[op.control] = new.control
    return new


def clone_ops_into(ops, function, vmap, name_prefix="", uniquify=False, anchor=None):
    """Clone `ops` (in order) into `function`, before `anchor` or at the end; returns the copies."""
    out = []
    for op in ops:
        new = clone_op(op, vmap, name_prefix + op.name)
        if anchor is None:
            function.append(new, uniquify=uniquify)
        else:
            function.insert_before(anchor, new, uniquify=uniquify)
        out.append(new)
    return out


class Signature:
    """A SignatureDef: named inputs/outputs (with graph tensor names) entering `function`."""

    def __init__(self, name, function, method_name="tensorflow/serving/predict",
                 inputs=(), outputs=(), defaults=None):
        self.name = name
        self.function = function
        self.method_name = method_name
        self.inputs = list(inputs)    # list of (key, tensor_name, TensorType)
        self.outputs = list(outputs)  # list of (key, tensor_name, TensorType)
        self.defaults = dict(defaults or {})


class Variable:
    """A SavedVariable of the object graph; values stay in the checkpoint unless asked for."""

    def __init__(self, path, ttype, node_id, name="", checkpoint_key="", trainable=False,
                 attrs=None):
        self.path = path                  # object-graph path, unique in the model
        self.type = ttype
        self.node_id = node_id
        self.name = name
        self.checkpoint_key = checkpoint_key
        self.trainable = trainable
        self.attrs = dict(attrs or {})    # e.g. synchronization/aggregation, device
        self.value = None                 # numpy array once a pass set a new value




class Asset:
    def __init__(self, filename, node_id, tensor_name=""):
        self.filename = filename
        self.node_id = node_id
        self.tensor_name = tensor_name


class Module:
    def __init__(self):
        self.functions = {}       # name -> Function, in import/print order
        self.graph = None         # the SavedModel's main graph (a Function with is_graph)
        self.signatures = {}      # name -> Signature
        self.aliases = {}         # alias -> function name
        self.variables = []       # Variable
        self.assets = []          # Asset
        self.attrs = {}           # module attributes (tags, versions, ...)
        self.meta_graph = None    # serialized MetaGraphDef remainder (bytes) for export
        self.op_defs = {}         # extra op defs (custom ops) from the model's stripped_op_list
        self.source = None        # where the module came from (path), for messages
        self.variable_reader = None  # callable(Variable) -> numpy array, set by the importer

    # ---- variable values ------------------------------------------------------------
    def read_variable(self, var):
        """The variable's current value as a numpy array (loaded from the checkpoint lazily).

        Raises LookupError when the module has no checkpoint behind it (IR text input).
        """
        if var.value is not None:
            return var.value
        if self.variable_reader is None:
            raise LookupError(f"no checkpoint to read variable '{var.path}' from (IR text input)")
        return self.variable_reader(var)

    def set_variable(self, var, array, vtype=None):
        """Give `var` a new value (and type, e.g. bf16 or int8); export writes it to variables/."""
        var.value = array
        if vtype is not None:
            var.type = vtype

    def variable_by_path(self, path):
        for v in self.variables:
            if v.path == path:
                return v
        return None

    # ---- functions ------------------------------------------------------------------
    def add_function(self, function):
        if function.name in self.functions:
            raise ValueError(f"function @{function.name} already exists")
        function.module = self
        self.functions[function.name] = function
        return function

    def remove_function(self, name):
        f = self.functions.pop(name)
        f.module = None
        return f

    def unique_function_name(self, base):
        if base not in self.functions:
            return base
        for i in itertools.count(1):
            cand = f"{base}_{i}"
            if cand not in self.functions:
                return cand

    def rename_function(self, old, new):
        """Rename a function and every reference to it (attrs, direct calls, aliases, signatures)."""
        if new in self.functions:
            raise ValueError(f"function @{new} already exists")
        f = self.functions.pop(old)
        f.name = new
        self.functions[new] = f
        self.retarget_function_refs({old: new})

    def retarget_function_refs(self, mapping):
        """Point every reference to a function named in `mapping` (old -> new) at the new
        name: direct calls, function-valued attributes, aliases and signatures."""
        for fn in self.all_functions():
            for op in fn.ops:
                if op.type in mapping:
                    op.type = mapping[op.type]
                for k, v in op.attrs.items():
                    op.attrs[k] = rename_function_refs(v, mapping)
        for a, target in list(self.aliases.items()):
            self.aliases[a] = mapping.get(target, target)
        for s in self.signatures.values():
            s.function = mapping.get(s.function, s.function)

    def all_functions(self):
        """The main graph (if any) followed by every library function."""
        if self.graph is not None:
            yield self.graph
        yield from self.functions.values()

    def function_aliases_of(self, name):
        return sorted(a for a, f in self.aliases.items() if f == name)

    def variable_by_node(self, node_id):
        for v in self.variables:
            if v.node_id == node_id:
                return v
        return None

    def op_count(self):
        return sum(len(f.ops) for f in self.all_functions())

    def call_graph(self):
        from smopt.ir.callgraph import CallGraph
        return CallGraph(self)


def make_const(value, name="Const", element=None):
    """A `tf.Const` op holding `value` (numpy-convertible)."""
    from smopt.ir.attributes import DenseElements
    dense = DenseElements.from_numpy(value, element) if not isinstance(value, DenseElements) else value
    return Op("Const", (), [dense.type], {"dtype": dense.type.dtype, "value": dense}, name)


__all__ = ["Value", "Argument", "OpResult", "ControlToken", "Op", "Function", "Module",
           "Signature", "Variable", "Asset", "clone_op", "clone_ops_into", "make_const",
           "CALL_OPS"]
