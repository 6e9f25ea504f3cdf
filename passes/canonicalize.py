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
"""
from __future__ import annotations

from smopt.ir.core import Function, OpResult

from smopt.passes.framework.registry import Pass, register

_FORWARDING = ("Identity", "Snapshot", "StopGradient", "PreventGradient")


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
    if op.type in _FORWARDING:
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
class Canonicalize(Pass):
    name = "canonicalize"
    title = "Canonicalizer"
    summary = "Fold Identity chains and remove NoOps without control effect"
    statistics = (("num-identities-folded", "Number of Identity-like ops folded"),
                  ("num-noops-removed", "Number of NoOps removed"))

    def run(self, module):
        for fn in module.functions.values():
            changed = True
            while changed:
                changed = self._identities(fn) | self._noops(fn)

    def _identities(self, fn):
        folded, redirected = [], False
        covered = _covered_by_control_rets(fn)
        for op in fn.ops:
            src = _forwarded_input(op, covered)
            if src is None:
                continue
            if not isinstance(src, OpResult) and any(isinstance(u, Function) for u, _ in op.control.uses):
                # A control output names it and an argument has no token to name instead: the
                # op stays for its control output, its value users read the argument.
                redirected |= bool(op.results[0].uses)
                op.results[0].replace_all_uses_with(src)
                continue
            op.results[0].replace_all_uses_with(src)
            if op.control.uses:
                if isinstance(src, OpResult):
                    op.control.replace_all_uses_with(src.op.control)
                else:
                    self._drop_control_uses(op)
            folded.append(op)
        if folded:
            fn.remove_ops(folded)
            self.bump("num-identities-folded", len(folded))
        return bool(folded) or redirected

    @staticmethod
    def _drop_control_uses(op):
        for user, _ in list(op.control.uses):
            if isinstance(user, Function):
                return False
            user.remove_control_input(op.control)
        return True

    def _noops(self, fn):
        removed = []
        for op in fn.ops:
            if op.type != "NoOp" or op.results:
                continue
            users = op.control.uses
            if any(isinstance(u, Function) for u, _ in users):
                continue  # a control output of the function: its name is part of the contract
            if not users:
                pass
            elif not op.control_inputs:
                self._drop_control_uses(op)
            elif len(users) == 1 or len(op.control_inputs) == 1:
                for user, _ in list(users):
                    user.remove_control_input(op.control)
                    for c in op.control_inputs:
                        user.add_control_input(c)
            else:
                continue
            removed.append(op)
        if removed:
            fn.remove_ops(removed)
            self.bump("num-noops-removed", len(removed))
        return bool(removed)
