"""IR types: TF dtypes, tensor types, the control type and uniform-quantized element types.

Types are immutable and hashable so that passes can compare and use them as dict keys.
The text spelling follows MLIR's TF dialect (`tensor<?x10xf32>`, `!tf_type.resource<...>`,
`!quant.uniform<i8:f32, 0.5:-3>`), so a reader who knows `tf-opt` output can read ours.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Union

import ml_dtypes
import numpy as np


class DType:
    """One TensorFlow `DataType` enum value."""

    __slots__ = ("name", "enum", "mlir", "np")

    def __init__(self, name: str, enum: int, mlir: str, np_dtype: Any) -> None:
        self.name = name
        self.enum = enum
        self.mlir = mlir
        self.np: np.dtype | None = np.dtype(np_dtype) if np_dtype is not None else None

    def __repr__(self) -> str:
        return f"DType({self.name})"

    @property
    def is_float(self) -> bool:
        return self.name in ("float16", "bfloat16", "float32", "float64") or self.name.startswith("float8")

    @property
    def is_integer(self) -> bool:
        return self.np is not None and self.np.kind in "iu" and not self.name.startswith("q")

    @property
    def is_quantized(self) -> bool:
        return self.name.startswith(("qint", "quint"))

    @property
    def is_complex(self) -> bool:
        return self.name.startswith("complex")

    @property
    def itemsize(self) -> int | None:
        """Bytes per element, or None for strings/handles."""
        return self.np.itemsize if self.np is not None and self.np.kind != "O" else None


_DTYPE_TABLE = [
    ("float32", 1, "f32", np.float32),
    ("float64", 2, "f64", np.float64),
    ("int32", 3, "i32", np.int32),
    ("uint8", 4, "ui8", np.uint8),
    ("int16", 5, "i16", np.int16),
    ("int8", 6, "i8", np.int8),
    ("string", 7, "!tf_type.string", object),
    ("complex64", 8, "complex<f32>", np.complex64),
    ("int64", 9, "i64", np.int64),
    ("bool", 10, "i1", np.bool_),
    ("qint8", 11, "!tf_type.qint8", np.int8),
    ("quint8", 12, "!tf_type.quint8", np.uint8),
    ("qint32", 13, "!tf_type.qint32", np.int32),
    ("bfloat16", 14, "bf16", ml_dtypes.bfloat16),
    ("qint16", 15, "!tf_type.qint16", np.int16),
    ("quint16", 16, "!tf_type.quint16", np.uint16),
    ("uint16", 17, "ui16", np.uint16),
    ("complex128", 18, "complex<f64>", np.complex128),
    ("float16", 19, "f16", np.float16),
    ("resource", 20, "!tf_type.resource", None),
    ("variant", 21, "!tf_type.variant", None),
    ("uint32", 22, "ui32", np.uint32),
    ("uint64", 23, "ui64", np.uint64),
    ("float8_e5m2", 24, "f8E5M2", ml_dtypes.float8_e5m2),
    ("float8_e4m3fn", 25, "f8E4M3FN", ml_dtypes.float8_e4m3fn),
    ("float8_e4m3fnuz", 26, "f8E4M3FNUZ", ml_dtypes.float8_e4m3fnuz),
    ("float8_e4m3b11fnuz", 27, "f8E4M3B11FNUZ", ml_dtypes.float8_e4m3b11fnuz),
    ("float8_e5m2fnuz", 28, "f8E5M2FNUZ", ml_dtypes.float8_e5m2fnuz),
    ("int4", 29, "i4", ml_dtypes.int4),
    ("uint4", 30, "ui4", ml_dtypes.uint4),
    ("int2", 31, "i2", ml_dtypes.int2),
    ("uint2", 32, "ui2", ml_dtypes.uint2),
]

DTYPES = [DType(*row) for row in _DTYPE_TABLE]
BY_NAME = {d.name: d for d in DTYPES}
BY_ENUM = {d.enum: d for d in DTYPES}
BY_MLIR = {d.mlir: d for d in DTYPES}

float32 = BY_NAME["float32"]
float64 = BY_NAME["float64"]
float16 = BY_NAME["float16"]
bfloat16 = BY_NAME["bfloat16"]
int8 = BY_NAME["int8"]
uint8 = BY_NAME["uint8"]
int32 = BY_NAME["int32"]
int64 = BY_NAME["int64"]
bool_ = BY_NAME["bool"]
string = BY_NAME["string"]
resource = BY_NAME["resource"]
variant = BY_NAME["variant"]


def dtype_from_enum(enum: int) -> DType:
    try:
        return BY_ENUM[enum]
    except KeyError:
        if enum > 100:
            raise ValueError(f"reference dtype {enum} (TF1 ref variables) is not supported") from None
        raise ValueError(f"unknown DataType enum {enum}") from None


def dtype_from_numpy(np_dtype: Any) -> DType:
    np_dtype = np.dtype(np_dtype)
    if np_dtype.kind in "OSU":
        return string
    for d in DTYPES:
        if d.np == np_dtype and not d.is_quantized:
            return d
    raise ValueError(f"no TF dtype for numpy dtype {np_dtype}")


class QuantizedType:
    """A uniform-quantized element type: real = scale * (stored - zero_point).

    Per-tensor when `axis` is None (scale/zero_point are scalars), per-axis otherwise
    (tuples, one entry per slice along `axis`).
    """

    __slots__ = ("storage", "expressed", "scale", "zero_point", "axis", "_hash")

    def __init__(self, storage: DType, expressed: DType, scale: float | Iterable[float],
                 zero_point: int | Iterable[int], axis: int | None = None) -> None:
        self.storage = storage
        self.expressed = expressed
        self.scale: float | tuple[float, ...]
        self.zero_point: int | tuple[int, ...]
        if axis is None:
            self.scale, self.zero_point = float(scale), int(zero_point)  # type: ignore[arg-type]
        else:
            self.scale = tuple(float(s) for s in scale)  # type: ignore[union-attr]
            self.zero_point = tuple(int(z) for z in zero_point)  # type: ignore[union-attr]
            if len(self.scale) != len(self.zero_point):
                raise ValueError("per-axis scales and zero points differ in length")
        self.axis = axis
        self._hash = hash((storage.name, expressed.name, self.scale, self.zero_point, axis))

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, QuantizedType) and self.storage is other.storage
                and self.expressed is other.expressed and self.scale == other.scale
                and self.zero_point == other.zero_point and self.axis == other.axis)

    def __hash__(self) -> int:
        return self._hash

    @property
    def name(self) -> str:
        return "quantized"

    @property
    def storage_range(self) -> tuple[int, int]:
        info = np.iinfo(self.storage.np)
        return int(info.min), int(info.max)

    def __str__(self) -> str:
        if self.axis is None:
            params = f"{_fmt_scale(self.scale)}:{self.zero_point}"  # type: ignore[arg-type]
            return f"!quant.uniform<{self.storage.mlir}:{self.expressed.mlir}, {params}>"
        params = ",".join(f"{_fmt_scale(s)}:{z}"
                          for s, z in zip(self.scale, self.zero_point))  # type: ignore[arg-type]
        return f"!quant.uniform<{self.storage.mlir}:{self.expressed.mlir}:{self.axis}, {{{params}}}>"

    __repr__ = __str__


def _fmt_scale(x: float) -> str:
    return repr(float(x))


# The element type of a tensor: a TF dtype or a uniform-quantized type.
Element = Union[DType, "QuantizedType"]


class TensorType:
    """`tensor<shape x element>`; shape is None for unknown rank, -1 marks a dynamic dim.

    `element` is a DType or a QuantizedType. Resource and variant tensors may carry
    `subtypes` (the handle data: dtype and shape of what the handle points at).
    """

    __slots__ = ("element", "shape", "subtypes", "_hash")

    def __init__(self, element: Element, shape: Iterable[int | None] | None = None,
                 subtypes: Iterable[TensorType] = ()) -> None:
        self.element = element
        self.shape: tuple[int, ...] | None = None if shape is None else tuple(int(d) if d is not None and d >= 0 else -1 for d in shape)
        self.subtypes = tuple(subtypes)
        self._hash = hash((id(element) if isinstance(element, DType) else element, self.shape, self.subtypes))

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, TensorType) and self.shape == other.shape
                and self.element == other.element and self.subtypes == other.subtypes)

    def __hash__(self) -> int:
        return self._hash

    @property
    def dtype(self) -> DType:
        """The DType of stored values (the storage type for quantized tensors)."""
        return self.element.storage if isinstance(self.element, QuantizedType) else self.element

    @property
    def rank(self) -> int | None:
        return None if self.shape is None else len(self.shape)

    @property
    def has_static_shape(self) -> bool:
        return self.shape is not None and all(d >= 0 for d in self.shape)

    @property
    def num_elements(self) -> int | None:
        if self.shape is None or not self.has_static_shape:
            return None
        n = 1
        for d in self.shape:
            n *= d
        return n

    def with_element(self, element: Element) -> TensorType:
        subtypes = self.subtypes if element in (resource, variant) else ()
        return TensorType(element, self.shape, subtypes)

    def with_shape(self, shape: Iterable[int | None] | None) -> TensorType:
        return TensorType(self.element, shape, self.subtypes)

    def element_str(self) -> str:
        el = self.element
        s = str(el) if isinstance(el, QuantizedType) else el.mlir
        if self.subtypes:
            s += "<" + ", ".join(str(t) for t in self.subtypes) + ">"
        return s

    def __str__(self) -> str:
        el = self.element_str()
        if self.shape is None:
            return f"tensor<*x{el}>"
        if not self.shape:
            return f"tensor<{el}>"
        return "tensor<" + "x".join("?" if d < 0 else str(d) for d in self.shape) + "x" + el + ">"

    __repr__ = __str__


class ControlType:
    """The type of control tokens: an op's 'has executed' output (TF's `^node` inputs)."""

    _instance: ControlType | None = None

    def __new__(cls) -> ControlType:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __str__(self) -> str:
        return "!tf_executor.control"

    __repr__ = __str__


CONTROL = ControlType()


def tensor(element: Element | str, shape: Iterable[int | None] | None = None,
           subtypes: Iterable[TensorType] = ()) -> TensorType:
    if isinstance(element, str):
        element = BY_NAME[element]
    return TensorType(element, shape, subtypes)


def shapes_compatible(a: Sequence[int] | None, b: Sequence[int] | None) -> bool:
    """True when two shapes (None = unknown rank) can describe the same tensor."""
    if a is None or b is None:
        return True
    if len(a) != len(b):
        return False
    return all(x < 0 or y < 0 or x == y for x, y in zip(a, b))


def types_compatible(a: TensorType | ControlType, b: TensorType | ControlType) -> bool:
    """Same element type and compatible shapes (how calls and returns are checked)."""
    if isinstance(a, ControlType) or isinstance(b, ControlType):
        return a is b
    return a.element == b.element and shapes_compatible(a.shape, b.shape)


class FunctionType:
    """`(inputs) -> results`: MLIR's function type, used as an attribute value (a
    signature's `function_type`, the properties of a generic `func.func`)."""

    __slots__ = ("inputs", "results")

    def __init__(self, inputs: Iterable[Any] = (), results: Iterable[Any] = ()) -> None:
        # TensorType, ControlType (a function's control outputs), a nested FunctionType
        self.inputs: tuple[Any, ...] = tuple(inputs)
        self.results: tuple[Any, ...] = tuple(results)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FunctionType) and self.inputs == other.inputs \
            and self.results == other.results

    def __hash__(self) -> int:
        return hash(("function", self.inputs, self.results))

    def __str__(self) -> str:
        ins = "(" + ", ".join(str(t) for t in self.inputs) + ")"
        if len(self.results) == 1 and not isinstance(self.results[0], FunctionType):
            return f"{ins} -> {self.results[0]}"
        return f"{ins} -> (" + ", ".join(str(t) for t in self.results) + ")"

    __repr__ = __str__
