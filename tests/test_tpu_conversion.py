"""TPU conversion: function selection, indirect-call check, compatibility check, call stubs,
conversion report and cost model, on real SavedModels (IR level and exported end to end).

Models: tests/models_tpu.py (built here) and compiler/examples.py ("alias", "strings",
"keras_cnn"). End-to-end conversions use `disable_default_optimizations: true` so that only
the TPU conversion passes run; numerics of `target=cpu` outputs are compared with the original
model (relative tolerance 1e-5), `target=tpu` outputs must load with tf.saved_model.load on
this CPU-only machine.
"""
import json
import os
import re
import sys

import numpy as np
import pytest

from smopt.compiler import examples
from smopt.compiler.errors import SmoptError
from smopt.compiler.importer import import_saved_model
from smopt.compiler.pass_manager import PassManager
from smopt.ir import parse_module
from smopt.passes.analysis import cost_model
from smopt.passes.analysis import xla_compat
from smopt.passes.framework.registry import parse_pipeline
from smopt.passes.tpu_conversion_report import compute, format_report

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import models_tpu  # noqa: E402
from conftest import run_cli  # noqa: E402

CHECKS = "tpu-check-indirect-calls,tpu-compatibility-check"
NO_DEFAULTS = " disable_default_optimizations: true"
INDIRECT = ('Unable to place both "{a}" and "{b}" on the TPU because "{a}" indirectly calls "{b}". '
            'This behavior is unsupported because it can cause invalid graphs to be generated.')


@pytest.fixture(scope="session")
def tpu_model(models_dir):
    cache = {}

    def get(name):
        if name not in cache:
            path = str(models_dir / ("tpu_" + name))
            models_tpu.BUILDERS[name](path)
            cache[name] = path
        return cache[name]

    return get


def run(module, pipeline):
    PassManager(parse_pipeline(pipeline)).run(module)
    return module


def fail(module, pipeline):
    with pytest.raises(SmoptError) as e:
        run(module, pipeline)
    return str(e.value)


def tpu_names(m):
    return sorted(n for n, f in m.functions.items() if f.attrs.get("smopt.tpu_function") is True)


def ops_of(fn, op_type):
    return [op for op in fn.ops if op.type == op_type]


def check_stub_call(m, op, callee):
    """`op` is a TPUPartitionedCall of `callee` laid out as TF's OpDef says, fed by a selector."""
    from smopt.ir import opdefs
    assert op.type == "TPUPartitionedCall"
    assert op.attrs["f"].name == callee and op.attrs["autotuner_thresh"] == 0
    od = opdefs.lookup("TPUPartitionedCall")
    assert [i["name"] for i in od["inputs"]] == ["args", "device_ordinal"]
    assert set(od["attrs"]) <= set(op.attrs)  # Tin, Tout, f, autotuner_thresh
    assert len(op.attrs["Tin"]) == len(op.operands) - 1 == len(m.functions[callee].args)
    assert op.attrs["Tout"] == [r.type.dtype for r in op.results]
    ordinal = op.operands[-1].op
    assert ordinal.type == "TPUOrdinalSelector" and ordinal.result.type.dtype.name == "int32"
    assert "config_proto" not in op.attrs and "_XlaMustCompile" not in op.attrs


def check_tpu_program(fn):
    cluster = f"cluster_{fn.name}"
    (meta,) = ops_of(fn, "TPUReplicateMetadata")
    assert meta.attrs["num_replicas"] == 1 and meta.attrs["_tpu_replicate"] == cluster
    assert meta.attrs["num_cores_per_replica"] == 1 and meta.attrs["use_tpu"] is True
    outside = {"TPUReplicatedInput", "TPUReplicatedOutput", "TPUCompilationResult"}
    for op in fn.ops:
        if op.type in outside or op.name.startswith("output_"):
            assert "_tpu_replicate" not in op.attrs, op
        else:
            assert op.attrs.get("_tpu_replicate") == cluster, op
    data_args = [a for a in fn.args if a.type.dtype.name not in ("resource", "variant")]
    assert len(ops_of(fn, "TPUReplicatedInput")) == len(data_args)
    for a in data_args:  # every use of a data argument goes through the replication
        assert [u.type for u, _ in a.uses] == ["TPUReplicatedInput"]
    assert len(ops_of(fn, "TPUReplicatedOutput")) == len(fn.returns)
    assert all(v.op.type == "Identity" and v.op.operands[0].op.type == "TPUReplicatedOutput" for v in fn.returns)
    (status,) = ops_of(fn, "TPUCompilationResult")
    assert status.attrs["_tpu_compilation_status"] == cluster


