"""The pass framework (typed options, declared statistics, FunctionPass) and the pass
manager's instrumentation hooks and change detection. No TensorFlow."""
from __future__ import annotations

import io

import pytest

from smopt.compiler.errors import PassFailure
from smopt.compiler.pass_manager import (FailureInfo, Instrumentation, PassInstrumentation, PassManager,
                                         PassRejected)
from smopt.ir import parse_module, print_module
from smopt.ir.fingerprint import module_fingerprint
from smopt.passes.framework import registry
from smopt.passes.framework.registry import (REGISTRY, FunctionPass, Pass, PipelineError,
                                             UndeclaredStatisticError, option, parse_pipeline, register)

IR = """
func.func @f(%x: tensor<3xf32>) -> (tensor<3xf32> {tf.name = "r"}) {
  %0 = "tf.Identity"(%x) {T = f32} : (tensor<3xf32>) -> tensor<3xf32> loc("id")
  %1 = "tf.Neg"(%0) {T = f32} : (tensor<3xf32>) -> tensor<3xf32> loc("neg")
  return %1 : tensor<3xf32>
}
func.func @g(%x: tensor<f32>) -> (tensor<f32> {tf.name = "r"}) {
  %0 = "tf.Neg"(%x) {T = f32} : (tensor<f32>) -> tensor<f32> loc("a")
  return %0 : tensor<f32>
}
"""


@pytest.fixture
def scratch_registry():
    """Passes a test registers leave the registry afterwards."""
    registry.load_all()
    before = dict(REGISTRY)
    yield
    REGISTRY.clear()
    REGISTRY.update(before)


# ---- declarations --------------------------------------------------------------------------
def test_typed_options_parse_format_and_list(scratch_registry):
    @register
    class Demo(Pass):
        """Demo pass: the long description."""
        name = "test-demo-options"
        summary = "options of every kind"
        max_depth: int = option(8, "an int")
        ratio: float = option(0.5, "a float")
        strict: bool = option(True, "a bool")
        mode: str = option("a", "a choice", choices=("a", "b"))
        names: list[str] = option([], "strings")
        sizes: list[int] = option([1, 2], "ints")
        statistics = {"num-things": "Things counted"}

    assert [o.name for o in Demo.options] == ["max-depth", "ratio", "strict", "mode", "names", "sizes"]
    assert [o.type for o in Demo.options] == [int, float, bool, str, "list[str]", "list[int]"]
    (p,) = parse_pipeline("test-demo-options{max-depth=0x10 strict=false mode=b names=x,'y z' sizes=3}")
    assert (p.max_depth, p.ratio, p.strict, p.mode, p.names, p.sizes) == (16, 0.5, False, "b", ["x", "y z"], [3])
    assert p.pipeline_text() == "test-demo-options{max-depth=16 strict=false mode=b names=x,y z sizes=3}"
    q = Demo()
    q.sizes.append(9)
    assert Demo().sizes == [1, 2], "list defaults are copied per instance"
    with pytest.raises(PipelineError, match="option 'mode' of pass 'test-demo-options' expects one of a, b"):
        parse_pipeline("test-demo-options{mode=c}")
    with pytest.raises(PipelineError, match=r"has no option 'depth' \(options: max-depth, mode, names, "):
        parse_pipeline("test-demo-options{depth=1}")
    text = registry.describe_all(verbose=True)
    assert "      mode=<a|b> (default a) - a choice" in text
    assert "      (S) num-things - Things counted" in text
    assert "      Demo pass: the long description." in text
    assert "Demo pass: the long description." not in registry.describe_all()


def test_option_declarations_are_checked():
    with pytest.raises(TypeError, match="needs a type annotation"):
        class NoType(Pass):  # noqa: F841
            name = "x"
            depth = option(1, "no annotation")
    with pytest.raises(TypeError, match="default 'one' is not a int"):
        class BadDefault(Pass):  # noqa: F841
            name = "x"
            depth: int = option("one", "wrong default")
    with pytest.raises(TypeError, match="unsupported type 'dict"):
        class BadType(Pass):  # noqa: F841
            name = "x"
            table: dict[str, int] = option({}, "no such option type")
    with pytest.raises(TypeError, match="shadows a Pass attribute"):
        class Shadow(Pass):  # noqa: F841
            name = "x"
            summary: str = option("", "clashes with the class attribute")


def test_options_inherit_unless_opted_out():
    class Base(Pass):
        name = "x"
        a: int = option(1, "a")

    class Child(Base):
        name = "y"
        b: int = option(2, "b")

    class Alone(Base):
        name = "z"
        inherit_options = False
        c: int = option(3, "c")

    assert [o.name for o in Child.options] == ["a", "b"]
    assert [o.name for o in Alone.options] == ["c"]
    # tpu-auto-partition reuses xla-cluster's code, not its options.
    assert [o.name for o in registry.get("tpu-auto-partition").options] == ["min-cost-percent"]


