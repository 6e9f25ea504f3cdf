"""Rewrite patterns and the greedy driver that applies them to a fixpoint.

Modelled on MLIR's `applyPatternsGreedily` and xDSL's `PatternRewriteWalker`, kept small:

    class FoldDoubleNeg(RewritePattern):
        op_types = ("Neg",)
        def match_and_rewrite(self, op, rewriter):
            src = op.operands[0]
            if not (isinstance(src, OpResult) and src.op.type == "Neg") or op.control.uses:
                return False
            rewriter.replace_op(op, [src.op.operands[0]])
            return True

    result = apply_patterns_greedily(module, [FoldDoubleNeg()])
    result.counts["FoldDoubleNeg"]          # applications, for the pass's statistics

A pattern changes the IR only through the `PatternRewriter` it is given (a Builder whose
insertion point is the matched op) and returns whether it did. The driver walks each
function's ops in order (`reverse=True`: bottom-up, which erases dead chains in one walk),
tries the patterns on every op (higher `benefit` first, then list order; the first that
applies wins) and repeats the walk until one changes nothing or `max_iterations` walks ran.
Unlike MLIR, ops a rewrite creates or touches are not revisited in the same walk, only in
the next one: the order of rewrites is then a function of op order alone, which keeps the
output deterministic and equal to the hand-written loops these patterns replaced.
`patterns` may also be a list of stages (lists of patterns): each iteration walks once per
stage, so a stage sees what the previous one left (canonicalize folds Identities before it
looks at NoOps, which fixes the order of the control edges it moves).
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from smopt.ir.builder import Builder
from smopt.ir.core import ControlToken, Function, Module, Op, Value

__all__ = ["RewritePattern", "PatternRewriter", "RewriteResult", "apply_patterns_greedily"]


class RewritePattern:
    """One local rewrite. Subclasses set `op_types` (the op types it can match; None: any)
    and implement `match_and_rewrite`. `name` keys the driver's application counts."""

    op_types: tuple[str, ...] | None = None
    benefit: int = 1

    @property
    def name(self) -> str:
        return type(self).__name__

    def begin(self, function: Function) -> None:
        """Called before each walk over `function`: a pattern that needs a per-function
        analysis computes it here (it then stays as it was for the rest of the walk)."""

    def match_and_rewrite(self, op: Op, rewriter: PatternRewriter) -> bool:
        """Rewrite at `op` through `rewriter` and return True, or change nothing and return False."""
        raise NotImplementedError


class PatternRewriter(Builder):
    """The mutation API patterns (and walks such as CSE) use: a Builder plus replace and
    erase. Erasing an op that still has uses is refused (ValueError). It notes that the IR
    changed, so the driver can tell a pattern that changed the IR but reported no match."""

    __slots__ = ("changed",)

    def __init__(self, function: Function):
        super().__init__(function)
        self.changed = False

    def insert(self, op: Op, uniquify: bool = True) -> Op:
        self.changed = True
        return super().insert(op, uniquify)

    def notify_op_modified(self, op: Op) -> None:
        """Report an in-place change (attributes, type, name) made directly on `op`."""
        self.changed = True

    # ---- uses ---------------------------------------------------------------------------
    def replace_all_uses_with(self, old: Value, new: Value) -> None:
        """Point every use of `old` (operands, control inputs, function returns) at `new`."""
        if old.uses and new is not old:
            self.changed = True
        old.replace_all_uses_with(new)

    def set_operand(self, op: Op, index: int, value: Value) -> None:
        self.changed = True
        op.set_operand(index, value)

    def add_control_input(self, op: Op, token: ControlToken | Op) -> None:
        self.changed = True
        op.add_control_input(token)

    def remove_control_input(self, op: Op, token: ControlToken) -> None:
        self.changed = True
        op.remove_control_input(token)

    def forward_control_uses(self, op: Op) -> bool:
        """Ops waiting on `op` wait on its control inputs instead (False, changing nothing,
        when a function control output holds its token)."""
        had_users = bool(op.control.uses)
        done = op.forward_control_uses()
        self.changed |= done and had_users
        return done

    def drop_control_uses(self, op: Op) -> None:
        """Ops waiting on `op` stop waiting; refused when a function control output holds it."""
        users = list(op.control.uses)
        if any(not isinstance(u, Op) for u, _ in users):
            raise ValueError(f"cannot drop the control uses of {op!r}: a function control output holds it")
        for user, _ in users:
            self.remove_control_input(user, op.control)

    def rename_op(self, op: Op, name: str) -> None:
        self.changed = True
        _parent_of(op).rename_op(op, name)

    # ---- replace and erase --------------------------------------------------------------
    def replace_op(self, op: Op, new: Op | Sequence[Value], control: ControlToken | Op | None = None) -> None:
        """Make the users of `op` use `new` and erase `op`. `new` is an op (its results
        replace `op`'s pairwise, its control token `op`'s) or a list of values; with values,
        `control` is what `op`'s control users wait on instead (required if there are any)."""
        values: list[Value]
        if isinstance(new, Op):
            values, control = list(new.results), new.control
        else:
            values = list(new)
        if len(values) != len(op.results):
            raise ValueError(f"replacing {op!r}: {len(values)} values for {len(op.results)} results")
        if isinstance(control, Op):
            control = control.control
        if op.control.uses and control is None:
            raise ValueError(f"cannot replace {op!r}: its control token has uses and no replacement")
        for r, v in zip(op.results, values):
            self.replace_all_uses_with(r, v)
        if control is not None:
            self.replace_all_uses_with(op.control, control)
        self.erase_op(op)

    def erase_op(self, op: Op) -> None:
        """Erase `op`; its results and control token must be unused."""
        op.erase()
        self.changed = True

    def erase_ops(self, ops: Iterable[Op]) -> None:
        """Erase ops that may use each other but nothing else uses (e.g. a dead subgraph)."""
        ops = list(ops)
        if ops:
            _parent_of(ops[0]).remove_ops(ops)
            self.changed = True