# ---- selection ------------------------------------------------------------------------------

def test_alias_selection_and_stub(example_model):
    m = import_saved_model(example_model("alias"))
    tpu = m.alias_function("tpu_func")
    run(m, "tpu-select-functions{function-aliases=tpu_func}," + CHECKS + ",tpu-insert-call-stubs")
    assert tpu_names(m) == [tpu]
    assert m.functions[tpu].attrs["smopt.tpu_selected_by"] == "function_alias 'tpu_func'"
    (caller,) = m.call_graph().callers(tpu)
    (call,) = [op for op in m.functions[caller].ops if op.callee == tpu]
    check_stub_call(m, call, tpu)
    assert call.name == "StatefulPartitionedCall"
    check_tpu_program(m.functions[tpu])


def test_alias_selects_every_trace(tpu_model):
    """A signature made with `serve.get_concrete_function()` calls a trace of `tpu_func` of its
    own: the alias names both traces, and both go to the TPU (the signature's path included)."""
    m = import_saved_model(tpu_model("two_traces"))
    traces = m.aliases["tpu_func"]
    assert len(traces) == 2 and m.function_aliases_of(traces[0]) == ["tpu_func"]
    entry = m.signatures["serving_default"].function
    reached = [t for t in traces if t in m.call_graph().reachable(entry)]
    assert len(reached) == 1
    run(m, "tpu-select-functions{function-aliases=tpu_func}," + CHECKS + ",tpu-insert-call-stubs")
    assert tpu_names(m) == traces
    assert all(m.functions[t].attrs["smopt.tpu_selected_by"] == "function_alias 'tpu_func'" for t in traces)
    (caller,) = m.call_graph().callers(reached[0])
    check_stub_call(m, next(op for op in m.functions[caller].ops if op.callee == reached[0]), reached[0])
    for t in traces:
        check_tpu_program(m.functions[t])


def test_export_keeps_every_trace_of_an_alias(tpu_model, tmp_path):
    from tensorflow.core.protobuf import saved_model_pb2
    src = tpu_model("two_traces")

    def aliases(path):
        sm = saved_model_pb2.SavedModel()
        with open(os.path.join(path, "saved_model.pb"), "rb") as f:
            sm.ParseFromString(f.read())
        return dict(sm.meta_graphs[0].meta_info_def.function_aliases)

    _convert(src, tmp_path / "out", "", "cpu")
    assert len(aliases(src)) == 2 and aliases(str(tmp_path / "out")) == aliases(src)


def test_default_bf16_runs_in_the_signatures_trace(tpu_model, tmp_path):
    """The default bfloat16 conversion reaches the trace the serving signature calls (not
    only the object graph's): its MatMul computes in bfloat16 when the CPU variant runs."""
    from smopt.compiler.convert import convert
    src, out = tpu_model("two_traces"), str(tmp_path / "bf16")
    convert(src, out, 'tpu_functions { function_alias: "tpu_func" }', target="cpu")
    m = import_saved_model(out)
    reached = m.call_graph().reachable(m.signatures["serving_default"].function)
    matmuls = [op for n in reached for op in m.functions[n].ops if op.type == "MatMul"]
    assert matmuls and all(op.attrs["T"].name == "bfloat16" for op in matmuls)
    want, got = _outputs(src, models_tpu.INPUTS["two_traces"]), _outputs(out, models_tpu.INPUTS["two_traces"])
    assert 0 < np.abs(got["y"] - want["y"]).max() <= 2e-2 * np.abs(want["y"]).max()


