"""canonicalize: local simplifications that keep TF semantics.

- Identity (and no-op Cast, Snapshot) without control inputs: uses read the input directly;
  users of its control token depend on the input's producer instead (nothing, for arguments;
  an Identity of an argument that is a function control output stays for that output,
  since the output needs a node to name, and its value users read the argument).
  An Identity whose control inputs only wait for the function's own control outputs (TF2's
  `Identity(y, ^NoOp)` return pattern) folds too when its value only leaves the function:
  a call completes after all control outputs anyway.
- NoOp: erased when nothing depends on it; when it has no control inputs its dependents
  lose the edge; when it has a single dependent op (or a single control input) the
  dependents inherit its control inputs directly.
The main graph is left alone (signatures fetch its nodes by name).
Written as rewrite patterns (`smopt.ir.rewrite`) that the greedy driver applies to a fixpoint.
"""
from __future__ import annotations

from smopt.ir.core import Function, OpResult
from smopt.ir.rewrite import RewritePattern, apply_patterns_greedily

from smopt.passes.analysis.traits import UNARY_FORWARDING
from smopt.passes.framework.registry import FunctionPass, register


def _covered_by_control_rets(fn):
    """Ops that finish before `fn` returns anyway: control outputs, and NoOps over them."""
    covered = {id(tok.op) for _, tok in fn.control_rets}
    for op in fn.ops:
        if op.type == "NoOp" and op.control_inputs and all(id(c.op) in covered for c in op.control_inputs):
            covered.add(id(op))
    return covered


def _forwarded_input(op, covered):
    if len(op.operands) != 1 or len(op.results) != 1:
        return None
    if op.control_inputs:
        only_returned = all(isinstance(u, Function) for u, _ in op.results[0].uses)
        if not (only_returned and not op.control.uses
                and all(id(c.op) in covered for c in op.control_inputs)):
            return None
    if op.type in UNARY_FORWARDING:
        pass
    elif op.type == "Cast" and op.attrs.get("SrcT") is op.attrs.get("DstT") is not None:
        pass
    else:
        return None
    src = op.operands[0]
    if src.type.element != op.results[0].type.element:
        return None
    return src


@register
class Canonicalize(FunctionPass):
    name = "canonicalize"
    title = "Canonicalizer"
    summary = "Fold Identity chains and remove NoOps without control effect"
    statistics = {
        "num-identities-folded": "Number of Identity-like ops folded",
        "num-noops-removed": "Number of NoOps removed",
    }

    def initialize(self, module):
        self.stages = [[FoldIdentity(), KeepIdentityForControlOutput()], [RemoveNoOp()]]

    def run_on_function(self, fn):
        # Identities first, then NoOps, each a walk per round (as before the patterns), so
        # control edges move in the same order. Each round that changes anything erases an
        # op or empties an Identity's uses: the loop ends without a cap.
        result = apply_patterns_greedily(fn, self.stages, max_iterations=None)
        for pattern, stat in (("FoldIdentity", "num-identities-folded"), ("RemoveNoOp", "num-noops-removed")):
            if result.counts[pattern]:
                self.bump(stat, result.counts[pattern])


class _IdentityPattern(RewritePattern):
    def __init__(self):
        self.op_types = tuple(sorted(UNARY_FORWARDING)) + ("Cast",)
        self.covered = set()

    def begin(self, function):
        self.covered = _covered_by_control_rets(function)


def _held_by_control_output(op):
    return any(isinstance(u, Function) for u, _ in op.control.uses)


class FoldIdentity(_IdentityPattern):
    """Users of an Identity-like op read its input; its control users wait on the input's
    producer (nothing, for an argument)."""

    def match_and_rewrite(self, op, rewriter):
        src = _forwarded_input(op, self.covered)
        if src is None or (not isinstance(src, OpResult) and _held_by_control_output(op)):
            return False
        rewriter.replace_all_uses_with(op.results[0], src)
        if op.control.uses:
            if isinstance(src, OpResult):
                rewriter.replace_all_uses_with(op.control, src.op.control)
            else:
                rewriter.drop_control_uses(op)
        rewriter.erase_op(op)
        return True


class KeepIdentityForControlOutput(_IdentityPattern):
    """An Identity of an argument that a control output names stays for that output (an
    argument has no token to name instead); its value users read the argument."""

    def match_and_rewrite(self, op, rewriter):
        src = _forwarded_input(op, self.covered)
        if src is None or isinstance(src, OpResult) or not _held_by_control_output(op) \
                or not op.results[0].uses:
            return False
        rewriter.replace_all_uses_with(op.results[0], src)
        return True


class RemoveNoOp(RewritePattern):
    """A NoOp nothing depends on goes; one without control inputs takes its dependents'
    edges with it; one with a single dependent or a single control input hands its control
    inputs to its dependents. A function control output keeps it (its name is the contract)."""

    op_types = ("NoOp",)

    def match_and_rewrite(self, op, rewriter):
        if op.results:
            return False
        users = op.control.uses
        if _held_by_control_output(op):
            return False
        if not users:
            pass
        elif not op.control_inputs:
            rewriter.drop_control_uses(op)
        elif len(users) == 1 or len(op.control_inputs) == 1:
            rewriter.forward_control_uses(op)
        else:
            return False
        rewriter.erase_op(op)
        return True
