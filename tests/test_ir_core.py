"""The IR core, the Builder and the rewrite driver, without TensorFlow: small functions built
in Python (or parsed from text), checked for op order, names, O(1) insertion, pattern
fixpoints and the driver's statistics."""
from __future__ import annotations

import time

import numpy as np
import pytest

from smopt.ir import parse_module, print_function
from smopt.ir import types as T
from smopt.ir.builder import Builder
from smopt.ir.core import Function, Module, OpResult
from smopt.ir.rewrite import PatternRewriter, RewritePattern, apply_patterns_greedily

F32 = T.TensorType(T.float32, ())


def _function(*types):
    """A function @f with ops named after `types` in a chain: each reads the previous value."""
    m = Module()
    fn = m.add_function(Function("f", m))
    v = fn.add_argument("x", F32)
    b = Builder.at_end(fn)
    for t in types:
        v = b.create(t, [v], [F32], {"T": T.float32}, t.lower()).results[0]
    fn.set_returns([v], ["out"])
    return m, fn


def names(fn):
    return [op.name for op in fn.ops]


# ---- core: the op list ----------------------------------------------------------------
def test_op_list_view():
    _, fn = _function("Neg", "Relu", "Abs")
    ops = fn.ops
    assert len(ops) == 3 and bool(ops)
    assert ops[0].name == "neg" and ops[-1].name == "abs" and ops[1].name == "relu"
    assert [o.name for o in ops[1:]] == ["relu", "abs"]
    assert [o.name for o in reversed(ops)] == ["abs", "relu", "neg"]
    assert ops.index(ops[2]) == 2 and ops[1] in ops
    assert ops == list(ops) and list(ops) == ops
    relu = ops[1]
    relu.results[0].replace_all_uses_with(relu.operands[0])
    relu.erase()
    assert names(fn) == ["neg", "abs"] and relu not in fn.ops and relu.parent is None
    assert len(fn.ops) == 2 and fn.ops[-1].name == "abs"


def test_iteration_is_a_snapshot():
    """A loop over fn.ops may insert and erase: it sees the ops as they were when it started."""
    _, fn = _function("Neg", "Relu")
    seen = []
    for op in fn.ops:
        seen.append(op.name)
        Builder.before(op).create("NoOp", name="n")
    assert seen == ["neg", "relu"]
    assert names(fn) == ["n", "neg", "n_1", "relu"]


def test_sort_and_remove_ops_keep_the_links():
    _, fn = _function("Neg", "Relu", "Abs")
    neg, relu, ab = fn.ops
    fn.ops = [ab, relu, neg]           # reversed: invalid order
    fn.sort_topologically()
    assert names(fn) == ["neg", "relu", "abs"]
    fn.set_returns([neg.results[0]])
    fn.remove_ops([ab, relu, relu])
    assert names(fn) == ["neg"] and fn.ops[0] is fn.ops[-1] is neg
    assert Builder.at_end(fn).create("NoOp", name="relu").name == "relu"   # the name is free again


# ---- builder ----------------------------------------------------------------------------
def test_builder_insertion_points_keep_creation_order():
    _, fn = _function("Neg", "Relu")
    neg, relu = fn.ops
    b = Builder.before(relu)
    b.create("NoOp", name="b1")
    b.create("NoOp", name="b2")
    a = Builder.after(neg)
    a.create("NoOp", name="a1")
    a.create("NoOp", name="a2")
    s = Builder.at_start(fn)
    s.create("NoOp", name="s1")
    s.create("NoOp", name="s2")
    e = Builder.at_end(fn)
    e.create("NoOp", name="e1")
    e.create("NoOp", name="e2")
    assert names(fn) == ["s1", "s2", "neg", "a1", "a2", "b1", "b2", "relu", "e1", "e2"]


def test_builder_on_an_empty_function_and_context_managers():
    m = Module()
    fn = m.add_function(Function("g", m))
    Builder.at_start(fn).create("NoOp", name="first")
    Builder.at_start(fn).create("NoOp", name="zeroth")
    with fn.inserting_after(fn.ops[0]) as b:
        b.create("NoOp", name="after_zeroth")
    with fn.inserting_before(fn.ops[-1]) as b:
        c = b.const(np.float32(1.5), "c", device="/device:CPU:0")
    assert names(fn) == ["zeroth", "after_zeroth", "c", "first"]
    assert c.type == "Const" and c.device == "/device:CPU:0" and c.results[0].type == F32
    assert c.attrs["dtype"] is T.float32