def test_selection_errors_name_what_the_model_has(example_model, tpu_model):
    m = import_saved_model(tpu_model("two_tpu"))
    msg = fail(m, "tpu-select-functions{function-aliases=tpu_func}")
    assert msg.endswith('function_alias "tpu_func" does not exist in the model '
                        '(the model\'s function aliases: "tpu_func_1", "tpu_func_2")')
    msg = fail(m, "tpu-select-functions{signature-names=serve}")
    assert msg.endswith('signature_name "serve" does not exist in the model '
                        '(the model\'s signatures: "serving_default")')
    name = m.alias_function("tpu_func_1")
    msg = fail(m, f"tpu-select-functions{{function-aliases=tpu_func_1 concrete-function-names={name}}}")
    assert msg.endswith(f'function_alias "tpu_func_1" and concrete_function_name "{name}" select the same '
                        f'function "{name}"; provide each TPU function only once')
    assert tpu_names(m) == []  # nothing marked when the options are refused
    assert "concrete_function_name \"__inference_nope\" does not exist" in \
        fail(m, "tpu-select-functions{concrete-function-names=__inference_nope}")
    # No option given: nothing is selected.
    run(m, "tpu-select-functions")
    assert tpu_names(m) == []


def test_two_tpu_functions(tpu_model):
    m = import_saved_model(tpu_model("two_tpu"))
    run(m, "tpu-select-functions{function-aliases=tpu_func_1,tpu_func_2}," + CHECKS + ",tpu-insert-call-stubs")
    names = [m.alias_function("tpu_func_1"), m.alias_function("tpu_func_2")]
    assert tpu_names(m) == sorted(names)
    for n in names:
        check_tpu_program(m.functions[n])
        (caller,) = m.call_graph().callers(n)
        check_stub_call(m, next(op for op in m.functions[caller].ops if op.callee == n), n)
    fig = compute(m)
    assert [r["name"] for r in fig["functions"]] == ["tpu_func_1", "tpu_func_2"]
    assert all(r["cost"] > 0 for r in fig["functions"])
    assert fig["tpu_cost"] + fig["cpu_cost"] == fig["total_cost"]


def test_jit_compile_functions(tpu_model):
    m = import_saved_model(tpu_model("jit"))
    jit = sorted(n for n, f in m.functions.items() if f.attrs.get("_XlaMustCompile") is True)
    assert len(jit) == 2  # the traced call target and the object graph's concrete function
    run(m, "tpu-select-functions{jit-compile-functions=true}," + CHECKS + ",tpu-insert-call-stubs")
    assert tpu_names(m) == jit
    called = [n for n in jit if m.call_graph().callers(n)]
    assert len(called) == 1
    check_tpu_program(m.functions[called[0]])
    fig = compute(m)
    assert {r["function"]: r["cost"] > 0 for r in fig["functions"]} == {n: n in called for n in jit}


# ---- compatibility ------------------------------------------------------------------------

def test_string_model_encoder_is_compatible_signature_is_not(example_model):
    m = import_saved_model(example_model("strings"))
    run(m, "tpu-select-functions{function-aliases=encoder}," + CHECKS)
    m = import_saved_model(example_model("strings"))
    msg = fail(m, "tpu-select-functions{signature-names=serving_default}," + CHECKS)
    entry = m.signatures["serving_default"].function
    assert msg.startswith("pass 'tpu-compatibility-check' failed: ")
    assert f"TPU function @{entry} has a string argument %text; strings are not supported on the TPU" in msg
    assert re.search(r"'tf\.StringToNumber' op isn't compilable for TPU device\. \(node \"StringToNumber\" in "
                     rf"@__inference_serve_\d+, called from TPU function @{entry}: no XLA kernel for TPU "
                     r"\(string op\)\)", msg), msg
    assert "'tf.StringSplitV2' op isn't compilable for TPU device." in msg
    assert "\n" not in msg


