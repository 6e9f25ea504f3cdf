"""dce: erase ops whose results and control token are unused and that have no side effects.

Stateful ops (per the op registry, or calls of functions that contain them) are kept;
the SavedModel's main graph is left alone because its nodes are fetched by name.
A rewrite pattern, applied bottom-up by the greedy driver.
"""
from __future__ import annotations

from smopt.ir.core import Op
from smopt.ir.rewrite import RewritePattern, apply_patterns_greedily

from smopt.passes.framework.registry import FunctionPass, register
from smopt.passes.analysis.traits import SideEffects


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
class DCE(FunctionPass):
    name = "dce"
    title = "DCE"
    summary = "Erase ops that have no uses and no side effects"
    statistics = {"num-erased": "Number of ops erased"}

    def initialize(self, module):
        self.patterns = [EraseUnusedOp(SideEffects(module))]

    def run_on_function(self, fn):
        # Bottom-up, users go before the ops they use: one walk erases whole dead chains.
        result = apply_patterns_greedily(fn, self.patterns, reverse=True)
        if result.counts["EraseUnusedOp"]:
            self.bump("num-erased", result.counts["EraseUnusedOp"])


class EraseUnusedOp(RewritePattern):
    """An op without side effects whose results and control token nothing uses."""

    def __init__(self, effects):
        self.effects = effects

    def match_and_rewrite(self, op, rewriter):
        if op.has_uses or self.effects.op_stateful(op):
            return False
        rewriter.erase_op(op)
        return True