def test_builder_names_are_unique_unless_asked_not_to():
    _, fn = _function("Neg")
    b = Builder.at_end(fn)
    made = [b.create("NoOp", name="neg").name for _ in range(3)]
    assert made == ["neg_1", "neg_2", "neg_3"]
    assert b.create("NoOp", name="neg", uniquify=False).name == "neg"
    # Erasing one frees its name for the next op, as Function.unique_op_name always did.
    fn.ops[2].erase()              # neg_2
    assert b.create("NoOp", name="neg").name == "neg_2"
    assert b.create("NoOp", name="neg").name == "neg_4"
    fn.rename_op(fn.ops[1], "other")   # neg_1 is free again
    assert fn.unique_op_name("neg") == "neg_1"


def test_builder_clone_and_stale_insertion_point():
    _, fn = _function("Neg", "Relu")
    neg, relu = fn.ops
    vmap = {}
    copy = Builder.after(relu).clone(neg, vmap, "neg_copy")
    assert vmap[neg.results[0]] is copy.results[0] and copy.operands[0] is fn.args[0]
    assert names(fn) == ["neg", "relu", "neg_copy"]
    b = Builder.before(copy)
    copy.erase()
    with pytest.raises(ValueError, match="no longer"):
        b.create("NoOp")
    with pytest.raises(ValueError, match="not in a function"):
        Builder.before(copy)


def test_insertion_is_constant_time():
    """20,000 ops before an anchor at the end of 20,000 others (list.index made this O(n^2)),
    all asking for the same name."""
    m = Module()
    fn = m.add_function(Function("big", m))
    end = Builder.at_end(fn)
    for i in range(20000):
        end.create("NoOp", name=f"n{i}", uniquify=False)
    anchor = end.create("NoOp", name="anchor")
    b = Builder.before(anchor)
    start = time.perf_counter()
    for _ in range(20000):
        b.create("NoOp", name="x")
    took = time.perf_counter() - start
    assert len(fn.ops) == 40001 and fn.ops[-1] is anchor and fn.ops[-2].name == "x_19999"
    assert took < 1.0, f"20,000 insertions took {took:.2f} s"


# ---- rewrite driver -------------------------------------------------------------------
class FoldDoubleNeg(RewritePattern):
    op_types = ("Neg",)

    def match_and_rewrite(self, op, rewriter):
        src = op.operands[0]
        if not (isinstance(src, OpResult) and src.op.type == "Neg"):
            return False
        rewriter.replace_op(op, [src.op.operands[0]], control=src.op.control)
        return True


class EraseUnused(RewritePattern):
    def match_and_rewrite(self, op, rewriter):
        if op.has_uses:
            return False
        rewriter.erase_op(op)
        return True


def test_patterns_reach_a_fixpoint_and_count():
    m, fn = _function("Neg", "Neg", "Neg", "Neg", "Relu")
    result = apply_patterns_greedily(m, [FoldDoubleNeg(), EraseUnused()])
    assert result.changed and result.converged
    assert names(fn) == ["relu"] and fn.ops[0].operands[0] is fn.args[0]
    assert result.counts["FoldDoubleNeg"] == 2 and result.counts["EraseUnused"] == 2
    again = apply_patterns_greedily(fn, [FoldDoubleNeg(), EraseUnused()])
    assert not again.changed and again.iterations == 1 and not again.counts


def test_reverse_walk_erases_a_dead_chain_in_one_iteration():
    m, fn = _function("Neg", "Relu", "Abs")
    fn.set_returns([fn.args[0]])
    result = apply_patterns_greedily(fn, [EraseUnused()], reverse=True)
    assert not fn.ops and result.counts["EraseUnused"] == 3
    assert result.iterations == 2    # the second walk proves the fixpoint


def test_iteration_cap():
    class Toggle(RewritePattern):
        def match_and_rewrite(self, op, rewriter):
            op.attrs["flag"] = not op.attrs.get("flag", False)
            rewriter.notify_op_modified(op)
            return True

    _, fn = _function("Neg")
    result = apply_patterns_greedily(fn, [Toggle()], max_iterations=3)
    assert not result.converged and result.iterations == 3 and result.counts["Toggle"] == 3


def test_benefit_then_list_order_decides_which_pattern_applies():
    applied = []

    class Named(RewritePattern):
        def __init__(self, tag, benefit=1):
            self.tag, self.benefit = tag, benefit

        @property
        def name(self):
            return self.tag

        def match_and_rewrite(self, op, rewriter):
            if op.attrs.get("done"):
                return False
            applied.append(self.tag)
            op.attrs["done"] = True
            rewriter.notify_op_modified(op)
            return True

    _, fn = _function("Neg")
    result = apply_patterns_greedily(fn, [Named("a"), Named("b"), Named("c", benefit=2)])
    assert applied == ["c"] and dict(result.counts) == {"c": 1}


def test_stages_run_one_after_the_other_each_iteration():
    order = []

    class Log(RewritePattern):
        def __init__(self, tag):
            self.tag = tag

        def begin(self, function):
            order.append(("begin", self.tag))

        def match_and_rewrite(self, op, rewriter):
            order.append((self.tag, op.name))
            return False

    _, fn = _function("Neg", "Relu")
    apply_patterns_greedily(fn, [[Log("first")], [Log("second")]])
    assert order == [("begin", "first"), ("first", "neg"), ("first", "relu"),
                     ("begin", "second"), ("second", "neg"), ("second", "relu")]


