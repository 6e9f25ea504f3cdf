"""The core IR: SSA values, operations, functions and the module.

A Function is a straight-line dataflow graph: `ops` is kept in a valid topological
order (every operand and control input is defined earlier), which is what the printer
prints and what the verifier checks. The ops form a doubly linked list (`fn.ops` is a
read-only sequence view of it), so that inserting next to an op and erasing one are O(1);
passes place new ops with `smopt.ir.builder.Builder` and rewrite with `smopt.ir.rewrite`. TF's control edges (`^node`) are explicit: each op
has a control token (`op.control`, type `!tf_executor.control`) that other ops list in
`control_inputs` and that a function may return as a control output.

Use lists are maintained by the mutation API (set_operand, replace_all_uses_with,
erase, ...); passes should go through it rather than editing lists directly.
"""
from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, overload

from smopt.ir import types as T
from smopt.ir.attributes import FuncAttr, rename_function_refs

if TYPE_CHECKING:
    from smopt.ir.builder import Builder
    from smopt.ir.callgraph import CallGraph

CALL_OPS = ("PartitionedCall", "StatefulPartitionedCall", "TPUPartitionedCall")


class CycleError(ValueError):
    """The dataflow of a function has a cycle; `op` is on (or behind) it."""

    def __init__(self, op: Op, message: str) -> None:
        super().__init__(message)
        self.op = op


class Value:
    __slots__ = ("type", "uses")

    def __init__(self, vtype: Any) -> None:
        self.type = vtype
        # (user, operand index): the user is an Op, or a Function for its returns; control
        # uses have index -1
        self.uses: list[tuple[Any, int]] = []

    @property
    def has_uses(self) -> bool:
        return bool(self.uses)

    def users(self) -> list[Op | Function]:
        seen: set[int] = set()
        out: list[Op | Function] = []
        for op, _ in self.uses:
            if id(op) not in seen:
                seen.add(id(op))
                out.append(op)
        return out

    def replace_all_uses_with(self, new: Value) -> None:
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

    def __init__(self, function: Function, index: int, name: str, vtype: Any,
                 attrs: Mapping[str, Any] | None = None) -> None:
        super().__init__(vtype)
        self.function = function
        self.index = index
        self.name = name
        self.attrs = dict(attrs or {})

    @property
    def owner(self) -> None:
        return None

    def __repr__(self) -> str:
        return f"<arg %{self.name}: {self.type}>"


class OpResult(Value):
    __slots__ = ("op", "index")

    def __init__(self, op: Op, index: int, vtype: Any) -> None:
        super().__init__(vtype)
        self.op = op
        self.index = index

    @property
    def owner(self) -> Op:
        return self.op

    def __repr__(self) -> str:
        return f"<result #{self.index} of {self.op.type} {self.op.name!r}: {self.type}>"


class ControlToken(Value):
    __slots__ = ("op",)

    def __init__(self, op: Op) -> None:
        super().__init__(T.CONTROL)
        self.op = op

    @property
    def owner(self) -> Op:
        return self.op

    def __repr__(self) -> str:
        return f"<control of {self.op.type} {self.op.name!r}>"


