"""Attribute values: the IR side of TF's `AttrValue`.

Python natives carry the simple kinds: bool, int, float, str (bytes when not valid UTF-8),
lists (Python lists). Types are DType/TensorType objects. The classes here carry the rest:
shapes, function references, tensors (kept as numpy arrays, never as Python lists) and
placeholders. All are immutable and hashable so CSE can key on attribute dicts.
"""
from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from smopt.ir import types as T


class ShapeAttr:
    """A `TensorShapeProto` value: dims tuple (-1 dynamic) or None for unknown rank."""

    __slots__ = ("dims",)

    def __init__(self, dims: Any) -> None:
        self.dims: tuple[int, ...] | None = None if dims is None else tuple(int(d) if d >= 0 else -1 for d in dims)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ShapeAttr) and self.dims == other.dims

    def __hash__(self) -> int:
        return hash(("shape", self.dims))

    def __repr__(self) -> str:
        if self.dims is None:
            return "#tf_type.shape<*>"
        return "#tf_type.shape<" + "x".join("?" if d < 0 else str(d) for d in self.dims) + ">"


class FuncAttr:
    """A function reference (`NameAttrList`): callee name plus its own attrs."""

    __slots__ = ("name", "attrs")

    def __init__(self, name: str, attrs: Mapping[str, Any] | None = None) -> None:
        self.name = name
        self.attrs: dict[str, Any] = dict(attrs or {})

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FuncAttr) and self.name == other.name and self.attrs == other.attrs

    def __hash__(self) -> int:
        return hash(("func", self.name, freeze(self.attrs)))

    def with_name(self, name: str) -> FuncAttr:
        return FuncAttr(name, self.attrs)

    def __repr__(self) -> str:
        return f"FuncAttr(@{self.name}, {self.attrs})"


class Placeholder:
    """`AttrValue.placeholder`: a reference to an attr of the enclosing function."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Placeholder) and self.name == other.name

    def __hash__(self) -> int:
        return hash(("placeholder", self.name))


class DenseElements:
    """A constant tensor held as a numpy array of the element type's numpy dtype.

    String tensors are object arrays of `bytes`. The array is never mutated after
    construction; build a new DenseElements to change a value.
    """

    __slots__ = ("type", "array", "_hash")

    def __init__(self, ttype: T.TensorType, array: Any) -> None:
        if not ttype.has_static_shape:
            raise ValueError(f"dense constant needs a static shape, got {ttype}")
        self.type = ttype
        dt = ttype.dtype
        shape: Any = ttype.shape
        arr: Any
        if dt is T.string:
            arr = np.empty(shape, dtype=object)
            flat = np.asarray(array, dtype=object).reshape(-1)
            if flat.size == 1 and ttype.num_elements != 1:
                flat = np.repeat(flat, ttype.num_elements)  # type: ignore[arg-type]
            arr.reshape(-1)[:] = [x if isinstance(x, bytes) else str(x).encode() for x in flat]
        else:
            arr = np.asarray(array, dtype=dt.np)
            if arr.shape != ttype.shape:
                arr = np.broadcast_to(arr.reshape(()), shape) if arr.size == 1 else arr.reshape(shape)
            arr = np.ascontiguousarray(arr)
        arr.flags.writeable = False
        self.array: np.ndarray = arr
        self._hash: int | None = None

    @classmethod
    def from_numpy(cls, array: Any, element: T.Element | None = None) -> DenseElements:
        array = np.asarray(array)
        element = element or T.dtype_from_numpy(array.dtype)
        return cls(T.TensorType(element, array.shape), array)

    @property
    def is_splat(self) -> bool:
        a = self.array
        if a.size <= 1:
            return True
        flat = a.reshape(-1)
        if a.dtype == object:
            return all(x == flat[0] for x in flat)
        return bool(np.all(flat.view(np.uint8).reshape(a.size, -1) == flat[:1].view(np.uint8)))

    def raw_bytes(self) -> bytes:
        if self.array.dtype == object:
            return b"\0".join(self.array.reshape(-1).tolist())
        return self.array.tobytes()

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, DenseElements) and self.type == other.type
                and self.raw_bytes() == other.raw_bytes())

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash((self.type, self.raw_bytes()))
        return self._hash

    def __repr__(self) -> str:
        return f"DenseElements({self.type})"


class OpaqueTensor:
    """A TensorProto the IR does not interpret (variant/resource payloads): raw bytes."""

    __slots__ = ("type", "proto_bytes")

    def __init__(self, ttype: T.TensorType, proto_bytes: bytes) -> None:
        self.type = ttype
        self.proto_bytes = bytes(proto_bytes)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, OpaqueTensor) and self.proto_bytes == other.proto_bytes

    def __hash__(self) -> int:
        return hash(("opaque", self.proto_bytes))


class Elided:
    """Stands for a constant that the printer elided; it cannot be exported or executed."""

    __slots__ = ("type",)

    def __init__(self, ttype: T.TensorType) -> None:
        self.type = ttype

    def __eq__(self, other: object) -> bool:
        return self is other

    def __hash__(self) -> int:
        return id(self)


def freeze(value: Any) -> tuple[Any, ...]:
    """A hashable version of an attribute value (lists and dicts become tuples)."""
    if isinstance(value, list):
        return ("list",) + tuple(freeze(v) for v in value)
    if isinstance(value, dict):
        return ("dict",) + tuple(sorted((k, freeze(v)) for k, v in value.items()))
    if isinstance(value, float) and value != value:
        return ("nan",)
    return (type(value).__name__, value)


def function_refs(value: Any) -> Iterator[str]:
    """Yield every function name referenced by an attribute value (recursively)."""
    if isinstance(value, FuncAttr):
        yield value.name
        if isinstance(value, FuncAttr):
            for v in value.attrs.values():
                yield from function_refs(v)
    elif isinstance(value, list):
        for v in value:
            yield from function_refs(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from function_refs(v)


def rename_function_refs(value: Any, mapping: Mapping[str, str]) -> Any:
    """Return `value` with function references renamed by `mapping` (old -> new)."""
    if isinstance(value, FuncAttr):
        return FuncAttr(mapping.get(value.name, value.name),
                        {k: rename_function_refs(v, mapping) for k, v in value.attrs.items()})
    if isinstance(value, list):
        return [rename_function_refs(v, mapping) for v in value]
    return value
