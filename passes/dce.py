"""dce: erase ops whose results and control token are unused and that have no side effects.

Stateful ops (per the op registry, or calls of functions that contain them) are kept;
the SavedModel's main graph is left alone because its nodes are fetched by name.
"""
from __future__ import annotations

from smopt.ir.core import Op

from smopt.passes.framework.registry import Pass, register
from smopt.passes.analysis.effects import SideEffects


def dead_ops(fn, effects):
    """The ops of `fn` that nothing live uses, found in one reverse sweep."""
    dead = set()
    for op in reversed(fn.ops):
        if effects.op_stateful(op):
            continue
        values = list(op.results) + [op.control]
        if all(isinstance(user, Op) and id(user) in dead
               for v in values for user, _ in v.uses):
            dead.add(id(op))
    return [op for op in fn.ops if id(op) in dead]


@register
class DCE(Pass):
    name = "dce"
    title = "DCE"
    summary = "Erase ops that have no uses and no side effects"
    statistics = (("num-erased", "Number of ops erased"),)

    def run(self, module):
        effects = SideEffects(module)
        for fn in module.functions.values():
            dead = dead_ops(fn, effects)
            if dead:
                fn.remove_ops(dead)
                self.bump("num-erased", len(dead))