class Op:
    """One TF node: `type` is the NodeDef op (or a library function's name for direct calls)."""

    __slots__ = ("type", "name", "operands", "control_inputs", "results", "control", "attrs",
                 "device", "parent", "src", "_prev", "_next", "__weakref__")

    def __init__(self, op_type: str, operands: Iterable[Value] = (), result_types: Iterable[Any] = (),
                 attrs: Mapping[str, Any] | None = None, name: str | None = None,
                 control_inputs: Iterable[ControlToken | Op] = (), device: str = ""):
        self.type = op_type
        self.name = name or op_type
        self.operands: list[Value] = []
        self.control_inputs: list[ControlToken] = []
        self.results = [OpResult(self, i, t) for i, t in enumerate(result_types)]
        self.control = ControlToken(self)
        self.attrs = dict(attrs or {})
        self.device = device
        self.parent: Function | None = None
        self.src = None  # (file, line, col) when parsed from text
        self._prev: Op | None = None   # neighbours in parent's op list
        self._next: Op | None = None
        for v in operands:
            self.add_operand(v)
        for c in control_inputs:
            self.add_control_input(c)

    # ---- operands -------------------------------------------------------------------
    def add_operand(self, value: Value) -> None:
        if not isinstance(value, Value) or isinstance(value, ControlToken):
            raise TypeError(f"operand of {self.type} must be a data value, got {value!r}")
        self.operands.append(value)
        value.uses.append((self, len(self.operands) - 1))

    def set_operand(self, idx: int, value: Value) -> None:
        old = self.operands[idx]
        old.uses.remove((self, idx))
        self.operands[idx] = value
        value.uses.append((self, idx))

    def set_operands(self, values: Iterable[Value]) -> None:
        self.drop_operands()
        for v in values:
            self.add_operand(v)

    def drop_operands(self) -> None:
        for i, v in enumerate(self.operands):
            v.uses.remove((self, i))
        self.operands = []

    def add_control_input(self, token: ControlToken | Op) -> None:
        if isinstance(token, Op):
            token = token.control
        if not isinstance(token, ControlToken):
            raise TypeError(f"control input of {self.type} must be a control token")
        if token in self.control_inputs:
            return
        self.control_inputs.append(token)
        token.uses.append((self, -1))

    def remove_control_input(self, token: ControlToken) -> None:
        self.control_inputs.remove(token)
        token.uses.remove((self, -1))

    def _replace_control_input(self, old: Any, new: Any) -> None:
        self.remove_control_input(old)
        if new is not None:
            self.add_control_input(new)

    def forward_control_uses(self) -> bool:
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

    def drop_all_references(self) -> None:
        self.drop_operands()
        for c in list(self.control_inputs):
            self.remove_control_input(c)

    # ---- queries --------------------------------------------------------------------
    @property
    def result(self) -> OpResult:
        if len(self.results) != 1:
            raise ValueError(f"{self.type} has {len(self.results)} results")
        return self.results[0]

    @property
    def has_uses(self) -> bool:
        return self.control.has_uses or any(r.has_uses for r in self.results)

    @property
    def callee(self) -> str | None:
        """The function this op calls, for call ops (f attr) and direct calls."""
        f = self.attrs.get("f")
        if self.type in CALL_OPS and isinstance(f, FuncAttr):
            return f.name
        if self.parent is not None and self.parent.module is not None \
                and self.type in self.parent.module.functions:
            return self.type
        return None

    def location(self) -> str:
        if self.src:
            return f"{self.src[0]}:{self.src[1]}:{self.src[2]}"
        fn = self.parent.name if self.parent is not None else "?"
        return f'loc("{self.name}") in @{fn}'

    def __repr__(self) -> str:
        return f"<Op {self.type} {self.name!r}>"

    # ---- mutation -------------------------------------------------------------------
    def erase(self) -> None:
        """Remove from the function. Results and the control token must be unused."""
        for r in self.results:
            if r.uses:
                raise ValueError(f"cannot erase {self!r}: result #{r.index} still has uses")
        if self.control.uses:
            raise ValueError(f"cannot erase {self!r}: control token still has uses")
        self.drop_all_references()
        if self.parent is not None:
            self.parent._remove_op(self)


