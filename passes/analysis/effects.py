"""Side-effect queries shared by the cleanup passes (which ops may be erased or merged)."""
from __future__ import annotations

from smopt.ir import opdefs
from smopt.ir.core import CALL_OPS


class SideEffects:
    """Memoized statefulness of ops and functions within one module."""

    def __init__(self, module):
        self.module = module
        self._fn = {}

    def function_stateful(self, name):
        if name in self._fn:
            return self._fn[name]
        self._fn[name] = False  # cycles: assume pure while visiting, fixed below
        f = self.module.functions.get(name)
        result = True if f is None else any(self.op_stateful(op) for op in f.ops)
        self._fn[name] = result
        return result

    def op_stateful(self, op):
        m = self.module
        if op.type == "BatchFunction":
            # TF's registry does not flag BatchFunction stateful; it is as stateful as `f`.
            f = op.attrs.get("f")
            return f is None or self.function_stateful(f.name)
        if op.type in CALL_OPS:
            callee = op.callee
            return callee is None or self.function_stateful(callee)
        if op.type in m.functions:
            return self.function_stateful(op.type)
        return opdefs.is_stateful(op, m)
