"""inline: inline the callees of PartitionedCall / StatefulPartitionedCall and direct calls.

The callee body is cloned before the call (node names prefixed `<call>/`), arguments map to
the call's operands and the call's results to the callee's returns. Control semantics are
kept: the call's control inputs gate the cloned ops that have no other predecessor, and a
NoOp named after the call stands for "the call finished" (all control outputs and result
producers) for whoever depended on the call's control token.

Not inlined: recursive functions, TPUPartitionedCall (a device boundary), callees marked
`_noinline` (unless respect-noinline=false), XLA-compiled callees (`_XlaMustCompile`),
whose compilation would be lost (unless inline-xla=true), and functions with a function
alias, which TPU conversion selects by name (unless inline-aliased=true).
"""
from __future__ import annotations

from smopt.ir.builder import Builder
from smopt.ir.core import OpResult

from smopt.passes.analysis.traits import PLAIN_CALLS
from smopt.passes.framework.registry import Pass, option, register


def inline_call(call, callee):
    """Replace `call` (in its function) by a copy of `callee`'s body. Returns the copies."""
    fn = call.parent
    vmap = dict(zip(callee.args, call.operands))
    cloned = []
    cloned_ids = set()
    prefix = call.name + "/"
    b = Builder.before(call)
    for op in callee.ops:
        new = b.clone(op, vmap, prefix + op.name)
        cloned.append(new)
        cloned_ids.add(id(new))
    for new in cloned:
        internal = any(isinstance(v, OpResult) and id(v.op) in cloned_ids for v in new.operands) or \
            any(id(c.op) in cloned_ids for c in new.control_inputs)
        if not internal:
            for c in call.control_inputs:
                new.add_control_input(c)
    for r, ret in zip(call.results, callee.returns):
        r.replace_all_uses_with(vmap[ret])
    if call.control.uses:
        deps = [vmap[t] for _, t in callee.control_rets]
        deps += [vmap[v].op.control for v in callee.returns
                 if isinstance(vmap[v], OpResult) and id(vmap[v].op) in cloned_ids]
        if not deps:
            deps = list(call.control_inputs)
        done = b.create("NoOp", name=call.name, control_inputs=deps)
        call.control.replace_all_uses_with(done.control)
        call.erase()
        fn.rename_op(done, call.name)  # dependents keep waiting on a node of the call's name
        cloned.append(done)
    else:
        call.erase()
    return cloned


@register
class Inline(Pass):
    name = "inline"
    title = "Inliner"
    summary = "Inline PartitionedCall/StatefulPartitionedCall callees"
    max_depth: int = option(8, "rounds of inlining (calls exposed by inlining count as deeper)")
    respect_noinline: bool = option(True, "do not inline callees with _noinline=true")
    inline_xla: bool = option(False, "also inline callees with _XlaMustCompile=true")
    inline_aliased: bool = option(
        False, "also inline functions that carry a function alias (their identity is a contract)")
    statistics = {"num-inlined": "Number of call sites inlined"}

    def _inlinable(self, callee, recursive, aliased):
        if callee is None or callee.name in recursive:
            return False
        if not self.inline_aliased and callee.name in aliased:
            return False
        if self.respect_noinline and callee.attrs.get("_noinline") is True:
            return False
        if not self.inline_xla and callee.attrs.get("_XlaMustCompile") is True:
            return False
        return True

    def run(self, module):
        for _ in range(max(self.max_depth, 0)):
            recursive = module.call_graph().recursive_functions()
            aliased = module.aliased_functions()
            sites = []
            for fn in module.functions.values():
                for op in fn.ops:
                    if (op.type in PLAIN_CALLS or op.type in module.functions) and op.callee:
                        callee = module.functions.get(op.callee)
                        if callee is not fn and self._inlinable(callee, recursive, aliased):
                            sites.append((op, callee))
            if not sites:
                break
            # Inline bodies as they were when the round started, so that one round is one level.
            bodies = {c.name: c.clone(c.name, module) for _, c in sites}
            for call, callee in sites:
                inline_call(call, bodies[callee.name])
                self.bump("num-inlined")
