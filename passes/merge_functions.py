"""merge-functions: fold functions with identical bodies into one (LLVM's mergefunc).

Keras exports one signature wrapper per signature (`serve` and `serving_default` are the
same three ops calling the same `__call__` trace), and inlining or quantization can leave
more twins behind. Two functions merge when their printed IR is identical apart from the
function's name: same argument names and types, attributes, ops, op names and constant
values. The first one in module order stays; every reference to the other (call ops,
function-valued attributes, signatures, aliases) is retargeted to it. Merging callees can
make their callers identical, so the pass repeats until nothing changes. Twins with different
aliases stay apart (a SavedModel gives a function at most one alias); two traces of one
aliased tf.function merge into one function with that alias.

What may go: a function the SavedModel's object graph does not export, or a signature
function whose twin is a signature function too (the exporter points each signature's
object-graph entry at the function that remains, and signature functions are called by
keyword, which identical argument names keep intact). Other exported functions stay, as
do recursive ones.
"""
from __future__ import annotations

import hashlib
import io

from smopt.ir.printer import Printer, symbol

from smopt.passes.framework.registry import Pass, register

_INLINE_CONSTANT_LIMIT = 64   # larger constants are compared by a digest of their bytes


class _KeyPrinter(Printer):
    """The function's text with large constants replaced by a digest (cheap and exact)."""

    def dense(self, d):
        if d.array.size > _INLINE_CONSTANT_LIMIT and d.array.dtype != object:
            digest = hashlib.sha1(d.array.tobytes()).hexdigest()
            return f"dense_digest<{digest}> : {d.type}"
        return super().dense(d)


def _key(fn):
    out = io.StringIO()
    _KeyPrinter().function(fn, out)
    return out.getvalue()[len("  func.func ") + len(symbol(fn.name)):]


def _references_itself(fn):
    return any(callee == fn.name for _, callee, _ in fn.walk_function_refs())


@register
class MergeFunctions(Pass):
    name = "merge-functions"
    title = "MergeFunctions"
    summary = "Merge functions whose bodies are identical"
    statistics = {"num-merged": "Number of functions merged into an identical one"}

    def run(self, module):
        while self._merge_once(module):
            pass

    def _merge_once(self, module):
        signature_fns = {s.function for s in module.signatures.values()}
        canonical = {}   # key -> name of the first function with that body
        mapping = {}
        for name, fn in module.functions.items():
            if _references_itself(fn):
                continue
            key = _key(fn)
            first = canonical.setdefault(key, name)
            if first == name:
                continue
            exported = bool(fn.attrs.get("tf_saved_model.exported"))
            if exported and not (name in signature_fns and first in signature_fns):
                continue
            mine, theirs = module.function_aliases_of(name), module.function_aliases_of(first)
            if mine and theirs and mine != theirs:
                continue   # a SavedModel function has at most one alias: both stay
            mapping[name] = first
        if not mapping:
            return False
        module.retarget_function_refs(mapping)
        for name in mapping:
            module.remove_function(name)
            self.bump("num-merged")
        return True


__all__ = ["MergeFunctions"]