class OpList(Sequence):
    """A function's ops in order: a read-only view of its linked list.

    Iterating walks a snapshot (the list as it was when the loop started), so a loop may
    insert or erase ops; indexing other than [0] / [-1] and `index` are O(n) once per change
    of the function (the snapshot is cached until the next insertion or erasure).
    """

    __slots__ = ("_fn",)

    def __init__(self, fn: Function):
        self._fn = fn

    def _list(self) -> list[Op]:
        fn = self._fn
        cache = fn._cache
        if cache is None:
            cache = []
            op = fn._head
            while op is not None:
                cache.append(op)
                op = op._next
            fn._cache = cache
        return cache

    def __len__(self) -> int:
        return self._fn._count

    def __bool__(self) -> bool:
        return self._fn._count > 0

    def __iter__(self) -> Iterator[Op]:
        return iter(self._list())

    def __reversed__(self) -> Iterator[Op]:
        return reversed(self._list())

    @overload
    def __getitem__(self, i: int) -> Op: ...

    @overload
    def __getitem__(self, i: slice) -> list[Op]: ...

    def __getitem__(self, i: int | slice) -> Op | list[Op]:
        fn = self._fn
        if i == 0 and fn._head is not None and isinstance(i, int):
            return fn._head
        if i == -1 and fn._tail is not None and isinstance(i, int):
            return fn._tail
        return self._list()[i]

    def __contains__(self, op: object) -> bool:
        return isinstance(op, Op) and op.parent is self._fn

    def index(self, op: Op, start: int = 0, stop: int | None = None) -> int:
        return self._list().index(op, start, len(self) if stop is None else stop)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, OpList):
            other = other._list()
        if isinstance(other, (list, tuple)):
            return self._list() == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"OpList({self._list()!r})"


