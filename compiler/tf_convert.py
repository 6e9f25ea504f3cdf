"""Conversions between TF protos (AttrValue, TensorProto, TensorShapeProto) and IR values.

Shared by the importer and the exporter so that both directions live side by side.
Works on the message classes of compiler.tfproto; no TensorFlow import.
"""
from __future__ import annotations

import numpy as np

from smopt.ir import types as T
from smopt.ir.attributes import DenseElements, Elided, FuncAttr, OpaqueTensor, Placeholder, ShapeAttr

_LIST_FIELDS = ("s", "i", "f", "b", "type", "shape", "tensor", "func")


def shape_from_proto(sp):
    if sp.unknown_rank:
        return None
    return tuple(d.size for d in sp.dim)


def shape_to_proto(shape, sp):
    sp.Clear()
    if shape is None:
        sp.unknown_rank = True
        return sp
    for d in shape:
        sp.dim.add().size = d
    return sp


def _decode(b):
    try:
        return b.decode("utf-8")
    except UnicodeDecodeError:
        return bytes(b)


def _encode(s):
    return s.encode("utf-8") if isinstance(s, str) else bytes(s)


_ATTR_CACHE = {}


def attr_from_proto(av):
    """IR value of an AttrValue. Converted values are memoized by their wire bytes (models
    repeat the same attrs thousands of times); lists are copied because they are mutable."""
    key = av.SerializeToString()
    v = _ATTR_CACHE.get(key)
    if v is None:
        v = _attr_from_proto(av)
        if len(key) < 4096:
            if len(_ATTR_CACHE) > 100_000:
                _ATTR_CACHE.clear()
            _ATTR_CACHE[key] = v
    return list(v) if isinstance(v, list) else v


def _attr_from_proto(av):
    kind = av.WhichOneof("value")
    if kind == "s":
        return _decode(av.s)
    if kind == "i":
        return int(av.i)
    if kind == "f":
        return float(av.f)
    if kind == "b":
        return bool(av.b)
    if kind == "type":
        return T.dtype_from_enum(av.type)
    if kind == "shape":
        return ShapeAttr(shape_from_proto(av.shape))
    if kind == "tensor":
        return tensor_from_proto(av.tensor)
    if kind == "func":
        return FuncAttr(av.func.name, {k: attr_from_proto(v) for k, v in av.func.attr.items()})
    if kind == "placeholder":
        return Placeholder(av.placeholder)
    if kind == "list":
        lst = av.list
        if lst.s:
            return [_decode(x) for x in lst.s]
        if lst.i:
            return [int(x) for x in lst.i]
        if lst.f:
            return [float(x) for x in lst.f]
        if lst.b:
            return [bool(x) for x in lst.b]
        if lst.type:
            return [T.dtype_from_enum(x) for x in lst.type]
        if lst.shape:
            return [ShapeAttr(shape_from_proto(x)) for x in lst.shape]
        if lst.tensor:
            return [tensor_from_proto(x) for x in lst.tensor]
        if lst.func:
            return [FuncAttr(x.name, {k: attr_from_proto(v) for k, v in x.attr.items()}) for x in lst.func]
        return []
    return []


def attr_to_proto(value, av):
    """Fill AttrValue `av` from an IR attribute value."""
    if isinstance(value, bool):
        av.b = value
    elif isinstance(value, int):
        av.i = value
    elif isinstance(value, float):
        av.f = value
    elif isinstance(value, (str, bytes)):
        av.s = _encode(value)
    elif isinstance(value, T.DType):
        av.type = value.enum
    elif isinstance(value, ShapeAttr):
        shape_to_proto(value.dims, av.shape)
    elif isinstance(value, (DenseElements, OpaqueTensor)):
        tensor_to_proto(value, av.tensor)
    elif isinstance(value, FuncAttr):
        _func_to_proto(value, av.func)
    elif isinstance(value, Placeholder):
        av.placeholder = value.name
    elif isinstance(value, list):
        lst = av.list
        lst.SetInParent()
        for x in value:
            if isinstance(x, bool):
                lst.b.append(x)
            elif isinstance(x, int):
                lst.i.append(x)
            elif isinstance(x, float):
                lst.f.append(x)
            elif isinstance(x, (str, bytes)):
                lst.s.append(_encode(x))
            elif isinstance(x, T.DType):
                lst.type.append(x.enum)
            elif isinstance(x, ShapeAttr):
                shape_to_proto(x.dims, lst.shape.add())
            elif isinstance(x, (DenseElements, OpaqueTensor)):
                tensor_to_proto(x, lst.tensor.add())
            elif isinstance(x, FuncAttr):
                _func_to_proto(x, lst.func.add())
            else:
                raise TypeError(f"cannot export list element {x!r}")
    elif isinstance(value, Elided):
        raise ValueError("an elided constant cannot be exported; print without --elide-constants-larger-than")
    else:
        raise TypeError(f"cannot export attribute value {value!r}")
    return av