def test_compatibility_table_is_tensorflows():
    # From TF's XLA kernel registry: the table knows dense math and refuses strings/sparse.
    for op in ("MatMul", "Conv2D", "Einsum", "If", "While", "ReadVariableOp", "Softmax"):
        assert xla_compat.is_compilable(op, "tpu") and xla_compat.is_compilable(op, "cpu")
    for op in ("StringToNumber", "StringSplitV2", "SparseTensorDenseMatMul", "PrintV2", "VarHandleOp"):
        assert not xla_compat.is_compilable(op, "tpu")
    assert xla_compat.is_compilable("TPUReplicateMetadata", "tpu")
    assert not xla_compat.is_compilable("TPUReplicateMetadata", "cpu")
    assert xla_compat.dtype_supported("bfloat16") and not xla_compat.dtype_supported("string")
    assert not xla_compat.dtype_supported("complex128", "tpu") and xla_compat.dtype_supported("complex128", "cpu")
    assert xla_compat.table_info()["num_ops"] > 400


def test_ops_file_extends_the_table(tmp_path, monkeypatch):
    f = tmp_path / "ops.json"
    f.write_text(json.dumps({"allow": ["MyTpuOp"], "deny": ["Relu"]}))
    monkeypatch.setenv("SMOPT_TPU_OPS_FILE", str(f))
    assert xla_compat.is_compilable("MyTpuOp") and not xla_compat.is_compilable("Relu")
    assert xla_compat.is_compilable("Relu", "cpu")  # the plain form applies to the TPU
    f.write_text(json.dumps({"gpu": {"deny": ["MatMul"]}}))
    assert not xla_compat.is_compilable("MatMul", "gpu") and xla_compat.is_compilable("Relu")
    f.write_text("not json")
    with pytest.raises(ValueError, match="SMOPT_TPU_OPS_FILE"):
        xla_compat.is_compilable("Relu")


# ---- call structure -------------------------------------------------------------------------

def test_tpu_calling_tpu_directly_is_accepted(tpu_model):
    m = import_saved_model(tpu_model("nested_direct"))
    outer, inner = m.alias_function("tpu_outer"), m.alias_function("tpu_inner")
    run(m, "tpu-select-functions{function-aliases=tpu_outer,tpu_inner}," + CHECKS + ",tpu-insert-call-stubs")
    for n in (outer, inner):
        check_tpu_program(m.functions[n])
    # outer's call of inner is not a stub; it calls a plain copy (one TPU program each).
    (site,) = [op for op in m.functions[outer].ops if op.callee and op.type != "TPUPartitionedCall"]
    assert site.type == "StatefulPartitionedCall"
    copy = m.functions[site.callee]
    assert copy.attrs["smopt.tpu_inner_copy_of"] == inner and not ops_of(copy, "TPUReplicateMetadata")
    assert len([op for f in m.functions.values() for op in f.ops if op.type == "TPUPartitionedCall"]) == 2


def test_tpu_calling_tpu_through_helper_is_rejected(tpu_model):
    m = import_saved_model(tpu_model("nested_helper"))
    a, b, h = m.alias_function("tpu_a"), m.alias_function("tpu_b"), m.alias_function("helper")
    msg = fail(m, "tpu-select-functions{function-aliases=tpu_a,tpu_b},tpu-check-indirect-calls")
    assert msg == ("pass 'tpu-check-indirect-calls' failed: " + INDIRECT.format(a=a, b=b)
                   + f" (call path: {a} -> {h} -> {b})")
    # Selecting the helper too makes every call direct: accepted.
    m = import_saved_model(tpu_model("nested_helper"))
    run(m, "tpu-select-functions{function-aliases=tpu_a,tpu_b,helper}," + CHECKS + ",tpu-insert-call-stubs")


