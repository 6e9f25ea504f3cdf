"""Op traits: the one table of what an op type does, for every pass (no TensorFlow).

Forwarding. `FORWARDING` lists the ops whose result i is operand i at inference, each with
the properties that decide where a pass may look through it:

    ALIAS   the result is the operand itself, not a copy: a resource handle through it is the
            same handle, a tensor the same buffer (Identity, IdentityN). Snapshot copies;
            StopGradient/PreventGradient only matter for gradients, smopt never follows
            handles through them.
    UNARY   one operand, one result (all but IdentityN).

Passes use the named subsets, never their own tuples:

    IDENTITY          Identity: the same value and handle, one operand. Variable tracing,
                      checkpoint save/restore chains, quantization's weight and bias sources.
    ALIASING          Identity, IdentityN: handle binding (bf16 variable conversion), XLA
                      clustering (forwarded handles inside compiled functions).
    UNARY_FORWARDING  Identity, Snapshot, StopGradient, PreventGradient: ops `canonicalize`
                      folds (their result has the operand's value at inference).
    BOOKKEEPING       ALIASING plus Const and NoOp: cost nothing, count 0 in cluster sizes.

`trace_forwarding(value, ops)` follows a subset backwards from a value.

Calls and control flow: `PLAIN_CALLS`, `IF_OPS` (op -> branch attrs), `CASE_OPS`,
`BRANCH_OPS` (If and Case), `WHILE_OPS`.

Variable and resource ops (operand 0 is the handle): `VARIABLE_READS` read the value,
`VARIABLE_WRITES` (op -> operand index of the value) write it, `VARIABLE_METADATA` use the
handle but neither read nor write the value; `VARIABLE_READ_ONLY` adds VariableShape to the
reads (what XLA snapshots at launch), `RESOURCE_READ_ONLY` also the lookup-table reads.

Side effects. `SideEffects(module)` says which ops may not be erased, merged or reordered.
The rule, the same for every pass:
- a call (PartitionedCall, StatefulPartitionedCall, TPUPartitionedCall, a direct call of a
  library function, BatchFunction's `f`) is stateful iff its callee transitively contains a
  stateful op; a callee missing from the module counts as stateful. StatefulPartitionedCall
  is thus only as stateful as what it calls (its name is what TF's converter picked, not a
  fact about the body);
- `EXTRA_SIDE_EFFECTS` (host, TPU runtime and send/recv ops TF's registry does not flag) are
  stateful;
- every other op has TF's registry flag (`is_stateful` in its OpDef; control flow keeps it:
  If/While/Case are stateful, their Stateless forms are not), and an op the registry does
  not know is stateful.

XLA compatibility: `xla_compilable(op_type, device)` and `xla_issues(op, module, device)`
are the shared table of `passes/analysis/xla_compat.py` (data: `passes/data/xla_ops.json`).
"""
from __future__ import annotations

from smopt.ir import opdefs
from smopt.ir.attributes import FuncAttr
from smopt.ir.core import CALL_OPS, OpResult
from smopt.passes.analysis.xla_compat import is_compilable as xla_compilable
from smopt.passes.analysis.xla_compat import op_issues as xla_issues

# ---- forwarding --------------------------------------------------------------------------
ALIAS = "alias"
UNARY = "unary"

FORWARDING = {
    "Identity": frozenset({ALIAS, UNARY}),
    "IdentityN": frozenset({ALIAS}),
    "Snapshot": frozenset({UNARY}),
    "StopGradient": frozenset({UNARY}),
    "PreventGradient": frozenset({UNARY}),
}


def forwarding_ops(*traits):
    """The forwarding op types that have every one of `traits`."""
    return frozenset(op for op, has in FORWARDING.items() if has.issuperset(traits))


IDENTITY = forwarding_ops(ALIAS, UNARY)
ALIASING = forwarding_ops(ALIAS)
UNARY_FORWARDING = forwarding_ops(UNARY)
BOOKKEEPING = ALIASING | {"Const", "NoOp"}


def trace_forwarding(value, ops=IDENTITY, chain=None):
    """The value `value` forwards, following ops of `ops` (a subset of FORWARDING) backwards:
    result i of such an op is its operand i. `chain`, a list, receives the ops passed."""
    while isinstance(value, OpResult) and value.op.type in ops and value.index < len(value.op.operands):
        if chain is not None:
            chain.append(value.op)
        value = value.op.operands[value.index]
    return value


