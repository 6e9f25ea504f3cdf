"""Structural fingerprints: whether a module changed, without printing it.

A fingerprint hashes everything the printer prints (module attributes, signatures, aliases,
variables with their values, assets, every function's arguments, ops, attributes, types,
results and the order of all of them), by value and by position: values are numbered in
definition order as the printer names them, never by object identity, so a pass that
rebuilds an op identical to the one it replaced leaves the fingerprint as it was. Two
fingerprints are equal exactly when the printed texts are (barring 64-bit hash collisions
and float attributes that differ only below the printed float32 precision).

The pass manager compares the fingerprints taken before and after a pass for
`--print-ir-after-change` and `--print-changed`, per function when `--print-ir-function`
restricts the dumps.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from smopt.ir.attributes import freeze
from smopt.ir.core import Function, Module


class ModuleFingerprint:
    """The fingerprint of one module state: the module header (its attributes), the other
    module-level items, and each function's hash in print order (the main graph first)."""

    __slots__ = ("header", "items", "functions")

    def __init__(self, header: int, items: int, functions: tuple[tuple[str, int], ...]) -> None:
        self.header = header
        self.items = items
        self.functions = functions

    def view(self, select: Callable[[str], bool] | None = None) -> tuple[Any, ...]:
        """What a dump shows: everything, or (with `select`, a function-name predicate) the
        module header and the selected functions only."""
        if select is None:
            return (self.header, self.items, self.functions)
        return (self.header, tuple((n, h) for n, h in self.functions if select(n)))

    def changed_functions(self, other: ModuleFingerprint) -> list[str]:
        """Names of the functions whose hash differs between the two (or that only one has)."""
        mine, theirs = dict(self.functions), dict(other.functions)
        return [n for n in dict.fromkeys(list(mine) + list(theirs)) if mine.get(n) != theirs.get(n)]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ModuleFingerprint) and self.view() == other.view()

    def __hash__(self) -> int:
        return hash(self.view())


def function_fingerprint(fn: Function) -> int:
    """A hash of everything the printer prints for `fn`."""
    try:
        return _function_hash(fn)
    except TypeError:  # an unhashable attribute value: hash what the printer makes of it
        from smopt.ir.printer import print_function
        return hash(print_function(fn))


def _function_hash(fn: Function) -> int:
    ref: dict[int, int] = {}
    for i, a in enumerate(fn.args):
        ref[id(a)] = -1 - i

    def use(v: object) -> object:
        r = ref.get(id(v))
        return ("?", id(v)) if r is None else r

    n = 0
    ops = []
    for op in fn.ops:
        operands = tuple([use(v) for v in op.operands])
        controls = tuple([use(c) for c in op.control_inputs])
        for r in op.results:
            ref[id(r)] = n
            n += 1
        ref[id(op.control)] = n
        n += 1
        ops.append((op.type, op.name, op.device, operands, controls, freeze(op.attrs),
                    tuple([r.type for r in op.results]), bool(op.control.uses)))
    head = (fn.name, fn.is_graph, tuple([(a.name, a.type, freeze(a.attrs)) for a in fn.args]),
            freeze(fn.attrs))
    tail = (tuple([use(v) for v in fn.returns]), tuple([v.type for v in fn.returns]),
            tuple(fn.result_names), freeze(list(fn.result_attrs)),
            tuple([(name, use(tok)) for name, tok in fn.control_rets]))
    return hash((head, tuple(ops), tail))


def _value_key(value: Any) -> Any:
    if value is None:
        return None
    try:
        return (str(value.dtype), tuple(value.shape), hash(value.tobytes()))
    except (AttributeError, TypeError, ValueError):
        return ("object", id(value))


def module_fingerprint(module: Module) -> ModuleFingerprint:
    """The fingerprint of `module` as it is now."""
    m = module
    sigs = tuple((s.name, s.function, s.method_name, tuple(s.inputs), tuple(s.outputs), freeze(s.defaults))
                 for s in m.signatures.values())
    variables = tuple((v.path, v.name, v.checkpoint_key, v.node_id, v.trainable, v.type, freeze(v.attrs),
                       _value_key(v.value)) for v in m.variables)
    assets = tuple((a.filename, a.node_id, a.tensor_name) for a in m.assets)
    functions = []
    if m.graph is not None:
        functions.append((m.graph.name, function_fingerprint(m.graph)))
    for f in m.functions.values():
        functions.append((f.name, function_fingerprint(f)))
    try:
        header = hash(freeze(m.attrs))
        items = hash((sigs, tuple(sorted((a, tuple(fs)) for a, fs in m.aliases.items())), variables, assets, m.meta_graph,
                      m.graph is not None))
    except TypeError:  # an unhashable attribute value: hash the printed text instead
        from smopt.ir.printer import print_module
        header = items = hash(print_module(m))
    return ModuleFingerprint(header, items, tuple(functions))


__all__ = ["ModuleFingerprint", "function_fingerprint", "module_fingerprint"]