def test_control_flow_inside_tpu_function(tpu_model):
    m = import_saved_model(tpu_model("tpu_control_flow"))
    tpu = m.alias_function("tpu_func")
    run(m, "tpu-select-functions{function-aliases=tpu_func}," + CHECKS)
    fn = m.functions[tpu]
    branches = sorted(m.call_graph().callees(tpu))
    assert len(branches) == 4  # cond true/false, while cond/body
    cm = cost_model.CostModel(m)
    own = sum(cm.own_cost(op) for op in fn.ops)
    (if_op,) = [op for op in fn.ops if op.type in ("If", "StatelessIf")]
    (while_op,) = [op for op in fn.ops if op.type in ("While", "StatelessWhile")]
    then_, else_ = (cm.function_cost(if_op.attrs[k].name) for k in ("then_branch", "else_branch"))
    cond, body = (cm.function_cost(while_op.attrs[k].name) for k in ("cond", "body"))
    assert body > 0 and then_ != else_
    assert cost_model.function_cost(m, tpu) == own + max(then_, else_) + cond + body
    run(m, "tpu-insert-call-stubs")
    check_tpu_program(m.functions[tpu])
    for b in branches:  # branch bodies are compiled with the cluster; they are not changed
        assert not any("_tpu_replicate" in op.attrs for op in m.functions[b].ops)


def test_signature_selection_gets_a_stub_function(example_model):
    m = import_saved_model(example_model("keras_cnn"))
    entry = m.signatures["serving_default"].function
    names = [op.name for op in m.graph.ops if op.callee == entry]
    run(m, "tpu-select-functions{signature-names=serving_default}," + CHECKS + ",tpu-insert-call-stubs")
    stub = m.functions[m.signatures["serving_default"].function]
    assert stub.name != entry and stub.attrs["smopt.tpu_stub_for"] == entry
    check_stub_call(m, ops_of(stub, "TPUPartitionedCall")[0], entry)
    check_tpu_program(m.functions[entry])
    graph_calls = [op for op in m.graph.ops if op.callee == entry]
    assert [op.type for op in graph_calls] == ["TPUPartitionedCall"]
    assert [op.name for op in graph_calls] == names  # the signature's tensor names stay valid
    assert all(t.split(":")[0] in names for _, t, _ in m.signatures["serving_default"].outputs)


# ---- cost model and report ------------------------------------------------------------------

COST_IR = """
func.func @f(%a: tensor<?x64xf32>, %w: tensor<64x32xf32>, %img: tensor<1x8x8x3xf32>, %k: tensor<3x3x3x16xf32>, %p: tensor<i1>, %s: tensor<*xf32>) -> (tensor<?x32xf32> {tf.name = "y"}) {
  %0 = "tf.MatMul"(%a, %w) {T = f32} : (tensor<?x64xf32>, tensor<64x32xf32>) -> tensor<?x32xf32> loc("mm")
  %1 = "tf.Conv2D"(%img, %k) {T = f32, strides = [1, 1, 1, 1], padding = "SAME"} : (tensor<1x8x8x3xf32>, tensor<3x3x3x16xf32>) -> tensor<1x8x8x16xf32> loc("conv")
  %2 = "tf.Reshape"(%0, %0) {T = f32} : (tensor<?x32xf32>, tensor<?x32xf32>) -> tensor<?x32xf32> loc("free")
  %3 = "tf.Tanh"(%s) {T = f32} : (tensor<*xf32>) -> tensor<*xf32> loc("unranked")
  %5 = "tf.Einsum"(%img, %k) {T = f32, N = 2, equation = "nhwc,ijco->nhwo"} : (tensor<1x8x8x3xf32>, tensor<3x3x3x16xf32>) -> tensor<1x8x8x16xf32> loc("einsum")
  %6 = "tf.BatchMatMulV2"(%img, %img) {T = f32, adj_y = true} : (tensor<1x8x8x3xf32>, tensor<1x8x8x3xf32>) -> tensor<1x8x8x8xf32> loc("bmm")
  %4 = "tf.If"(%p, %0) {Tcond = i1, Tin = [f32], Tout = [f32], then_branch = @big, else_branch = @small} : (tensor<i1>, tensor<?x32xf32>) -> tensor<?x32xf32> loc("if")
  return %4 : tensor<?x32xf32>
}
func.func @big(%x: tensor<?x32xf32>) -> (tensor<?x32xf32> {tf.name = "y"}) {
  %0 = "tf.Exp"(%x) {T = f32} : (tensor<?x32xf32>) -> tensor<?x32xf32> loc("exp")
  return %0 : tensor<?x32xf32>
}
func.func @small(%x: tensor<?x32xf32>) -> (tensor<?x32xf32> {tf.name = "y"}) {
  return %x : tensor<?x32xf32>
}
"""


