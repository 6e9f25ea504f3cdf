"""cse: merge ops that compute the same value (same op, attrs, operands, control inputs, device).

Stateful ops and ops without results are never merged. Uses of a duplicate's results and
control token move to the first occurrence. The main graph is left alone.
One top-down walk (keys see the operands earlier merges chose, so it reaches the fixpoint)
that changes the IR through a PatternRewriter.
"""
from __future__ import annotations

from smopt.ir.attributes import freeze
from smopt.ir.rewrite import PatternRewriter

from smopt.passes.framework.registry import FunctionPass, register
from smopt.passes.analysis.traits import SideEffects


@register
class CSE(FunctionPass):
    name = "cse"
    title = "CSE"
    summary = "Eliminate common subexpressions"
    statistics = {"num-cse'd": "Number of operations CSE'd"}

    def initialize(self, module):
        self.effects = SideEffects(module)

    def run_on_function(self, fn):
        rewriter = PatternRewriter(fn)
        seen = {}
        dups = 0
        for op in fn.ops:
            if not op.results or self.effects.op_stateful(op):
                continue
            key = (op.type, tuple(id(v) for v in op.operands),
                   frozenset(id(c) for c in op.control_inputs), freeze(op.attrs), op.device,
                   tuple(r.type for r in op.results))
            first = seen.get(key)
            if first is None:
                seen[key] = op
                continue
            rewriter.replace_op(op, first)   # results, then the control token
            dups += 1
        if dups:
            self.bump("num-cse'd", dups)