# ---- calls and control flow ----------------------------------------------------------------
# Call ops whose operands are exactly the callee's arguments (TPUPartitionedCall, also in
# CALL_OPS, adds a device ordinal).
PLAIN_CALLS = ("PartitionedCall", "StatefulPartitionedCall")
# Control flow, with the attrs naming the functions it runs: If (operand 0 the condition, the
# rest the branches' arguments), Case (operand 0 the index, `branches`), While (`cond`, `body`).
IF_OPS = {"If": ("then_branch", "else_branch"), "StatelessIf": ("then_branch", "else_branch")}
CASE_OPS = frozenset({"Case", "StatelessCase"})
BRANCH_OPS = frozenset(IF_OPS) | CASE_OPS
WHILE_OPS = frozenset({"While", "StatelessWhile"})

# ---- variable and resource ops -----------------------------------------------------------
VARIABLE_READS = frozenset({"ReadVariableOp", "ResourceGather", "ResourceGatherNd"})
VARIABLE_WRITES = {"AssignVariableOp": 1, "AssignAddVariableOp": 1, "AssignSubVariableOp": 1}
VARIABLE_METADATA = frozenset({"VarIsInitializedOp", "VariableShape", "DisableCopyOnRead", "DestroyResourceOp"})
VARIABLE_READ_ONLY = VARIABLE_READS | {"VariableShape"}
RESOURCE_READ_ONLY = VARIABLE_READ_ONLY | {"LookupTableFindV2", "LookupTableSizeV2", "LookupTableExportV2"}

# ---- side effects ------------------------------------------------------------------------
# Ops that have effects TF's registry does not flag as stateful but that must never be
# removed or merged (they talk to the host, the TPU runtime or a batching queue).
EXTRA_SIDE_EFFECTS = frozenset({
    "TPUReplicateMetadata", "TPUCompilationResult", "_Send", "_Recv", "_HostSend", "_HostRecv",
})


def registry_stateful(op_type, module=None):
    """The op-level rule, calls aside: EXTRA_SIDE_EFFECTS, TF's registry flag, unknown ops."""
    if op_type in EXTRA_SIDE_EFFECTS:
        return True
    d = opdefs.lookup(op_type, module)
    return True if d is None else bool(d.get("stateful"))


def called_function(op, module):
    """(True, name or None) when `op` is a call (None: callee unknown), else (False, None)."""
    if op.type == "BatchFunction":
        f = op.attrs.get("f")
        return True, f.name if isinstance(f, FuncAttr) else None
    if op.type in CALL_OPS:
        return True, op.callee
    if op.type in module.functions:
        return True, op.type
    return False, None


class SideEffects:
    """Statefulness of the ops and functions of one module (module docstring: the rule).

    Functions are decided together on first use (callers of a stateful function are stateful,
    to a fixpoint), so recursion gets the same answer from every entry point; a function
    added to the module later (an outlined cluster) decides them again."""

    def __init__(self, module):
        self.module = module
        self._stateful = None   # names of the stateful functions
        self._decided = frozenset()

    def _decide(self):
        m = self.module
        callers, todo = {}, []
        for name, fn in m.functions.items():
            local = False
            for op in fn.ops:
                is_call, callee = called_function(op, m)
                if not is_call:
                    local = local or registry_stateful(op.type, m)
                elif callee is None or callee not in m.functions:
                    local = True
                else:
                    callers.setdefault(callee, set()).add(name)
            if local:
                todo.append(name)
        stateful = set()
        while todo:
            name = todo.pop()
            if name in stateful:
                continue
            stateful.add(name)
            todo.extend(callers.get(name, ()))
        self._stateful = stateful
        self._decided = frozenset(m.functions)

    def function_stateful(self, name):
        if name not in self.module.functions:
            return True
        if name not in self._decided:
            self._decide()
        return name in self._stateful

    def op_stateful(self, op):
        is_call, callee = called_function(op, self.module)
        if is_call:
            return callee is None or self.function_stateful(callee)
        return registry_stateful(op.type, self.module)


__all__ = ["FORWARDING", "ALIAS", "UNARY", "forwarding_ops", "IDENTITY", "ALIASING", "UNARY_FORWARDING",
           "BOOKKEEPING", "trace_forwarding", "PLAIN_CALLS", "IF_OPS", "CASE_OPS", "BRANCH_OPS", "WHILE_OPS",
           "VARIABLE_READS", "VARIABLE_WRITES", "VARIABLE_METADATA",
           "VARIABLE_READ_ONLY", "RESOURCE_READ_ONLY", "EXTRA_SIDE_EFFECTS", "registry_stateful",
           "called_function", "SideEffects", "xla_compilable", "xla_issues"]