def test_cost_model_formulas():
    m = parse_module(COST_IR)
    f = m.functions["f"]
    c = {op.name: cost_model.op_cost(op, m) for op in f.ops}
    # MatMul [1,64]x[64,32] (dynamic batch = 1): 2*1*32*64 FLOPs + (64 + 2048 + 32) * 4 bytes / 4
    assert c["mm"] == 2 * 32 * 64 + (64 + 64 * 32 + 32)
    # Conv2D: 2 * out elements * (3*3*3) + bytes / 4
    assert c["conv"] == 2 * (8 * 8 * 16) * 27 + (8 * 8 * 3 + 3 * 3 * 3 * 16 + 8 * 8 * 16)
    assert c["free"] == 0
    # Einsum: contracted labels i, j, c (3*3*3) per output element; BatchMatMul: K = 3
    assert c["einsum"] == 2 * (8 * 8 * 16) * 27 + (8 * 8 * 3 + 3 * 3 * 3 * 16 + 8 * 8 * 16)
    assert c["bmm"] == 2 * (8 * 8 * 8) * 3 + (2 * 8 * 8 * 3 + 8 * 8 * 8)
    unk = cost_model.UNKNOWN_ELEMENTS
    assert c["unranked"] == cost_model.TRANSCENDENTAL_FLOPS * unk + 2 * unk
    exp = cost_model.TRANSCENDENTAL_FLOPS * 32 + 2 * 32
    assert c["if"] == exp  # the more expensive branch
    assert cost_model.function_cost(m, "f") == sum(c.values())
    assert cost_model.function_cost(m, "big") == exp and cost_model.function_cost(m, "small") == 0


def test_report_layout_matches_the_seed():
    fig = {"tpu_cost": 2034, "cpu_cost": 70, "total_cost": 2104, "tpu_percent": 96.67, "cpu_percent": 3.33,
           "functions": [{"name": "tpu_func_1", "cost": 1017, "percent": 48.34},
                         {"name": "tpu_func_2", "cost": 1017, "percent": 48.34}]}
    assert format_report(fig) == """\
-------- Conversion Report --------
TPU cost of the model: 96.67% (2034/2104)
CPU cost of the model:  3.33% (70/2104)

Cost breakdown
================================
%         Cost    Name
--------------------------------
3.33      70      [CPU cost]
48.34     1017    tpu_func_1
48.34     1017    tpu_func_2
--------------------------------
"""
    wide = dict(fig, tpu_cost=123456789, total_cost=123456859, tpu_percent=100.0, cpu_percent=0.0,
                functions=[{"name": "f", "cost": 123456789, "percent": 100.0}])
    lines = format_report(wide).splitlines()
    assert lines[1] == "TPU cost of the model: 100.00% (123456789/123456859)"
    assert lines[2] == "CPU cost of the model:   0.00% (70/123456859)"
    assert lines[9] == "100.00    123456789 f"


def test_report_counts_stubbed_calls_as_tpu(tpu_model):
    m = import_saved_model(tpu_model("big_tpu"))
    run(m, "tpu-select-functions{function-aliases=tpu_func}")
    before = compute(m)
    run(m, "tpu-insert-call-stubs")
    after = compute(m)
    assert before == after  # the stub plumbing costs nothing
    assert after["tpu_percent"] > 95.0
    tpu = m.alias_function("tpu_func")
    assert after["functions"] == [{"name": "tpu_func", "function": tpu, "cost": after["tpu_cost"],
                                   "percent": after["tpu_percent"]}]


# ---- end to end: export, load, numerics ---------------------------------------------------

def _convert(src, out, options, target):
    from smopt.compiler.convert import convert
    return convert(src, str(out), options + NO_DEFAULTS, target=target)


def _outputs(path, inputs, sig="serving_default"):
    import tensorflow as tf
    fn = tf.saved_model.load(path).signatures[sig]
    return {k: v.numpy() for k, v in fn(**{k: tf.constant(v) for k, v in inputs.items()}).items()}


