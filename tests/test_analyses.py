"""The shared analyses (op traits, side effects, reachability, resources and variables), on
small IR: no TensorFlow. And a guard that the duplicates issue 14 removed do not come back."""
import ast
import os

import pytest

from smopt.ir.callgraph import call_sites, function_refs_of, reached_functions
from smopt.ir.parser import parse_module
from smopt.passes.analysis import traits
from smopt.passes.analysis.traits import (ALIASING, IDENTITY, UNARY_FORWARDING, SideEffects,
                                          trace_forwarding)
from smopt.passes.analysis.variables import (STRICT, THROUGH_CONTROL_FLOW, ResourceAnalysis, VariableAnalysis,
                                             checkpoint_functions, checkpoint_keys)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

R = "tensor<*x!tf_type.resource<tensor<2x3xf32>>>"
F = "tensor<2x3xf32>"


def _ops(fn):
    return {op.name: op for op in fn.ops}


# ---- forwarding --------------------------------------------------------------------------
def test_forwarding_subsets():
    assert IDENTITY == {"Identity"}
    assert ALIASING == {"Identity", "IdentityN"}
    assert UNARY_FORWARDING == {"Identity", "Snapshot", "StopGradient", "PreventGradient"}
    assert traits.BOOKKEEPING == {"Identity", "IdentityN", "Const", "NoOp"}
    assert set(traits.FORWARDING) == ALIASING | UNARY_FORWARDING
    assert traits.VARIABLE_READ_ONLY == {"ReadVariableOp", "ResourceGather", "ResourceGatherNd", "VariableShape"}


FORWARD_IR = f"""
func.func @f(%x: {F}, %y: {F}) -> ({F}, {F}, {F}) {{
  %a = "tf.Identity"(%x) {{T = f32}} : ({F}) -> {F} loc("a")
  %b = "tf.Identity"(%a) {{T = f32}} : ({F}) -> {F} loc("b")
  %n:2 = "tf.IdentityN"(%y, %b) {{T = [f32, f32]}} : ({F}, {F}) -> ({F}, {F}) loc("n")
  %s = "tf.Snapshot"(%b) {{T = f32}} : ({F}) -> {F} loc("s")
  return %n#1, %s, %n#0 : {F}, {F}, {F}
}}
"""


def test_trace_forwarding():
    fn = parse_module(FORWARD_IR).functions["f"]
    x, y = fn.args
    n1, s, n0 = fn.returns
    chain = []
    assert trace_forwarding(n1, IDENTITY) is n1          # IdentityN is not in IDENTITY
    assert trace_forwarding(n1, ALIASING, chain) is x     # result 1 of IdentityN is operand 1
    assert [op.name for op in chain] == ["n", "b", "a"]
    assert trace_forwarding(n0, ALIASING) is y
    assert trace_forwarding(s, ALIASING) is s             # Snapshot copies
    assert trace_forwarding(s, UNARY_FORWARDING) is x
    assert trace_forwarding(x) is x


# ---- side effects ------------------------------------------------------------------------
EFFECTS_IR = f"""
func.func @pure(%x: {F}) -> ({F}) {{
  %y = "tf.Neg"(%x) {{T = f32}} : ({F}) -> {F} loc("neg")
  return %y : {F}
}}
func.func @writes(%h: {R}, %x: {F}) -> ({F}) {{
  %a = "tf.AssignVariableOp"(%h, %x) {{dtype = f32}} : ({R}, {F}) -> !tf_executor.control loc("assign")
  return %x : {F}
}}
func.func @calls_writes(%h: {R}, %x: {F}) -> ({F}) {{
  %y = "tf.PartitionedCall"(%h, %x) {{Tin = [!tf_type.resource, f32], Tout = [f32], f = @writes}} : ({R}, {F}) -> {F} loc("pc")
  return %y : {F}
}}
func.func @even(%x: {F}) -> ({F}) {{
  %y = "tf.odd"(%x) : ({F}) -> {F} loc("to_odd")
  return %y : {F}
}}
func.func @odd(%x: {F}) -> ({F}) {{
  %y = "tf.even"(%x) : ({F}) -> {F} loc("to_even")
  %z = "tf.RandomUniform"(%x) {{T = f32, dtype = f32}} : ({F}) -> {F} loc("rng")
  return %y : {F}
}}
func.func @main(%h: {R}, %x: {F}) -> ({F}) {{
  %a = "tf.StatefulPartitionedCall"(%x) {{Tin = [f32], Tout = [f32], f = @pure}} : ({F}) -> {F} loc("spc_pure")
  %b = "tf.PartitionedCall"(%h, %x) {{Tin = [!tf_type.resource, f32], Tout = [f32], f = @calls_writes}} : ({R}, {F}) -> {F} loc("pc_writes")
  %c = "tf.pure"(%x) : ({F}) -> {F} loc("direct_pure")
  %d = "tf.even"(%x) : ({F}) -> {F} loc("direct_even")
  %e = "tf.PartitionedCall"(%x) {{Tin = [f32], Tout = [f32], f = @missing}} : ({F}) -> {F} loc("pc_missing")
  %f = "tf.StatelessIf"(%x, %x) {{Tcond = f32, Tin = [f32], Tout = [f32], then_branch = @writes, else_branch = @pure}} : ({F}, {F}) -> {F} loc("sif")
  %g = "tf.If"(%x, %x) {{Tcond = f32, Tin = [f32], Tout = [f32], then_branch = @pure, else_branch = @pure}} : ({F}, {F}) -> {F} loc("if")
  %t = "tf.TPUCompilationResult"() : () -> tensor<!tf_type.string> loc("extra")
  %u = "tf.NoSuchOp"(%x) : ({F}) -> {F} loc("unknown")
  return %a : {F}
}}
"""


