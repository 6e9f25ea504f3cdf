"""The text printer: MLIR, one operation per line, that MLIR's own parser accepts.

    %1 = "tf.MatMul"(%x, %0) {T = f32, transpose_a = false, transpose_b = false}
            : (tensor<?x10xf32>, tensor<10x10xf32>) -> tensor<?x10xf32> loc("MatMul")

(on one line). TF ops are generic operations of the unregistered `tf` dialect; functions
use `func.func`'s custom form; module-level items are generic operations without operands
or results (their types are attributes); the main graph is the generic op `"tf.graph"` with
one region. Arguments keep their FunctionDef names (also as their `loc`, which is what
survives MLIR's own printing), results are numbered per function, control tokens are
`%ctl_N` and appear only when something uses them; a function's control outputs are
results of type `!tf_executor.control`. Everything the parser needs to rebuild the module is
printed, so print -> parse -> print is a fixed point.
"""
from __future__ import annotations

import io
import math
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, TextIO

import numpy as np

from smopt.ir import types as T
from smopt.ir.attributes import DenseElements, Elided, FuncAttr, OpaqueTensor, Placeholder, ShapeAttr
from smopt.ir.core import Argument, ControlToken, OpResult

if TYPE_CHECKING:
    from smopt.ir.core import Function, Module

_BARE_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_.$\-]*$")
# An SSA name MLIR accepts after `%`.
_SUFFIX_ID = re.compile(r"^(?:[0-9]+|[A-Za-z_$.\-][A-Za-z0-9_$.\-]*)$")
_LITERAL_LIMIT = 16
_LITERAL_DTYPES = ("bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
                   "float32", "float64")
GRAPH_OP = "tf.graph"
# Argument and result attributes of a func.func must name a dialect (MLIR verifies it): TF's
# own (`_user_specified_name`) print with this prefix, which the parser strips again.
ARG_ATTR_DIALECT = "tf."


def quote(s):
    """MLIR string literal: printable ASCII kept, everything else as \\XX hex escapes."""
    if isinstance(s, str):
        s = s.encode("utf-8")
    out = []
    for b in s:
        if 0x20 <= b < 0x7F and b not in (0x22, 0x5C):
            out.append(chr(b))
        else:
            out.append("\\%02X" % b)
    return '"' + "".join(out) + '"'


def symbol(name):
    return "@" + (name if _BARE_ID.match(name) else quote(name))


def attr_key(k):
    return k if _BARE_ID.match(k) else quote(k)


def dialect_attr_key(k):
    """The printed name of an argument/result attribute: TF's own get the `tf.` prefix."""
    return k if "." in k else ARG_ATTR_DIALECT + k


def fmt_float(x, dtype="float32"):
    """A finite float as an MLIR float literal (always with a '.': `1.0e-05`, not `1e-05`)."""
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    s = str(np.float32(x)) if dtype == "float32" else repr(float(x))
    mant, e, exp = s.partition("e")
    if "." not in mant:
        mant += ".0"
    return mant + e + exp


def fmt_float_attr(x):
    """A float attribute: finite ones as literals, NaN and infinities as MLIR writes them
    (the f32 bit pattern in hex with its type)."""
    if math.isfinite(x):
        return fmt_float(x)
    return "0x%08X : f32" % int(np.array(x, dtype=np.float32).view(np.uint32))


def function_type(inputs, results):
    return str(T.FunctionType(inputs, results))