@dataclass
class RewriteResult:
    """What a driver run did: `counts` maps a pattern's name to its applications."""

    changed: bool = False
    converged: bool = True
    iterations: int = 0
    counts: Counter = field(default_factory=Counter)


def apply_patterns_greedily(target: Function | Module | Iterable[Function],
                            patterns: Sequence[RewritePattern] | Sequence[Sequence[RewritePattern]], *,
                            max_iterations: int | None = 10, reverse: bool = False) -> RewriteResult:
    """Apply `patterns` to every op of `target` until nothing changes (per function).

    A Module means its library functions (not the main graph, whose nodes signatures fetch
    by name); pass `module.all_functions()` to include it. `max_iterations` bounds the walks
    per function (None: until a fixpoint); `converged` is False when the bound stopped it.
    """
    stages = _stages(patterns)
    result = RewriteResult()
    for fn in _functions(target):
        rewriter = PatternRewriter(fn)
        iteration = 0
        while True:
            if max_iterations is not None and iteration >= max_iterations:
                result.converged = False
                break
            iteration += 1
            changed = False
            for stage in stages:
                changed |= _walk(fn, stage, rewriter, reverse, result.counts)
            result.iterations = max(result.iterations, iteration)
            if not changed:
                break
            result.changed = True
    return result


def _walk(fn: Function, stage: list[RewritePattern], rewriter: PatternRewriter, reverse: bool,
          counts: Counter) -> bool:
    for p in stage:
        p.begin(fn)
    by_type: dict[str, list[RewritePattern]] = {}
    ops = list(fn.ops)
    if reverse:
        ops.reverse()
    changed = False
    for op in ops:
        if op.parent is not fn:
            continue   # erased by an earlier rewrite in this walk
        cands = by_type.get(op.type)
        if cands is None:
            cands = by_type[op.type] = [p for p in stage if p.op_types is None or op.type in p.op_types]
        for p in cands:
            rewriter.set_insertion_point_before(op)
            rewriter.changed = False
            if p.match_and_rewrite(op, rewriter):
                counts[p.name] += 1
                changed = True
                break
            if rewriter.changed:
                raise RuntimeError(f"pattern {p.name} changed the IR at {op!r} but reported no match")
    return changed


def _stages(patterns: Sequence[RewritePattern] | Sequence[Sequence[RewritePattern]]) -> list[list[RewritePattern]]:
    stages: list[list[RewritePattern]] = []
    flat: list[RewritePattern] = []
    for item in patterns:
        if isinstance(item, RewritePattern):
            flat.append(item)
        else:
            stages.append(list(item))
    if flat:
        stages.append(flat)
    # Higher benefit first; equal benefits keep their list order (sorted is stable).
    return [sorted(s, key=lambda p: -p.benefit) for s in stages]


def _functions(target: Function | Module | Iterable[Function]) -> list[Function]:
    if isinstance(target, Function):
        return [target]
    if isinstance(target, Module):
        return list(target.functions.values())
    return list(target)


def _parent_of(op: Op) -> Function:
    if op.parent is None:
        raise ValueError(f"{op!r} is not in a function")
    return op.parent