def test_side_effects_calls_follow_the_callee():
    m = parse_module(EFFECTS_IR)
    fx = SideEffects(m)
    ops = _ops(m.functions["main"])
    assert not fx.op_stateful(ops["spc_pure"])       # StatefulPartitionedCall of a pure function
    assert fx.op_stateful(ops["pc_writes"])          # PartitionedCall reaching a write, transitively
    assert not fx.op_stateful(ops["direct_pure"])
    assert fx.op_stateful(ops["direct_even"])        # recursion: odd has a RandomUniform
    assert fx.op_stateful(ops["pc_missing"])         # unknown callee
    assert not fx.op_stateful(ops["sif"])            # control flow keeps TF's registry flag
    assert fx.op_stateful(ops["if"])
    assert fx.op_stateful(ops["extra"])              # EXTRA_SIDE_EFFECTS
    assert fx.op_stateful(ops["unknown"])            # unknown ops are stateful
    assert [n for n in m.functions if fx.function_stateful(n)] == ["writes", "calls_writes", "even", "odd", "main"]
    assert fx.function_stateful("missing")


@pytest.mark.parametrize("entry", ["even", "odd"])
def test_side_effects_recursion_same_answer_from_any_entry(entry):
    m = parse_module(EFFECTS_IR)
    fx = SideEffects(m)
    assert fx.function_stateful(entry)
    assert fx.function_stateful("even") and fx.function_stateful("odd")


def test_side_effects_sees_functions_added_later():
    m = parse_module(EFFECTS_IR)
    fx = SideEffects(m)
    assert not fx.function_stateful("pure")
    clone = m.functions["writes"].clone("writes_copy", m)
    m.add_function(clone)
    assert fx.function_stateful("writes_copy")


# ---- reachability ------------------------------------------------------------------------
def test_reached_functions():
    m = parse_module(EFFECTS_IR)
    ops = _ops(m.functions["main"])
    assert function_refs_of(ops["direct_even"]) == ["even"]
    assert sorted(function_refs_of(ops["sif"])) == ["pure", "writes"]
    assert reached_functions(m, ["calls_writes"]) == {"calls_writes", "writes"}
    assert reached_functions(m, ["even"]) == {"even", "odd"}
    assert reached_functions(m, ["main"]) == set(m.functions)
    assert reached_functions(m, ["missing", "pure"]) == {"pure"}
    # a callee rule that ignores control flow
    calls_only = lambda op: [op.callee] if op.callee else None  # noqa: E731
    assert "writes" not in reached_functions(m, ["main"], lambda op: [n for n in (calls_only(op) or [])
                                                                      if op.type != "PartitionedCall"])


def test_call_sites():
    m = parse_module(EFFECTS_IR)
    sites = call_sites(m)
    assert sites["pure"] is None and sites["writes"] is None        # also If/StatelessIf branches
    assert [op.name for op in sites["calls_writes"]] == ["pc_writes"]
    assert [op.name for op in sites["odd"]] == ["to_odd"]
    assert [op.name for op in sites["even"]] == ["to_even", "direct_even"]
    assert sites["main"] == [] and "missing" not in sites
    assert call_sites(m, ("StatefulPartitionedCall",))["calls_writes"] is None