def _func_to_proto(fa, nal):
    nal.name = fa.name
    for k, v in fa.attrs.items():
        attr_to_proto(v, nal.attr[k])


_VAL_FIELD = {
    "float32": "float_val", "float64": "double_val", "int32": "int_val", "int16": "int_val",
    "int8": "int_val", "uint8": "int_val", "uint16": "int_val", "qint8": "int_val", "quint8": "int_val",
    "qint16": "int_val", "quint16": "int_val", "qint32": "int_val", "int64": "int64_val",
    "bool": "bool_val", "uint32": "uint32_val", "uint64": "uint64_val", "complex64": "scomplex_val",
    "complex128": "dcomplex_val", "float16": "half_val", "bfloat16": "half_val",
}


# A TensorProto may store fewer values than its shape has (TF repeats the last one); smopt
# holds constants as arrays, so it expands them, up to this many elements.
MAX_SYNTHESIZED_ELEMENTS = 1 << 28
_ALL_VAL_FIELDS = ("string_val", "float_val", "double_val", "int_val", "int64_val", "bool_val", "half_val",
                   "uint32_val", "uint64_val", "scomplex_val", "dcomplex_val", "float8_val")


def tensor_from_proto(tp):
    dt = T.dtype_from_enum(tp.dtype)
    shape = shape_from_proto(tp.tensor_shape)
    ttype = T.TensorType(dt, shape)
    if dt.np is None or shape is None:
        return OpaqueTensor(ttype, tp.SerializeToString(deterministic=True))
    n = 1
    for d in shape:
        n *= d  # Python ints: a mutated shape must not overflow into a small count
    if any(d < 0 for d in shape):
        raise ValueError(f"constant tensor has a negative dimension in shape {list(shape)}")
    data = len(tp.tensor_content) or sum(len(getattr(tp, f, ())) for f in _ALL_VAL_FIELDS)
    if n > MAX_SYNTHESIZED_ELEMENTS and data < n:
        raise ValueError(f"constant tensor of shape {list(shape)} ({n} elements) is too large to expand from "
                         f"{data} stored values")
    if dt is T.string:
        vals = list(tp.string_val)
        if len(vals) < n:
            vals += [vals[-1] if vals else b""] * (n - len(vals))
        arr = np.empty(n, dtype=object)
        arr[:] = vals
        return DenseElements(ttype, arr.reshape(shape))
    if tp.tensor_content:
        arr = np.frombuffer(tp.tensor_content, dtype=dt.np)
        if arr.size != n:
            raise ValueError(f"tensor_content holds {arr.size} elements, shape {shape} needs {n}")
        return DenseElements(ttype, arr.reshape(shape))
    field = _VAL_FIELD.get(dt.name)
    if field is None:
        if dt.name.startswith(("float8", "int4", "uint4", "int2", "uint2")):
            vals = np.array(list(tp.float8_val) if dt.name.startswith("float8") else list(tp.int_val))
            arr = (np.frombuffer(bytes(tp.float8_val), dtype=np.uint8).view(dt.np)
                   if dt.name.startswith("float8") else vals.astype(dt.np))
        else:
            return OpaqueTensor(ttype, tp.SerializeToString(deterministic=True))
    else:
        raw = list(getattr(tp, field))
        if field == "half_val":
            arr = np.array(raw, dtype=np.uint16).view(dt.np)
        elif dt.is_complex:
            arr = np.array(raw, dtype=dt.np.type(0).real.dtype).view(dt.np)
        else:
            arr = np.array(raw, dtype=dt.np)
    if arr.size == 0:
        arr = np.zeros(n, dtype=dt.np)
    elif arr.size < n:
        arr = np.concatenate([arr, np.repeat(arr[-1:], n - arr.size)])
    return DenseElements(ttype, arr.reshape(shape))


