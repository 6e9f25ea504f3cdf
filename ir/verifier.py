"""The IR verifier: structural invariants every pass must preserve.

Structure: operands and control inputs are defined earlier in the same function (so the
dataflow is acyclic), use lists agree with operands, node names are unique per function,
every function reference resolves, call ops agree with their callee in operand/result count
and types, and signatures and aliases name existing functions.

Ops, against TensorFlow's op definitions (ir/opdefs: smopt's table, the model's
stripped_op_list, SMOPT_OP_DEFS_FILE): the op exists; operand and result counts (with `N` and
list attrs); required attrs are present and of their kind; type constraints (a type attr in
its allowed set, operands and results agreeing with their type attrs); and, for the ops in
ir/shapes.py, operand shapes the op accepts and result shapes that agree with them.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from smopt.ir import opdefs
from smopt.ir import shapes as S
from smopt.ir import types as T
from smopt.ir.attributes import DenseElements, Elided, FuncAttr, OpaqueTensor, Placeholder, ShapeAttr, function_refs
from smopt.ir.core import Argument, ControlToken, OpResult

if TYPE_CHECKING:
    from smopt.ir.core import Function, Module, Op


class VerificationError(Exception):
    """The module is malformed: `errors` lists every problem, the message names the first."""

    def __init__(self, errors: Sequence[str]) -> None:
        self.errors = list(errors)
        first = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(first + more)


def _op_msg(op, msg):
    return f"{op.location()}: error: 'tf.{op.type}' op {msg}"


def verify_function(fn: Function, module: Module | None, errors: list[str]) -> None:
    where = "the graph" if fn.is_graph else f"@{fn.name}"
    defined = set(id(a) for a in fn.args)
    for a in fn.args:
        if a.function is not fn:
            errors.append(f"argument %{a.name} of {where} belongs to another function")
    names = set()
    for op in fn.ops:
        if op.parent is not fn:
            errors.append(_op_msg(op, f"is listed in {where} but its parent is not"))
        if op.name in names:
            errors.append(_op_msg(op, f"has a duplicate node name '{op.name}' in {where}"))
        names.add(op.name)
        for i, v in enumerate(op.operands):
            if isinstance(v, ControlToken):
                errors.append(_op_msg(op, f"operand #{i} is a control token"))
            elif id(v) not in defined:
                origin = ("another function" if isinstance(v, Argument) or
                          (isinstance(v, OpResult) and v.op.parent is not fn) else "later in the function")
                errors.append(_op_msg(op, f"operand #{i} is used before it is defined "
                                          f"(defined in {origin}; a dataflow cycle?)"))
            elif (op, i) not in v.uses:
                errors.append(_op_msg(op, f"operand #{i} is missing from its value's use list"))
        for c in op.control_inputs:
            if not isinstance(c, ControlToken):
                errors.append(_op_msg(op, "has a control input that is not a control token"))
            elif id(c) not in defined:
                errors.append(_op_msg(op, f"control input ^{c.op.name} is not defined earlier in {where}"))
        for r in op.results:
            if r.op is not op:
                errors.append(_op_msg(op, "has a result owned by another op"))
            defined.add(id(r))
            for user, idx in r.uses:
                if user is not fn and (idx < 0 or idx >= len(user.operands) or user.operands[idx] is not r):
                    errors.append(_op_msg(op, f"result #{r.index} has a stale use in {user!r}"))
        defined.add(id(op.control))
        for key, value in op.attrs.items():
            for name in function_refs(value):
                if module is not None and name not in module.functions:
                    errors.append(_op_msg(op, f"attribute '{key}' refers to unknown function @{name}"))
        if module is not None:
            _verify_call(op, module, errors)
            if op.type not in module.functions:
                verify_op_definition(op, module, errors)
    if fn.is_graph:
        return
    for i, v in enumerate(fn.returns):
        if id(v) not in defined:
            errors.append(f"{where}: error: returned value #{i} is not defined in the function")
    for name, tok in fn.control_rets:
        if id(tok) not in defined:
            errors.append(f"{where}: error: control output '{name}' is not defined in the function")
    if len(fn.result_names) != len(fn.returns):
        errors.append(f"{where}: error: {len(fn.returns)} results but {len(fn.result_names)} result names")
    if len(set(fn.result_names)) != len(fn.result_names):
        errors.append(f"{where}: error: duplicate result names {fn.result_names}")
    arg_names = [a.name for a in fn.args]
    if len(set(arg_names)) != len(arg_names):
        errors.append(f"{where}: error: duplicate argument names")


def _verify_call(op, module, errors):
    callee_name = op.callee
    if callee_name is None:
        return
    callee = module.functions.get(callee_name)
    if callee is None:
        errors.append(_op_msg(op, f"calls unknown function @{callee_name}"))
        return
    operands = op.operands
    if op.type == "TPUPartitionedCall":
        operands = operands[:-1]  # the last operand is the device ordinal
    if len(operands) != len(callee.args):
        errors.append(_op_msg(op, f"passes {len(operands)} operands but @{callee_name} takes "
                                  f"{len(callee.args)}"))
    else:
        for i, (v, a) in enumerate(zip(operands, callee.args)):
            if not T.types_compatible(v.type, a.type):
                errors.append(_op_msg(op, f"operand #{i} has type {v.type} but @{callee_name} "
                                          f"expects {a.type}"))
    if len(op.results) != len(callee.returns):
        errors.append(_op_msg(op, f"has {len(op.results)} results but @{callee_name} returns "
                                  f"{len(callee.returns)}"))
    else:
        for i, (r, v) in enumerate(zip(op.results, callee.returns)):
            if isinstance(r.type, T.TensorType) and r.type.element != v.type.element:
                errors.append(_op_msg(op, f"result #{i} has type {r.type} but @{callee_name} "
                                          f"returns {v.type}"))


_KINDS = {
    "type": lambda v: isinstance(v, T.DType),
    "int": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "float": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "bool": lambda v: isinstance(v, bool),
    "string": lambda v: isinstance(v, (str, bytes)),
    "shape": lambda v: isinstance(v, ShapeAttr),
    "tensor": lambda v: isinstance(v, (DenseElements, OpaqueTensor, Elided)),
    "func": lambda v: isinstance(v, FuncAttr),
}


def _kind_ok(kind, value):
    if isinstance(value, Placeholder):
        return True  # bound when the enclosing function is instantiated
    if kind.startswith("list(") and kind.endswith(")"):
        inner = _KINDS.get(kind[5:-1])
        return isinstance(value, list) and (inner is None or all(inner(x) for x in value))
    check = _KINDS.get(kind)
    return check is None or check(value)


def _expected_dtypes(arg, attrs):
    """Element dtypes an op-def argument takes (None entries: not determined by attrs)."""
    if "type_list_attr" in arg:
        lst = attrs.get(arg["type_list_attr"])
        return [t if isinstance(t, T.DType) else None for t in lst] if isinstance(lst, list) else None
    n = opdefs._arg_len(arg, attrs)
    if n is None:
        return None
    if "type" in arg:
        dt = T.dtype_from_enum(arg["type"])
    else:
        dt = attrs.get(arg.get("type_attr"))
        dt = dt if isinstance(dt, T.DType) else None
    return [dt] * n


def _check_values(op, what, values, args, attrs, errors):
    lens = [opdefs._arg_len(a, attrs) for a in args]
    if None not in lens and sum(max(n, 0) for n in lens) != len(values):
        # Counted before any dtype list is built: a corrupt count attr may be huge.
        listing = ", ".join(a["name"] for a in args) or "none"
        errors.append(_op_msg(op, f"has {len(values)} {what}s, but its op definition gives "
                                  f"{sum(max(n, 0) for n in lens)} ({listing})"))
        return
    expected, names = [], []
    for a in args:
        dts = _expected_dtypes(a, attrs)
        if dts is None:
            return  # a count attr is missing: reported as a missing attr
        expected.extend(dts)
        names.extend([a["name"]] * len(dts))
    if len(values) != len(expected):
        listing = ", ".join(a["name"] for a in args) or "none"
        errors.append(_op_msg(op, f"has {len(values)} {what}s, but its op definition gives {len(expected)} "
                                  f"({listing})"))
        return
    for i, (v, want, name) in enumerate(zip(values, expected, names)):
        got = getattr(v.type, "dtype", None)
        if want is None or got is None or any(a.get("is_ref") for a in args if a["name"] == name):
            continue
        if got is not want and not _quantized_twin(v.type, want):
            errors.append(_op_msg(op, f"{what} #{i} ('{name}') has element type {got.mlir}, but the op "
                                      f"definition requires {want.mlir}"))


_QUANTIZED_STORAGE = {"qint8": "int8", "quint8": "uint8", "qint16": "int16", "quint16": "uint16",
                      "qint32": "int32"}


def _quantized_twin(ttype, want):
    """A `!quant.uniform` tensor stores plain integers; TF's own quantized dtypes (qint8, ...)
    name the same storage."""
    el = getattr(ttype, "element", None)
    return isinstance(el, T.QuantizedType) and _QUANTIZED_STORAGE.get(want.name) == el.storage.name


def verify_op_definition(op: Op, module: Module | None, errors: list[str]) -> None:
    """Check `op` against its TensorFlow op definition (see the module docstring)."""
    od = opdefs.lookup(op.type, module)
    if od is None:
        errors.append(_op_msg(op, "is not a known TensorFlow op: neither smopt's op table, the model's "
                                  f"stripped_op_list nor {opdefs.USER_OP_DEFS_ENV} defines it"))
        return
    attrs = opdefs.with_defaults(od, op.attrs)
    optional = od.get("optional", ())
    for name, kind in od.get("attrs", {}).items():
        if name not in attrs and name in optional:
            continue
        if name not in attrs:
            errors.append(_op_msg(op, f"requires attribute '{name}' ({kind})"))
        elif not _kind_ok(kind, attrs[name]):
            errors.append(_op_msg(op, f"attribute '{name}' must be a {kind}, got {attrs[name]!r}"))
    for name, allowed in od.get("allowed", {}).items():
        value = attrs.get(name)
        values = value if isinstance(value, list) else [value]
        for v in values:
            if isinstance(v, T.DType) and v.enum not in allowed:
                names = ", ".join(T.dtype_from_enum(e).mlir for e in allowed if T.BY_ENUM.get(e))
                errors.append(_op_msg(op, f"attribute '{name}' is {v.mlir}, which the op does not "
                                          f"accept (allowed: {names})"))
    before = len(errors)
    _check_values(op, "operand", op.operands, od["inputs"], attrs, errors)
    _check_values(op, "result", op.results, od["outputs"], attrs, errors)
    if len(errors) > before:
        return  # shape inference relies on the operand and result counts checked above
    try:
        inferred = S.infer_result_shapes(op)
    except (ValueError, ArithmeticError) as e:  # ArithmeticError: e.g. a zero stride
        errors.append(_op_msg(op, str(e)))
        return
    if inferred is None:
        return
    for r, want in zip(op.results, inferred):
        have = getattr(r.type, "shape", None)
        if not T.shapes_compatible(have, want):
            errors.append(_op_msg(op, f"result #{r.index} has shape {S.shape_str(have)}, but its operands "
                                      f"give {S.shape_str(want)}"))


def verify(module: Module) -> None:
    """Raise VerificationError (first problem in its message) if the module is malformed."""
    errors: list[str] = []
    for fn in module.all_functions():
        verify_function(fn, module, errors)
    for s in module.signatures.values():
        if s.function not in module.functions:
            errors.append(f"signature '{s.name}': error: refers to unknown function @{s.function}")
    for alias, targets in module.aliases.items():
        for target in targets:
            if target not in module.functions:
                errors.append(f"function alias '{alias}': error: refers to unknown function @{target}")
    for fname in sorted(module.aliased_functions()):
        names = module.function_aliases_of(fname)
        if len(names) > 1:   # a SavedModel's function_aliases give each function one alias
            errors.append(f"function @{fname}: error: has several aliases ("
                          + ", ".join(f"'{a}'" for a in names) + "); a SavedModel gives a function at most one")
    if errors:
        raise VerificationError(errors)


__all__ = ["verify", "VerificationError", "FuncAttr"]