# ---- resources and variables -------------------------------------------------------------
VARS_IR = open(os.path.join(ROOT, "lit_tests", "passes", "quantize", "variables.mlir")).read()


def _var_module():
    return parse_module(VARS_IR)


def test_checkpoint_decoding():
    m = _var_module()
    assert checkpoint_functions(m) == {"save", "restore"}
    (save,) = [op for op in m.functions["save"].ops if op.type == "SaveV2"]
    (restore,) = [op for op in m.functions["restore"].ops if op.type == "RestoreV2"]
    assert checkpoint_keys(save) == ["w/.ATTRIBUTES/VARIABLE_VALUE"]
    assert checkpoint_keys(restore) == ["w/.ATTRIBUTES/VARIABLE_VALUE", "e/.ATTRIBUTES/VARIABLE_VALUE"]
    res = ResourceAnalysis(m)
    assert [(op.type, i, [c.name for c in chain]) for op, i, chain in res.save_links["w"]] == \
        [("SaveV2", 0, ["Identity"])]
    assert [(op.type, i, [c.name for c in chain]) for op, i, chain in res.restore_links["e"]] == \
        [("RestoreV2", 1, ["Identity_1"])]
    assert not res.broken
    assert len(res.restored) == 2


def test_variable_analysis_statuses():
    m = _var_module()
    ana = VariableAnalysis(m)
    assert [(v.path, ana.group_of(v.path)[1]) for v in m.variables] == \
        [("w", "retype"), ("e", "freeze"), ("c", "skip")]
    serve = m.functions["serve"]
    w = next(a for a in serve.args if a.name == "w")
    group, status = ana.variable_of(w)
    assert [v.path for v in group] == ["w"] and status == "retype"
    # the graph's handle, the restore/save arguments and the serving argument are one handle
    names = sorted(f"{v.name}" for v in ana.values_of(group) if hasattr(v, "name") and v.name)
    assert names.count("w") == 3
    assert len(ana.reads_of(group)) == 2


WHILE_IR = f"""
module {{
  "tf_saved_model.variable"() {{sym_name = "v", name = "v", checkpoint_key = "v/.ATTRIBUTES/VARIABLE_VALUE", node_id = 1, trainable = true, value = dense<1.0> : {F}}} : () -> {F}
  func.func @cond(%h: {R}, %x: {F}) -> (tensor<i1>) {{
    %c = "tf.Const"() {{dtype = i1, value = dense<false> : tensor<i1>}} : () -> tensor<i1> loc("c")
    return %c : tensor<i1>
  }}
  func.func @body(%h: {R}, %x: {F}) -> ({R}, {F}) {{
    %r = "tf.ReadVariableOp"(%h) {{dtype = f32}} : ({R}) -> {F} loc("body_read")
    %y = "tf.AddV2"(%x, %r) {{T = f32}} : ({F}, {F}) -> {F} loc("add")
    return %h, %y : {R}, {F}
  }}
  func.func @serve(%h: {R} {{tf_saved_model.bound_input = 1}}, %x: {F}) -> ({F}) {{
    %i:2 = "tf.IdentityN"(%h, %x) {{T = [!tf_type.resource, f32]}} : ({R}, {F}) -> ({R}, {F}) loc("idn")
    %w:2 = "tf.While"(%i#0, %i#1) {{T = [!tf_type.resource, f32], cond = @cond, body = @body, is_stateless = false}} : ({R}, {F}) -> ({R}, {F}) loc("loop")
    return %w#1 : {F}
  }}
}}
"""


def test_handle_flow_strict_and_through_control_flow():
    m = parse_module(WHILE_IR)
    body_h = m.functions["body"].args[0]
    strict = ResourceAnalysis(m, STRICT)
    assert strict.class_of(body_h).variables == {}           # IdentityN and While are uses
    assert [op.type for op, _, _ in strict.class_of(m.functions["serve"].args[0]).uses] == ["IdentityN"]
    flow = ResourceAnalysis(m, THROUGH_CONTROL_FLOW)
    cls = flow.class_of(body_h)
    assert list(cls.variables) == ["v"]
    assert sorted(role for _, _, role in cls.uses) == ["reader"]
    (group,) = flow.components()
    assert [v.path for v in group.variables] == ["v"] and group.classes == [cls]
    assert VariableAnalysis(m).group_of("v")[1] == "skip"