class Function:
    """A FunctionDef (or the SavedModel's main graph when `is_graph`)."""

    def __init__(self, name: str, module: Module | None = None, is_graph: bool = False):
        self.name = name
        self.module = module
        self.is_graph = is_graph
        self.args: list[Argument] = []
        self._head: Op | None = None    # first op of the linked list
        self._tail: Op | None = None    # last op
        self._count = 0
        self._cache: list[Op] | None = None   # the ops as a list, until the next change
        self._view = OpList(self)
        self.returns: list[Value] = []            # data values returned, in output_arg order
        self.result_names: list[str] = []         # output_arg names
        self.result_attrs: list[dict[str, Any]] = []   # IR-only annotations per result
        self.control_rets: list[tuple[str, ControlToken]] = []
        self.attrs: dict[str, Any] = {}
        self._names: set[str] | None = None       # lazily built set of op names for unique naming
        self._suffix: dict[str, int] = {}         # base -> lowest k such that "{base}_{k}" may be free

    @property
    def ops(self) -> OpList:
        """The ops in order (read-only; insert with a Builder, erase with `Op.erase`)."""
        return self._view

    @ops.setter
    def ops(self, ops: Iterable[Op]) -> None:
        """Relink the list in the given order (same ops, e.g. after sorting)."""
        ops = list(ops)
        prev = None
        for op in ops:
            op._prev = prev
            if prev is not None:
                prev._next = op
            prev = op
        if prev is not None:
            prev._next = None
        self._head = ops[0] if ops else None
        self._tail = prev
        self._count = len(ops)
        self._cache = ops

    # ---- signature ------------------------------------------------------------------
    @property
    def arg_types(self) -> list[Any]:
        return [a.type for a in self.args]

    @property
    def result_types(self) -> list[Any]:
        return [v.type for v in self.returns]

    def add_argument(self, name: str, vtype: Any, attrs: Mapping[str, Any] | None = None,
                     index: int | None = None) -> Argument:
        if index is None or index == len(self.args):
            arg = Argument(self, len(self.args), name, vtype, attrs)
            self.args.append(arg)
            return arg
        arg = Argument(self, index, name, vtype, attrs)
        self.args.insert(index, arg)
        for i, a in enumerate(self.args):
            a.index = i
        return arg

    def erase_argument(self, index: int) -> None:
        arg = self.args[index]
        if arg.uses:
            raise ValueError(f"argument %{arg.name} of @{self.name} still has uses")
        shapes = self.attrs.get("_input_shapes")
        if isinstance(shapes, list) and len(shapes) == len(self.args):   # TF's per-argument shapes
            self.attrs["_input_shapes"] = shapes[:index] + shapes[index + 1:]
        del self.args[index]
        for i, a in enumerate(self.args):
            a.index = i

    def set_returns(self, values: Iterable[Value], names: Iterable[str] | None = None,
                    attrs: Iterable[Mapping[str, Any]] | None = None) -> None:
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

    def add_control_ret(self, name: str, token: ControlToken | Op) -> None:
        if isinstance(token, Op):
            token = token.control
        self.control_rets.append((name, token))
        token.uses.append((self, -1))

    def set_control_rets(self, items: Iterable[tuple[str, ControlToken | Op]]) -> None:
        for _, old in self.control_rets:
            old.uses.remove((self, -1))
        self.control_rets = []
        for name, tok in items:
            self.add_control_ret(name, tok)

    def _replace_return(self, old: Value, new: Any) -> None:
        if isinstance(old, ControlToken):
            items = [(n, new if t is old else t) for n, t in self.control_rets]
            items = [(n, t) for n, t in items if t is not None]
            self.set_control_rets(items)
        else:
            self.set_returns([new if v is old else v for v in self.returns])

    # ---- ops ------------------------------------------------------------------------
    def unique_op_name(self, base: str) -> str:
        """`base`, or `base_K` with the smallest K >= 1 that no op of this function uses."""
        names = self._names
        if names is None:
            names = self._names = {op.name for op in self.ops}
        if base not in names:
            return base
        # Every "{base}_{j}" for j below the remembered k is taken (erasing or renaming one
        # lowers k again), so many ops named alike stay O(1) each.
        i = self._suffix.get(base, 1)
        while f"{base}_{i}" in names:
            i += 1
        self._suffix[base] = i
        return f"{base}_{i}"

    def _forget_name(self, name: str) -> None:
        if self._names is None:
            return
        self._names.discard(name)
        head, _, tail = name.rpartition("_")
        if head and tail.isascii() and tail.isdigit() and str(int(tail)) == tail:
            k = self._suffix.get(head)
            if k is not None and int(tail) < k:
                self._suffix[head] = int(tail)

    def _adopt(self, op: Op, uniquify: bool) -> None:
        if op.parent is not None:
            raise ValueError(f"{op!r} already belongs to @{op.parent.name}")
        if uniquify:
            op.name = self.unique_op_name(op.name)
        if self._names is not None:
            self._names.add(op.name)
        op.parent = self

    def _link_before(self, anchor: Op | None, op: Op) -> None:
        """Put detached `op` before `anchor` (None: at the end). O(1)."""
        if anchor is not None and anchor.parent is not self:
            raise ValueError(f"{anchor!r} is not an op of @{self.name}")
        prev = anchor._prev if anchor is not None else self._tail
        op._prev, op._next = prev, anchor
        if prev is None:
            self._head = op
        else:
            prev._next = op
        if anchor is None:
            self._tail = op
        else:
            anchor._prev = op
        self._count += 1
        self._cache = None

    def _link_after(self, anchor: Op | None, op: Op) -> None:
        """Put detached `op` after `anchor` (None: at the start). O(1)."""
        if anchor is not None and anchor.parent is not self:
            raise ValueError(f"{anchor!r} is not an op of @{self.name}")
        self._link_before(anchor._next if anchor is not None else self._head, op)

    def _unlink(self, op: Op) -> None:
        prev, nxt = op._prev, op._next
        if prev is None:
            self._head = nxt
        else:
            prev._next = nxt
        if nxt is None:
            self._tail = prev
        else:
            nxt._prev = prev
        op._prev = op._next = None
        self._count -= 1
        self._cache = None

    # The primitives a Builder places ops with (passes use a Builder, not these).
    def append(self, op: Op, uniquify: bool = True) -> Op:
        self._adopt(op, uniquify)
        self._link_before(None, op)
        return op

    def insert_before(self, anchor: Op, op: Op, uniquify: bool = True) -> Op:
        if anchor.parent is not self:
            raise ValueError(f"{anchor!r} is not an op of @{self.name}")
        self._adopt(op, uniquify)
        self._link_before(anchor, op)
        return op

    def insert_after(self, anchor: Op, op: Op, uniquify: bool = True) -> Op:
        if anchor.parent is not self:
            raise ValueError(f"{anchor!r} is not an op of @{self.name}")
        self._adopt(op, uniquify)
        self._link_after(anchor, op)
        return op

    def inserting_before(self, op: Op) -> Builder:
        """A Builder that inserts before `op` (`with fn.inserting_before(op) as b:`)."""
        from smopt.ir.builder import Builder
        return Builder.before(op)

    def inserting_after(self, op: Op) -> Builder:
        """A Builder that inserts after `op`, each new op after the previous one."""
        from smopt.ir.builder import Builder
        return Builder.after(op)

    def inserting_at_start(self) -> Builder:
        from smopt.ir.builder import Builder
        return Builder.at_start(self)

    def inserting_at_end(self) -> Builder:
        from smopt.ir.builder import Builder
        return Builder.at_end(self)

    def rename_op(self, op: Op, name: str) -> None:
        """Give `op` a new node name (must be free in this function)."""
        if self._names is not None:
            if name in self._names and name != op.name:
                raise ValueError(f"node name '{name}' already used in @{self.name}")
            self._forget_name(op.name)
            self._names.add(name)
        op.name = name

    def _remove_op(self, op: Op) -> None:
        self._unlink(op)
        if self._names is not None:
            self._forget_name(op.name)
        op.parent = None

    def remove_ops(self, dead: Iterable[Op]) -> None:
        """Erase a set of ops at once (they may use each other, but nothing else may use them)."""
        dead = list({id(o): o for o in dead}.values())
        dead_ids = {id(o) for o in dead}
        for op in dead:
            op.drop_all_references()
        for op in dead:
            for v in list(op.results) + [op.control]:
                if any(id(u) not in dead_ids for u, _ in v.uses):
                    raise ValueError(f"cannot erase {op!r}: still used outside the erased set")
        for op in dead:
            if op.parent is self:
                self._unlink(op)
        for op in dead:
            op.parent = None
            if self._names is not None:
                self._forget_name(op.name)

    def sort_topologically(self) -> None:
        """Reorder ops so that every def precedes its uses; stable for already-valid orders.

        Raises ValueError naming an op on a cycle if the dataflow has one.
        """
        if self._is_topologically_sorted():
            return
        index = {id(op): i for i, op in enumerate(self.ops)}
        indeg = {}
        succs: dict[int, list[Op]] = {id(op): [] for op in self.ops}
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

    def _is_topologically_sorted(self) -> bool:
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

    def walk_function_refs(self) -> Iterator[tuple[Op, str, str]]:
        """Yield (op, function name, how) for every call edge out of this function."""
        for op in self.ops:
            callee = op.callee
            if callee is not None and callee == op.type:
                yield op, callee, "call"
            for key, value in op.attrs.items():
                from smopt.ir.attributes import function_refs
                for name in function_refs(value):
                    yield op, name, key

    def clone(self, new_name: str, module: Module | None = None) -> Function:
        """A deep copy of this function (same op names) under `new_name`."""
        f = Function(new_name, module if module is not None else self.module, self.is_graph)
        vmap: dict[Any, Any] = {}
        for a in self.args:
            vmap[a] = f.add_argument(a.name, a.type, a.attrs)
        clone_ops_into(self.ops, f, vmap)
        f.set_returns([vmap[v] for v in self.returns], list(self.result_names),
                      [dict(a) for a in self.result_attrs])
        f.set_control_rets([(n, vmap[t]) for n, t in self.control_rets])
        f.attrs = dict(self.attrs)
        return f

    def __repr__(self) -> str:
        return f"<Function @{self.name}: {len(self.args)} args, {len(self.ops)} ops>"


