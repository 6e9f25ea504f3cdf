"""An insertion point that creates ops: the one way passes add ops to a function.

Modelled on MLIR's OpBuilder and torch.fx's `graph.inserting_before`:

    b = Builder.before(op)                    # or fn.inserting_before(op)
    cast = b.create("Cast", [x], [T.TensorType(T.bfloat16, x.type.shape)],
                    {"SrcT": T.float32, "DstT": T.bfloat16}, name=op.name + "/cast")
    with fn.inserting_after(op) as b:         # new ops follow `op`, each after the previous
        b.const(np.int32(0), name="axis")

Several ops created from one builder come out in creation order wherever it points.
Names are made unique in the function (`Function.unique_op_name`) unless `uniquify=False`.
Insertion is O(1): functions keep their ops in a linked list.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from smopt.ir.core import ControlToken, Function, Op, Value, clone_op, make_const

__all__ = ["Builder"]


class Builder:
    """Creates ops at an insertion point of one function.

    The point is either *before* an op (None: at the end) or *after* an op (None: at the
    start); after inserting, an *after* point moves to the new op so that the next op
    follows it. `listener(op)`, when given, hears of every inserted op (the rewrite driver
    uses it to know what a pattern created).
    """

    __slots__ = ("function", "_anchor", "_after", "listener")

    def __init__(self, function: Function, anchor: Op | None = None, after: bool = False,
                 listener: Callable[[Op], None] | None = None):
        self.function = function
        self._anchor = anchor
        self._after = after
        self.listener = listener
        if anchor is not None and anchor.parent is not function:
            raise ValueError(f"{anchor!r} is not an op of @{function.name}")

    # ---- where ------------------------------------------------------------------------
    @classmethod
    def before(cls, op: Op, listener: Callable[[Op], None] | None = None) -> Builder:
        """Insert in front of `op` (which must be in a function)."""
        return cls(_parent(op), op, False, listener)

    @classmethod
    def after(cls, op: Op, listener: Callable[[Op], None] | None = None) -> Builder:
        """Insert behind `op`; successive ops keep their creation order."""
        return cls(_parent(op), op, True, listener)

    @classmethod
    def at_start(cls, function: Function, listener: Callable[[Op], None] | None = None) -> Builder:
        """Insert at the start of `function`; successive ops keep their creation order."""
        return cls(function, None, True, listener)

    @classmethod
    def at_end(cls, function: Function, listener: Callable[[Op], None] | None = None) -> Builder:
        return cls(function, None, False, listener)

    def set_insertion_point_before(self, op: Op) -> None:
        self.function, self._anchor, self._after = _parent(op), op, False

    def set_insertion_point_after(self, op: Op) -> None:
        self.function, self._anchor, self._after = _parent(op), op, True

    def set_insertion_point_to_start(self, function: Function) -> None:
        self.function, self._anchor, self._after = function, None, True

    def set_insertion_point_to_end(self, function: Function) -> None:
        self.function, self._anchor, self._after = function, None, False

    def __enter__(self) -> Builder:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    # ---- what -------------------------------------------------------------------------
    def insert(self, op: Op, uniquify: bool = True) -> Op:
        """Place a detached op (a clone, or one made by a helper) at the insertion point."""
        fn = self.function
        if self._anchor is not None and self._anchor.parent is not fn:
            raise ValueError(f"insertion point {self._anchor!r} is no longer in @{fn.name}")
        fn._adopt(op, uniquify)
        if self._after:
            fn._link_after(self._anchor, op)
            self._anchor = op
        else:
            fn._link_before(self._anchor, op)
        if self.listener is not None:
            self.listener(op)
        return op

    def create(self, op_type: str, operands: Iterable[Value] = (), result_types: Iterable[Any] = (),
               attrs: Mapping[str, Any] | None = None, name: str | None = None, *,
               control_inputs: Iterable[ControlToken | Op] = (), device: str = "",
               uniquify: bool = True) -> Op:
        """A new `op_type` op (node name `name`, default the type) at the insertion point."""
        op = Op(op_type, operands, result_types, attrs, name, control_inputs, device)
        return self.insert(op, uniquify)

    def const(self, value: Any, name: str = "Const", element: Any = None, *, device: str = "",
              uniquify: bool = True) -> Op:
        """A `Const` op holding `value` (numpy-convertible or DenseElements)."""
        op = make_const(value, name, element)
        op.device = device
        return self.insert(op, uniquify)

    def clone(self, op: Op, vmap: dict[Value, Value] | None = None, name: str | None = None, *,
              uniquify: bool = True) -> Op:
        """A copy of `op` with operands remapped through `vmap` (which learns the copy's
        results and control token)."""
        return self.insert(clone_op(op, {} if vmap is None else vmap, name), uniquify)

    def __repr__(self) -> str:
        where = "after" if self._after else "before"
        anchor = self._anchor.name if self._anchor is not None else ("start" if self._after else "end")
        return f"<Builder {where} {anchor!r} in @{self.function.name}>"


def _parent(op: Op) -> Function:
    if op.parent is None:
        raise ValueError(f"{op!r} is not in a function")
    return op.parent