def test_ops_created_by_a_rewrite_wait_for_the_next_walk():
    class Wrap(RewritePattern):
        op_types = ("Neg",)

        def match_and_rewrite(self, op, rewriter):
            if op.attrs.get("wrapped"):
                return False
            op.attrs["wrapped"] = True
            rewriter.create("Neg", [op.operands[0]], [F32], {"T": T.float32, "wrapped": True}, "inner")
            return True

    _, fn = _function("Neg")
    result = apply_patterns_greedily(fn, [Wrap()])
    assert names(fn) == ["inner", "neg"]    # inserted before the matched op
    assert result.counts["Wrap"] == 1 and result.iterations == 2


def test_rewriter_refuses_to_erase_used_ops_and_catches_dishonest_patterns():
    _, fn = _function("Neg", "Relu")
    neg, relu = fn.ops
    rw = PatternRewriter(fn)
    with pytest.raises(ValueError, match="still has uses"):
        rw.erase_op(neg)
    user = Builder.at_end(fn).create("NoOp", name="waits", control_inputs=[relu])
    with pytest.raises(ValueError, match="control token has uses"):
        rw.replace_op(relu, [neg.results[0]])
    rw.replace_op(relu, [neg.results[0]], control=neg)
    assert user.control_inputs == [neg.control] and fn.returns == [neg.results[0]]

    class Liar(RewritePattern):
        def match_and_rewrite(self, op, rewriter):
            rewriter.set_operand(op, 0, op.operands[0])
            return False

    with pytest.raises(RuntimeError, match="reported no match"):
        apply_patterns_greedily(fn, [Liar()])


def test_replace_op_with_an_op_moves_results_and_control():
    _, fn = _function("Neg", "Neg")
    first, second = fn.ops
    waiter = Builder.at_end(fn).create("NoOp", name="waiter", control_inputs=[second])
    fn.add_control_ret("done", second.control)
    second.set_operand(0, fn.args[0])          # now the same computation as `first`
    PatternRewriter(fn).replace_op(second, first)
    assert names(fn) == ["neg", "waiter"]
    assert fn.returns == [first.results[0]] and waiter.control_inputs == [first.control]
    assert fn.control_rets == [("done", first.control)]


# ---- canonicalize and dce as patterns (no TensorFlow either) ----------------------------
_CANON = """
func.func @f(%x: tensor<f32>, %v: tensor<!tf_type.resource>) -> (tensor<f32> {tf.name = "r"}) {
  %0, %c0 = "tf.Identity"(%x) {T = f32} : (tensor<f32>) -> (tensor<f32>, !tf_executor.control) loc("id_arg")
  %1 = "tf.Neg"(%0) {T = f32} : (tensor<f32>) -> tensor<f32> loc("neg")
  %2 = "tf.Identity"(%1) {T = f32} : (tensor<f32>) -> tensor<f32> loc("id")
  %n = "tf.NoOp"() : () -> !tf_executor.control loc("noop")
  %3 = "tf.Relu"(%2, %n) {T = f32} : (tensor<f32>, !tf_executor.control) -> tensor<f32> loc("relu")
  %4 = "tf.Abs"(%2) {T = f32} : (tensor<f32>) -> tensor<f32> loc("dead")
  return %3, %c0 : tensor<f32>, !tf_executor.control
}
"""


def test_canonicalize_and_dce_patterns():
    from smopt.passes.canonicalize import FoldIdentity, KeepIdentityForControlOutput, RemoveNoOp
    from smopt.passes.dce import EraseUnusedOp

    class NoEffects:
        @staticmethod
        def op_stateful(op):
            return False

    m = parse_module(_CANON)
    fn = m.functions["f"]
    result = apply_patterns_greedily(
        m, [[FoldIdentity(), KeepIdentityForControlOutput()], [RemoveNoOp()]], max_iterations=None)
    # The Identity of an argument that a control output names stays for that output (this
    # crashed with `cannot erase` before), its value users read the argument.
    assert names(fn) == ["id_arg", "neg", "relu", "dead"]
    assert fn.ops[1].operands[0] is fn.args[0] and fn.ops[2].control_inputs == []
    assert result.counts["FoldIdentity"] == 1 and result.counts["RemoveNoOp"] == 1
    assert result.counts["KeepIdentityForControlOutput"] == 1
    dce = apply_patterns_greedily(m, [EraseUnusedOp(NoEffects())], reverse=True)
    assert names(fn) == ["id_arg", "neg", "relu"] and dce.counts["EraseUnusedOp"] == 1
    assert 'loc("id_arg")' in print_function(fn)