def clone_op(op: Op, vmap: dict[Any, Any], name: str | None = None) -> Op:
    """Copy `op` with operands remapped through `vmap` (missing entries map to themselves)."""
    new = Op(op.type, [vmap.get(v, v) for v in op.operands], [r.type for r in op.results],
             dict(op.attrs), name or op.name,
             [vmap.get(c, c) for c in op.control_inputs], op.device)
    for r, nr in zip(op.results, new.results):
        vmap[r] = nr
    vmap[op.control] = new.control
    return new


def clone_ops_into(ops: Iterable[Op], function: Function, vmap: dict[Any, Any], name_prefix: str = "",
                   uniquify: bool = False, anchor: Op | None = None) -> list[Op]:
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

    def __init__(self, name: str, function: str, method_name: str = "tensorflow/serving/predict",
                 inputs: Iterable[tuple[str, str, Any]] = (), outputs: Iterable[tuple[str, str, Any]] = (),
                 defaults: Mapping[str, Any] | None = None) -> None:
        self.name = name
        self.function = function
        self.method_name = method_name
        self.inputs = list(inputs)    # list of (key, tensor_name, TensorType)
        self.outputs = list(outputs)  # list of (key, tensor_name, TensorType)
        self.defaults = dict(defaults or {})


class Variable:
    """A SavedVariable of the object graph; values stay in the checkpoint unless asked for."""

    def __init__(self, path: str, ttype: Any, node_id: int, name: str = "", checkpoint_key: str = "",
                 trainable: bool = False, attrs: Mapping[str, Any] | None = None) -> None:
        self.path = path                  # object-graph path, unique in the model
        self.type = ttype
        self.node_id = node_id
        self.name = name
        self.checkpoint_key = checkpoint_key
        self.trainable = trainable
        self.attrs = dict(attrs or {})    # e.g. synchronization/aggregation, device
        self.value: Any = None            # numpy array once a pass set a new value




