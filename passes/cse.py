"""cse: merge ops that compute the same value (same op, attrs, operands, control inputs, device).

Stateful ops and ops without results are never merged. Uses of a duplicate's results and
control token move to the first occurrence. The main graph is left alone.
"""
from __future__ import annotations

from smopt.ir.attributes import freeze

from smopt.passes.framework.registry import Pass, register
from smopt.passes.analysis.effects import SideEffects


@register
class CSE(Pass):
    name = "cse"
    title = "CSE"
    summary = "Eliminate common subexpressions"
    statistics = (("num-cse'd", "Number of operations CSE'd"),)

    def run(self, module):
        effects = SideEffects(module)
        for fn in module.functions.values():
            seen = {}
            dups = []
            for op in fn.ops:
                if not op.results or effects.op_stateful(op):
                    continue
                key = (op.type, tuple(id(v) for v in op.operands),
                       frozenset(id(c) for c in op.control_inputs), freeze(op.attrs), op.device,
                       tuple(r.type for r in op.results))
                first = seen.get(key)
                if first is None:
                    seen[key] = op
                    continue
                for r, fr in zip(op.results, first.results):
                    r.replace_all_uses_with(fr)
                op.control.replace_all_uses_with(first.control)
                dups.append(op)
            if dups:
                fn.remove_ops(dups)
                self.bump("num-cse'd", len(dups))