def tensor_to_proto(value, tp):
    """Fill TensorProto `tp` from a DenseElements/OpaqueTensor (tensor_content for numerics)."""
    if isinstance(value, OpaqueTensor):
        tp.ParseFromString(value.proto_bytes)
        return tp
    t = value.type
    tp.dtype = t.dtype.enum
    shape_to_proto(t.shape, tp.tensor_shape)
    arr = value.array
    if t.dtype is T.string:
        if arr.size and value.is_splat and arr.size > 1:
            tp.string_val.append(arr.reshape(-1)[0])
        else:
            tp.string_val.extend(arr.reshape(-1).tolist())
    elif arr.size and value.is_splat:
        # One value, as TF writes splats; keeps large zero/one-filled constants small.
        x = arr.reshape(-1)[:1]
        field = _VAL_FIELD.get(t.dtype.name)
        if field == "half_val":
            tp.half_val.append(int(x.view(np.uint16)[0]))
        elif field is None or t.dtype.is_complex:
            tp.tensor_content = arr.tobytes()
        else:
            getattr(tp, field).append(x[0].item())
    elif arr.size:
        tp.tensor_content = arr.tobytes()
    return tp


def tensor_type_from_info(dtype_enum, shape_proto):
    return T.TensorType(T.dtype_from_enum(dtype_enum), shape_from_proto(shape_proto))


def op_def_to_dict(od):
    """An OpDef proto in the form of ir/op_defs.json (as ir.opdefs expects)."""
    def arg(a):
        d = {"name": a.name}
        if a.number_attr:
            d["number_attr"] = a.number_attr
        if a.type_list_attr:
            d["type_list_attr"] = a.type_list_attr
        if a.type_attr:
            d["type_attr"] = a.type_attr
        if a.type:
            d["type"] = int(a.type)
        if a.is_ref:
            d["is_ref"] = True
        return d
    entry = {"inputs": [arg(a) for a in od.input_arg], "outputs": [arg(a) for a in od.output_arg],
             "attrs": {a.name: a.type for a in od.attr}}
    defaults = {}
    for a in od.attr:
        if a.HasField("default_value"):
            v = attr_from_proto(a.default_value)
            if isinstance(v, T.DType):
                defaults[a.name] = {"dtype": v.enum}
            elif isinstance(v, list) and v and all(isinstance(x, T.DType) for x in v):
                defaults[a.name] = {"dtypes": [x.enum for x in v]}
            elif isinstance(v, list) and all(isinstance(x, int) and not isinstance(x, bool) for x in v):
                defaults[a.name] = {"ints": v}
            elif isinstance(v, (bool, int, float)):
                defaults[a.name] = v
            elif isinstance(v, str):
                defaults[a.name] = {"s": v}
    if defaults:
        entry["defaults"] = defaults
    # Attrs with a default of a kind `defaults` does not hold (shapes, tensors, funcs, floats
    # lists): a node may omit them too.
    optional = sorted(a.name for a in od.attr if a.HasField("default_value") and a.name not in defaults)
    if optional:
        entry["optional"] = optional
    # The dtypes a type attr may take (the verifier's type constraints).
    allowed = {a.name: sorted(int(t) for t in a.allowed_values.list.type) for a in od.attr
               if a.type in ("type", "list(type)") and a.allowed_values.list.type}
    if allowed:
        entry["allowed"] = allowed
    if od.is_stateful:
        entry["stateful"] = True
    if od.is_commutative:
        entry["commutative"] = True
    return entry
