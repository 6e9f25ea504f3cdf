"""Test-only passes that exercise the pass manager's failure paths (as MLIR's test passes do).

test-fail reports a failure, test-crash raises, test-break-ir leaves IR that does not verify.
"""
from __future__ import annotations

from smopt.ir.attributes import FuncAttr
from smopt.ir.builder import Builder

from smopt.passes.framework.registry import Pass, PassError, option, register


@register
class TestFail(Pass):
    name = "test-fail"
    title = "TestFail"
    summary = "(testing) Report a failure"
    message: str = option("requested failure", "the failure message")

    def run(self, module):
        raise PassError(self.message)


@register
class TestCrash(Pass):
    name = "test-crash"
    title = "TestCrash"
    summary = "(testing) Raise an unexpected exception"

    def run(self, module):
        raise RuntimeError("boom")


@register
class TestBreakIR(Pass):
    name = "test-break-ir"
    title = "TestBreakIR"
    summary = "(testing) Add a call to a function that does not exist"

    def run(self, module):
        for fn in module.functions.values():
            Builder.at_end(fn).create("PartitionedCall", (), (), {"f": FuncAttr("missing")}, "broken")
            return