def test_undeclared_statistic_is_an_error():
    class Counts(Pass):
        name = "x"
        statistics = {"num-done": "Done"}

    p = Counts()
    p.bump("num-done", 2)
    assert p.stats == {"num-done": 2}
    with pytest.raises(UndeclaredStatisticError, match="undeclared statistic 'num-typo'"):
        p.bump("num-typo")
    with pytest.raises(UndeclaredStatisticError):
        p.stats["num-typo"] = 1


def test_every_registered_pass_declares_what_it_counts():
    for name, cls in registry.load_all().items():
        p = cls()
        assert set(p.stats) == {s.name for s in cls.statistics}, name
        assert cls.long_description(), f"{name} has no long description"


def test_function_pass_visits_functions_and_opts_into_the_graph():
    m = parse_module(IR)
    seen = []

    class Names(FunctionPass):
        name = "x"

        def initialize(self, module):
            seen.append("init")

        def run_on_function(self, fn):
            seen.append(fn.name)

    Names().run(m)
    assert seen == ["init", "f", "g"]

    class WithGraph(Names):
        runs_on_main_graph = True

    g = parse_module("tf.graph {\n}\n" + IR)
    seen.clear()
    WithGraph().run(g)
    assert seen == ["init", "__graph__", "f", "g"]


# ---- hooks ---------------------------------------------------------------------------------
class Recorder(PassInstrumentation):
    def __init__(self, log, tag=""):
        self.log, self.tag = log, tag

    def before_pipeline(self, pm, module):
        self.log.append(f"{self.tag}begin")

    def before_pass(self, p, module):
        self.log.append(f"{self.tag}before {p.name}")

    def after_pass(self, p, module):
        self.log.append(f"{self.tag}after {p.name}")

    def after_failed(self, p, module, failure):
        self.log.append(f"{self.tag}failed {p.name}: {failure.message}")

    def after_pipeline(self, pm, module):
        self.log.append(f"{self.tag}end")


def test_hooks_are_called_in_order():
    log = []
    pm = PassManager(parse_pipeline("canonicalize,cse"), instrumentations=[Recorder(log, "1:"), Recorder(log, "2:")])
    pm.run(parse_module(IR))
    assert log == ["1:begin", "2:begin", "1:before canonicalize", "2:before canonicalize",
                   "2:after canonicalize", "1:after canonicalize", "1:before cse", "2:before cse",
                   "2:after cse", "1:after cse", "2:end", "1:end"]


def test_a_rejecting_hook_fails_the_pass():
    class Reject(PassInstrumentation):
        def after_pass(self, p, module):
            if p.name == "cse":
                raise PassRejected("not today")

    log = []
    pm = PassManager(parse_pipeline("canonicalize,cse,dce"), instrumentations=[Recorder(log), Reject()])
    with pytest.raises(PassFailure, match="pass 'cse' failed: not today"):
        pm.run(parse_module(IR))
    assert log[-2:] == ["before cse", "failed cse: not today"]


def test_failure_hooks_may_add_to_the_failure():
    class Note(PassInstrumentation):
        def after_failed(self, p, module, failure: FailureInfo):
            failure.message += " (noted)"

    with pytest.raises(PassFailure, match=r"crashed with RuntimeError: boom \(noted\)"):
        class Boom(Pass):
            name = "x"

            def run(self, module):
                raise RuntimeError("boom")
        PassManager([Boom()], instrumentations=[Note()]).run(parse_module(IR))


# ---- change detection ----------------------------------------------------------------------
def test_fingerprint_follows_the_printed_text():
    m = parse_module(IR)
    fp = module_fingerprint(m)
    assert module_fingerprint(parse_module(print_module(m))) == fp
    f = m.functions["f"]
    neg = f.ops[1]
    # The op replaced by an identical one: same text, same fingerprint.
    with f.inserting_before(neg) as b:
        twin = b.clone(neg, uniquify=False)
    neg.results[0].replace_all_uses_with(twin.results[0])
    neg.erase()
    assert module_fingerprint(m) == fp
    neg = twin
    neg.attrs["T"] = neg.attrs["T"]
    assert module_fingerprint(m) == fp
    neg.attrs["note"] = "x"            # an attribute: printed, so a change
    assert module_fingerprint(m) != fp
    assert module_fingerprint(m).changed_functions(fp) == ["f"]
    del neg.attrs["note"]
    assert module_fingerprint(m) == fp
    m.add_alias("a", "g")              # a module-level item
    assert module_fingerprint(m) != fp
    assert module_fingerprint(m).view(lambda n: n == "f") == fp.view(lambda n: n == "f")


def test_print_ir_after_change_does_not_print_before_passes(monkeypatch):
    from smopt.compiler import pass_manager
    printed = []
    real = pass_manager.print_module

    def counting(module, *args, **kwargs):
        printed.append(1)
        return real(module, *args, **kwargs)

    monkeypatch.setattr(pass_manager, "print_module", counting)
    out = io.StringIO()
    inst = Instrumentation(print_after_change=True, stream=out)
    PassManager(parse_pipeline("canonicalize,cse,dce,canonicalize"), inst).run(parse_module(IR))
    assert len(printed) == 1       # the one dump, after canonicalize
    assert out.getvalue().count("IR Dump After") == 1