class Printer:
    """`elide_constants_larger_than`: constants with more elements print as
    `dense_resource<__elided__>`. `elide_operands_larger_than`: operand, argument, result and
    type lists and list attributes longer than that print their first N entries and
    `... K more`. Elided text is for reading; it does not parse back. `function_filter`:
    dumps of some functions only (--print-ir-function), a predicate on function names (the
    main graph is `__graph__`); the module then shows its header and those functions."""

    def __init__(self, elide_constants_larger_than: int | None = None,
                 elide_operands_larger_than: int | None = None,
                 function_filter: Callable[[str], bool] | None = None) -> None:
        self.elide = elide_constants_larger_than
        self.elide_list = elide_operands_larger_than
        self.function_filter = function_filter

    def _list(self, items):
        """Join printed list entries, eliding beyond `elide_operands_larger_than`."""
        n = self.elide_list
        if n is not None and len(items) > n:
            return ", ".join(list(items[:n]) + [f"... {len(items) - n} more"])
        return ", ".join(items)

    # ---- attributes -------------------------------------------------------------------
    def attr(self, v):
        if v is True:
            return "true"
        if v is False:
            return "false"
        if isinstance(v, int):
            return str(v)
        if isinstance(v, float):
            return fmt_float_attr(v)
        if isinstance(v, (str, bytes)):
            return quote(v)
        if isinstance(v, list):
            return "[" + self._list([self.attr(x) for x in v]) + "]"
        if isinstance(v, dict):
            return self.attr_dict(v)
        if isinstance(v, T.DType):
            return v.mlir
        if isinstance(v, (T.TensorType, T.QuantizedType, T.FunctionType)):
            return str(v)
        if isinstance(v, ShapeAttr):
            return repr(v)
        if isinstance(v, FuncAttr):
            if not v.attrs:
                return symbol(v.name)
            return f"#tf_type.func<{symbol(v.name)}, {self.attr_dict(v.attrs)}>"
        if isinstance(v, DenseElements):
            return self.dense(v)
        if isinstance(v, OpaqueTensor):
            return f'#tf_type.tensor_proto<"0x{v.proto_bytes.hex().upper()}"> : {v.type}'
        if isinstance(v, Elided):
            return f"dense_resource<__elided__> : {v.type}"
        if isinstance(v, Placeholder):
            return f"#tf_type.placeholder<{quote(v.name)}>"
        raise TypeError(f"cannot print attribute value {v!r}")

    def attr_dict(self, attrs, key=attr_key):
        if not attrs:
            return "{}"
        return "{" + ", ".join(f"{attr_key(key(k))} = {self.attr(attrs[k])}"
                               for k in sorted(attrs, key=key)) + "}"

    def dense(self, d):
        t = d.type
        arr = d.array
        if self.elide is not None and arr.size > self.elide:
            return f"dense_resource<__elided__> : {t}"
        dt = t.dtype
        if dt is T.string:
            if arr.size > 1 and d.is_splat:
                return f"dense<{quote(arr.reshape(-1)[0])}> : {t}"
            return f"dense<{self._nested(arr, quote)}> : {t}"
        if dt.name in _LITERAL_DTYPES and (arr.dtype.kind != "f" or np.all(np.isfinite(arr))):
            if arr.size and d.is_splat:
                return f"dense<{self._scalar(arr.reshape(-1)[0], dt)}> : {t}"
            if arr.size <= _LITERAL_LIMIT:
                return f"dense<{self._nested(arr, lambda x: self._scalar(x, dt))}> : {t}"
        return f'dense<"0x{arr.tobytes().hex().upper()}"> : {t}'

    @staticmethod
    def _scalar(x, dt):
        if dt is T.bool_:
            return "true" if x else "false"
        if dt.is_float:
            return fmt_float(float(x), dt.name)
        return str(int(x))

    def _nested(self, arr, fmt):
        if arr.ndim == 0:
            return fmt(arr[()])
        if arr.ndim == 1:
            return "[" + ", ".join(fmt(x) for x in arr) + "]"
        return "[" + ", ".join(self._nested(sub, fmt) for sub in arr) + "]"

    # ---- module -----------------------------------------------------------------------
    def module(self, m: Module, out: TextIO) -> None:
        if self.function_filter is not None:
            self._filtered_module(m, out, self.function_filter)
            return
        head = "module"
        if m.attrs:
            head += " attributes " + self.attr_dict(m.attrs)
        out.write(head + " {\n")
        for s in m.signatures.values():
            out.write("  " + self.signature(s) + "\n")
        for alias in sorted(m.aliases):
            for fname in m.aliases[alias]:   # one item per trace the alias names
                out.write("  " + self.item("tf_saved_model.alias", {"function": FuncAttr(fname),
                                                                    "name": alias}) + "\n")
        for v in m.variables:
            attrs = {"path": v.path, "name": v.name, "checkpoint_key": v.checkpoint_key,
                     "node_id": v.node_id, "trainable": v.trainable, "type": v.type}
            attrs.update(v.attrs)
            if v.value is not None:
                attrs["value"] = DenseElements(v.type if isinstance(v.type.element, T.DType)
                                               else T.TensorType(v.type.dtype, v.type.shape), v.value)
            out.write("  " + self.item("tf_saved_model.variable", attrs) + "\n")
        for a in m.assets:
            attrs = {"filename": a.filename, "node_id": a.node_id, "tensor_name": a.tensor_name}
            out.write("  " + self.item("tf_saved_model.asset", attrs) + "\n")
        if m.graph is not None:
            self.function(m.graph, out)
        for f in m.functions.values():
            self.function(f, out)
        if m.meta_graph is not None:
            blob = (f"__elided__ ({len(m.meta_graph)} bytes)" if self.elide is not None
                    else "0x" + m.meta_graph.hex().upper())
            out.write("  " + self.item("tf_saved_model.meta_graph", {"proto": blob}) + "\n")
        out.write("}\n")

    def _filtered_module(self, m: Module, out: TextIO, keep: Callable[[str], bool]) -> None:
        """The module header and the functions `keep` selects, nothing else."""
        head = "module"
        if m.attrs:
            head += " attributes " + self.attr_dict(m.attrs)
        out.write(head + " {\n")
        for f in ([m.graph] if m.graph is not None else []) + list(m.functions.values()):
            if keep(f.name):
                self.function(f, out)
        out.write("}\n")

    def item(self, kind, attrs):
        """A module-level item: a generic op without operands or results."""
        return f"{quote(kind)}() {self.attr_dict(attrs)} : () -> ()"

    def signature(self, s):
        attrs = {"name": s.name, "function": FuncAttr(s.function), "method_name": s.method_name,
                 "function_type": T.FunctionType([t for _, _, t in s.inputs], [t for _, _, t in s.outputs]),
                 "input_names": [k for k, _, _ in s.inputs], "input_tensors": [n for _, n, _ in s.inputs],
                 "output_names": [k for k, _, _ in s.outputs],
                 "output_tensors": [n for _, n, _ in s.outputs]}
        if s.defaults:
            attrs["defaults"] = dict(s.defaults)
        return self.item("tf_saved_model.signature", attrs)

    # ---- functions --------------------------------------------------------------------
    def function(self, f, out):
        names = _Namer(f)
        if f.is_graph:
            out.write(f"  {quote(GRAPH_OP)}() ({{\n")
        else:
            args = []
            for a in f.args:
                s = f"%{names.name(a)}: {a.type}"
                if a.attrs:
                    s += " " + self.attr_dict(a.attrs, dialect_attr_key)
                args.append(s + f" loc({quote(a.name)})")
            res = []
            for i, v in enumerate(f.returns):
                attrs = dict(f.result_attrs[i]) if i < len(f.result_attrs) else {}
                attrs["tf.name"] = f.result_names[i]
                res.append(f"{v.type} {self.attr_dict(attrs, dialect_attr_key)}")
            res += [str(T.CONTROL)] * len(f.control_rets)
            line = f"  func.func {symbol(f.name)}({self._list(args)}) -> ({self._list(res)})"
            fattrs = dict(f.attrs)
            if any(n != tok.op.name for n, tok in f.control_rets):
                fattrs["tf.control_ret_names"] = [n for n, _ in f.control_rets]
            if fattrs:
                line += " attributes " + self.attr_dict(fattrs)
            out.write(line + " {\n")
        for op in f.ops:
            out.write("    " + self.op(op, names) + "\n")
        if f.is_graph:
            out.write("  }) : () -> ()\n")
            return
        rets = [names.use(v) for v in f.returns] + [names.use(t) for _, t in f.control_rets]
        rtypes = [str(v.type) for v in f.returns] + [str(T.CONTROL)] * len(f.control_rets)
        if rets:
            out.write(f"    return {self._list(rets)} : {self._list(rtypes)}\n")
        else:
            out.write("    return\n")
        out.write("  }\n")

    def op(self, op, names):
        lhs = names.define(op)
        operands = [names.use(v) for v in op.operands] + [names.use(c) for c in op.control_inputs]
        attrs = dict(op.attrs)
        if op.device:
            attrs["device"] = op.device
        s = (lhs + " = " if lhs else "") + quote("tf." + op.type) + "(" + self._list(operands) + ")"
        if attrs:
            s += " " + self.attr_dict(attrs)
        in_types = [str(v.type) for v in op.operands] + [str(T.CONTROL)] * len(op.control_inputs)
        out_types = [str(r.type) for r in op.results]
        if op.control.uses:
            out_types.append(str(T.CONTROL))
        s += " : (" + self._list(in_types) + ") -> "
        s += out_types[0] if len(out_types) == 1 else "(" + self._list(out_types) + ")"
        s += f" loc({quote(op.name)})"
        return s