class Asset:
    def __init__(self, filename: str, node_id: int, tensor_name: str = "") -> None:
        self.filename = filename
        self.node_id = node_id
        self.tensor_name = tensor_name


class Module:
    """A SavedModel (or IR text): library functions, the main graph, signatures, aliases,
    variables, assets and what export needs of the MetaGraphDef."""

    def __init__(self) -> None:
        self.functions: dict[str, Function] = {}   # name -> Function, in import/print order
        self.graph: Function | None = None   # the SavedModel's main graph (a Function with is_graph)
        self.signatures: dict[str, Signature] = {}  # name -> Signature
        # alias -> the functions it names, sorted. A SavedModel's function_aliases map each
        # concrete function to an alias, so one alias names every concrete function (trace) of
        # the aliased tf.function: a signature that calls it usually holds a trace of its own.
        self.aliases: dict[str, list[str]] = {}
        self.variables: list[Variable] = []
        self.assets: list[Asset] = []
        self.attrs: dict[str, Any] = {}      # module attributes (tags, versions, ...)
        self.meta_graph: bytes | None = None  # serialized MetaGraphDef remainder for export
        self.op_defs: dict[str, Any] = {}    # extra op defs (custom ops) from the model's stripped_op_list
        self.source: str | None = None       # where the module came from (path), for messages
        # callable(Variable) -> numpy array, set by the importer
        self.variable_reader: Callable[[Variable], Any] | None = None
        # Exported functions a pass removed on purpose (symbol-dce{keep-exported=false}): the
        # exporter drops them from the object graph instead of refusing to export.
        self.dropped_exports: set[str] = set()

    # ---- variable values ------------------------------------------------------------
    def read_variable(self, var: Variable) -> Any:
        """The variable's current value as a numpy array (loaded from the checkpoint lazily).

        Raises LookupError when the module has no checkpoint behind it (IR text input).
        """
        if var.value is not None:
            return var.value
        if self.variable_reader is None:
            raise LookupError(f"no checkpoint to read variable '{var.path}' from (IR text input)")
        return self.variable_reader(var)

    def set_variable(self, var: Variable, array: Any, vtype: Any = None) -> None:
        """Give `var` a new value (and type, e.g. bf16 or int8); export writes it to variables/."""
        var.value = array
        if vtype is not None:
            var.type = vtype

    def variable_by_path(self, path: str) -> Variable | None:
        for v in self.variables:
            if v.path == path:
                return v
        return None

    # ---- functions ------------------------------------------------------------------
    def add_function(self, function: Function) -> Function:
        if function.name in self.functions:
            raise ValueError(f"function @{function.name} already exists")
        function.module = self
        self.functions[function.name] = function
        return function

    def remove_function(self, name: str) -> Function:
        f = self.functions.pop(name)
        f.module = None
        return f

    def unique_function_name(self, base: str) -> str:
        if base not in self.functions:
            return base
        for i in itertools.count(1):
            cand = f"{base}_{i}"
            if cand not in self.functions:
                return cand
        raise AssertionError("unreachable")

    def rename_function(self, old: str, new: str) -> None:
        """Rename a function and every reference to it (attrs, direct calls, aliases, signatures)."""
        if new in self.functions:
            raise ValueError(f"function @{new} already exists")
        f = self.functions.pop(old)
        f.name = new
        self.functions[new] = f
        self.retarget_function_refs({old: new})

    def retarget_function_refs(self, mapping: Mapping[str, str]) -> None:
        """Point every reference to a function named in `mapping` (old -> new) at the new
        name: direct calls, function-valued attributes, aliases and signatures."""
        for fn in self.all_functions():
            for op in fn.ops:
                if op.type in mapping:
                    op.type = mapping[op.type]
                for k, v in op.attrs.items():
                    op.attrs[k] = rename_function_refs(v, mapping)
        for a, targets in list(self.aliases.items()):
            self.aliases[a] = sorted({mapping.get(t, t) for t in targets})
        for s in self.signatures.values():
            s.function = mapping.get(s.function, s.function)

    def all_functions(self) -> Iterator[Function]:
        """The main graph (if any) followed by every library function."""
        if self.graph is not None:
            yield self.graph
        yield from self.functions.values()

    # ---- function aliases -----------------------------------------------------------
    def add_alias(self, alias: str, name: str) -> None:
        """Give function `name` the alias `alias` (one alias may name several functions)."""
        targets = self.aliases.setdefault(alias, [])
        if name not in targets:
            targets.append(name)
            targets.sort()

    def aliased_functions(self) -> set[str]:
        """Every function that carries an alias."""
        return {f for targets in self.aliases.values() for f in targets}

    def alias_function(self, alias: str) -> str:
        """The function an alias names, when it names exactly one (KeyError or ValueError
        otherwise)."""
        targets = self.aliases[alias]
        if len(targets) != 1:
            raise ValueError(f"function alias '{alias}' names {len(targets)} functions: "
                             + ", ".join("@" + t for t in targets))
        return targets[0]

    def function_aliases_of(self, name: str) -> list[str]:
        return sorted(a for a, fs in self.aliases.items() if name in fs)

    def variable_by_node(self, node_id: int) -> Variable | None:
        for v in self.variables:
            if v.node_id == node_id:
                return v
        return None

    def op_count(self) -> int:
        return sum(len(f.ops) for f in self.all_functions())

    def call_graph(self) -> CallGraph:
        from smopt.ir.callgraph import CallGraph
        return CallGraph(self)


def make_const(value: Any, name: str = "Const", element: Any = None) -> Op:
    """A `tf.Const` op holding `value` (numpy-convertible)."""
    from smopt.ir.attributes import DenseElements
    dense = DenseElements.from_numpy(value, element) if not isinstance(value, DenseElements) else value
    return Op("Const", (), [dense.type], {"dtype": dense.type.dtype, "value": dense}, name)


__all__ = ["Value", "Argument", "OpResult", "ControlToken", "Op", "Function", "Module",
           "Signature", "Variable", "Asset", "clone_op", "clone_ops_into", "make_const",
           "CALL_OPS"]