# ---- guard: one implementation of each analysis ------------------------------------------
_SCANNED = ("ir", "passes", "compiler", "tools")
_CHECKPOINT_DECODER = os.path.join("passes", "analysis", "variables.py")
_TRAITS = os.path.join("passes", "analysis", "traits.py")


def _modules():
    for top in _SCANNED:
        for dirpath, dirnames, filenames in os.walk(os.path.join(ROOT, top)):
            dirnames[:] = [d for d in dirnames if d not in ("__pycache__", "data")]
            for f in filenames:
                if f.endswith(".py"):
                    path = os.path.join(dirpath, f)
                    with open(path, encoding="utf-8") as fh:
                        yield os.path.relpath(path, ROOT), ast.parse(fh.read(), path)


def _strings(node):
    if isinstance(node, ast.Call) and node.args:   # frozenset({...}), set((...))
        node = node.args[0]
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)) and node.elts and \
            all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.elts):
        return {e.value for e in node.elts}
    return None


def test_no_duplicate_analyses():
    forwarding = set(traits.FORWARDING)
    trait_sets = [set(x) for x in (traits.PLAIN_CALLS, traits.IF_OPS, traits.CASE_OPS, traits.BRANCH_OPS,
                                   traits.WHILE_OPS, traits.VARIABLE_READS, traits.VARIABLE_WRITES,
                                   traits.VARIABLE_METADATA, traits.VARIABLE_READ_ONLY, traits.RESOURCE_READ_ONLY)]
    problems = []
    defined = {}
    for rel, tree in _modules():
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                defined.setdefault(node.name, []).append(rel)
            if isinstance(node, ast.Assign) and rel != _TRAITS:
                names = [t.id for t in node.targets if isinstance(t, ast.Name)]
                if any(n.startswith("_FORWARD") for n in names):
                    problems.append(f"{rel}: private forwarding set {names[0]} (use passes/analysis/traits.py)")
                ops = _strings(node.value)
                if ops and ops & forwarding and ops <= forwarding | {"Const", "NoOp"}:
                    problems.append(f"{rel}: {names or '?'} = {sorted(ops)}: a forwarding-op set outside traits.py")
            if isinstance(node, ast.Compare) and rel != _CHECKPOINT_DECODER:
                for c in node.comparators:
                    vals = _strings(c) or ({c.value} if isinstance(c, ast.Constant) else set())
                    if vals & {"SaveV2", "RestoreV2"}:
                        problems.append(f"{rel}:{node.lineno}: decodes SaveV2/RestoreV2 (use passes/analysis/variables.py)")
            if isinstance(node, (ast.Assign, ast.Compare)) and rel != _TRAITS:
                for c in ([node.value] if isinstance(node, ast.Assign) else node.comparators):
                    if _strings(c) in trait_sets:
                        problems.append(f"{rel}:{node.lineno}: a copy of an op set of passes/analysis/traits.py")
            if isinstance(node, ast.Compare) and rel != _TRAITS:
                for c in node.comparators:
                    vals = _strings(c)
                    if vals and vals & forwarding and vals <= forwarding | {"Const", "NoOp"}:
                        problems.append(f"{rel}:{node.lineno}: tests op types against {sorted(vals)} "
                                        "(use a subset from passes/analysis/traits.py)")
    one_home = {
        "SideEffects": _TRAITS, "registry_stateful": _TRAITS, "trace_forwarding": _TRAITS,
        "ResourceAnalysis": _CHECKPOINT_DECODER, "VariableAnalysis": _CHECKPOINT_DECODER,
        "checkpoint_keys": _CHECKPOINT_DECODER, "checkpoint_functions": _CHECKPOINT_DECODER,
        "reached_functions": os.path.join("ir", "callgraph.py"), "call_sites": os.path.join("ir", "callgraph.py"),
    }
    for name, home in one_home.items():
        where = [p for p in defined.get(name, []) if not (name == "reached_functions" and "xla_cluster" in p)]
        if where != [home]:
            problems.append(f"{name} defined in {where}, expected only in {home}")
    for gone in ("_Resources", "reachable_functions", "trace_identity", "is_stateful", "function_is_stateful",
                 "_const_strings", "_UnionFind", "_call_sites", "only_called"):
        if gone in defined:
            problems.append(f"{gone} is back in {defined[gone]}")
    assert not problems, "\n".join(problems)