class _Namer:
    """SSA names for one function: args by name, results numbered, used control tokens %ctl_N."""

    def __init__(self, f):
        self.names = {}
        self.taken = set()
        for a in f.args:
            if _SUFFIX_ID.match(a.name) and a.name not in self.taken:
                self.names[a] = a.name
                self.taken.add(a.name)
        self.next_result = 0
        self.next_ctl = 0
        for i, a in enumerate(f.args):
            if a not in self.names:
                self.names[a], _ = self._fresh(f"arg{i}_", 0)

    def name(self, v):
        return self.names[v]

    def _fresh(self, prefix, counter):
        while True:
            cand = f"{prefix}{counter}"
            counter += 1
            if cand not in self.taken:
                self.taken.add(cand)
                return cand, counter

    def define(self, op):
        parts = []
        if op.results:
            base, self.next_result = self._fresh("", self.next_result)
            if len(op.results) == 1:
                self.names[op.results[0]] = base
                parts.append("%" + base)
            else:
                for r in op.results:
                    self.names[r] = f"{base}#{r.index}"
                parts.append(f"%{base}:{len(op.results)}")
        if op.control.uses:
            ctl, self.next_ctl = self._fresh("ctl_", self.next_ctl)
            self.names[op.control] = ctl
            parts.append("%" + ctl)
        return ", ".join(parts)

    def use(self, v):
        try:
            return "%" + self.names[v]
        except KeyError:
            if isinstance(v, (OpResult, ControlToken)):
                raise ValueError(f"value {v!r} is used before it is defined (or comes from another "
                                 "function); run the verifier") from None
            if isinstance(v, Argument):
                raise ValueError(f"argument %{v.name} belongs to @{v.function.name}") from None
            raise


def print_module(module: Module, elide_constants_larger_than: int | None = None,
                 elide_operands_larger_than: int | None = None,
                 function_filter: Callable[[str], bool] | None = None) -> str:
    """The module as text. `function_filter` (a predicate on function names; the main graph
    is `__graph__`) prints the module header and the functions it selects only, for dumps."""
    out = io.StringIO()
    Printer(elide_constants_larger_than, elide_operands_larger_than, function_filter).module(module, out)
    return out.getvalue()


def print_function(function: Function, elide_constants_larger_than: int | None = None,
                   elide_operands_larger_than: int | None = None) -> str:
    out = io.StringIO()
    Printer(elide_constants_larger_than, elide_operands_larger_than).function(function, out)
    return out.getvalue()