E2E = [
    ("alias", 'tpu_functions { function_alias: "tpu_func" }'),
    ("strings", 'tpu_functions { function_alias: "encoder" }'),
    ("keras_cnn", 'tpu_functions { signature_name: "serving_default" }'),
    ("two_tpu", 'tpu_functions { function_alias: "tpu_func_1" } tpu_functions { function_alias: "tpu_func_2" }'),
    ("two_traces", 'tpu_functions { function_alias: "tpu_func" }'),
    ("nested_direct", 'tpu_functions { function_alias: "tpu_outer" } tpu_functions { function_alias: "tpu_inner" }'),
    ("jit", "tpu_functions { jit_compile_functions: true }"),
    ("tpu_control_flow", 'tpu_functions { function_alias: "tpu_func" }'),
]


@pytest.mark.parametrize("name,options", E2E, ids=[e[0] for e in E2E])
def test_export_loads_for_tpu_and_matches_on_cpu(example_model, tpu_model, tmp_path, name, options):
    import tensorflow as tf
    src = example_model(name) if name in examples.EXAMPLES else tpu_model(name)
    inputs = examples.example_inputs(name) if name in examples.EXAMPLES else models_tpu.INPUTS[name]
    _convert(src, tmp_path / "tpu", options, "tpu")
    loaded = tf.saved_model.load(str(tmp_path / "tpu"))  # loads on a CPU-only machine
    assert "serving_default" in loaded.signatures
    out = import_saved_model(str(tmp_path / "tpu"))
    calls = [op for f in out.all_functions() for op in f.ops if op.type == "TPUPartitionedCall"]
    assert calls and all(op.operands[-1].op.type == "TPUOrdinalSelector" for op in calls)
    for op in calls:
        assert ops_of(out.functions[op.callee], "TPUReplicateMetadata")
    _convert(src, tmp_path / "cpu", options, "cpu")
    cpu_ir = import_saved_model(str(tmp_path / "cpu"))
    assert not [op for f in cpu_ir.all_functions() for op in f.ops if op.type.startswith("TPU")]
    want, got = _outputs(src, inputs), _outputs(str(tmp_path / "cpu"), inputs)
    assert set(want) == set(got)
    for k in want:
        assert got[k].dtype == want[k].dtype and got[k].shape == want[k].shape
        scale = max(float(np.max(np.abs(want[k]))), 1e-30)
        np.testing.assert_allclose(got[k], want[k], rtol=1e-5, atol=1e-5 * scale, err_msg=k)


def test_cli_report_and_json(tpu_model, tmp_path):
    report = tmp_path / "report.json"
    r = run_cli("smopt-convert", "--input_model_dir", tpu_model("big_tpu"), "--output_model_dir",
                str(tmp_path / "out"), "--report_json", str(report), "--converter_options_string",
                'tpu_functions { function_alias: "tpu_func" }' + NO_DEFAULTS)
    assert r.returncode == 0, r.stderr
    fig = json.loads(report.read_text())
    assert fig["tpu_percent"] > 95.0 and fig["tpu_cost"] + fig["cpu_cost"] == fig["total_cost"]
    text = format_report(fig)
    assert text in r.stderr  # the same figures, in the seed's layout, in the log
    assert [f["name"] for f in fig["functions"]] == ["tpu_func"]


def test_cli_rejects_indirect_tpu_calls(tpu_model, tmp_path):
    src = tpu_model("nested_helper")
    m = import_saved_model(src)
    a, b = m.alias_function("tpu_a"), m.alias_function("tpu_b")
    r = run_cli("smopt-convert", "--input_model_dir", src, "--output_model_dir", str(tmp_path / "out"),
                "--converter_options_string",
                'tpu_functions { function_alias: "tpu_a" } tpu_functions { function_alias: "tpu_b" }' + NO_DEFAULTS)
    assert r.returncode == 1 and not (tmp_path / "out").exists()
    assert INDIRECT.format(a=a, b=b) in r.stderr.splitlines()[-1]
