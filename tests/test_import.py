"""Lifting real SavedModels: every node becomes one op, the text round-trips byte for byte."""
import os
import subprocess
import sys

import pytest

import smopt.ir as ir
from smopt.compiler import tfproto
from smopt.compiler.importer import import_saved_model
from smopt.passes.framework.registry import parse_pipeline
from smopt.compiler.pass_manager import PassManager

from conftest import run_cli

EXAMPLES = ["alias", "control_flow", "keras_cnn", "strings"]


def _node_counts(path):
    sm = tfproto.SavedModel()
    with open(os.path.join(path, "saved_model.pb"), "rb") as f:
        sm.ParseFromString(f.read())
    mg = sm.meta_graphs[0]
    counts = {f.signature.name: len(f.node_def) for f in mg.graph_def.library.function}
    return counts, len(mg.graph_def.node)


def check_faithful(path):
    m = import_saved_model(path)
    ir.verify(m)
    counts, graph_nodes = _node_counts(path)
    assert {n: len(f.ops) for n, f in m.functions.items()} == counts
    assert len(m.graph.ops) == graph_nodes
    text = ir.print_module(m)
    again = ir.print_module(ir.parse_module(text))
    assert again == text
    return m


@pytest.mark.parametrize("name", EXAMPLES)
def test_examples_lift_faithfully(example_model, name):
    check_faithful(example_model(name))


@pytest.mark.parametrize("name", ["MobileNetV2", "ResNet50"])
def test_keras_applications_lift_faithfully(example_model, name):
    m = check_faithful(example_model(name))
    assert m.op_count() > 1000
    assert any(op.type == "Conv2D" for f in m.functions.values() for op in f.ops)


def test_alias_model_metadata(example_model):
    import tensorflow as tf
    path = example_model("alias")
    m = import_saved_model(path)
    target = m.alias_function("tpu_func")
    assert target.startswith("__inference_tpu_func_") and target in m.functions
    sig = m.signatures["serving_default"]
    assert [k for k, _, _ in sig.inputs] == ["x"]
    assert str(sig.inputs[0][2]) == "tensor<?x10xf32>"
    assert sig.function in m.functions
    # Checkpoint keys derived from the object graph are the ones in the variables index.
    keys = {k for k, _ in tf.train.list_variables(os.path.join(path, "variables", "variables"))}
    assert {v.checkpoint_key for v in m.variables} == {"w/.ATTRIBUTES/VARIABLE_VALUE",
                                                       "b/.ATTRIBUTES/VARIABLE_VALUE"}
    assert {v.checkpoint_key for v in m.variables} <= keys
    assert {str(v.type) for v in m.variables} == {"tensor<10x16xf32>", "tensor<16xf32>"}
    # Captured variables are marked on the function arguments that receive them.
    fn = m.functions[target]
    bound = [a.attrs.get("tf_saved_model.bound_input") for a in fn.args]
    assert sorted(b for b in bound if b is not None) == sorted(v.node_id for v in m.variables)


def test_control_flow_call_graph(example_model):
    m = import_saved_model(example_model("control_flow"))
    cg = m.call_graph()
    kinds = {how for _, _, d in cg.g.edges(data=True) for _, how in d["sites"]}
    assert {"then_branch", "else_branch", "cond", "body", "f"} <= kinds
    sig_fn = m.signatures["serving_default"].function
    helper = next(n for n in m.functions if "helper" in n)
    assert cg.reaches(sig_fn, helper)
    assert not cg.unresolved()


@pytest.mark.parametrize("name", EXAMPLES)
def test_cleanup_pipeline_keeps_models_valid(example_model, name):
    m = import_saved_model(example_model(name))
    sig_fn = m.signatures["serving_default"].function
    identities = sum(op.type == "Identity" for op in m.functions[sig_fn].ops)
    PassManager(parse_pipeline("inline,canonicalize,cse,dce,symbol-dce")).run(m)
    ir.verify(m)
    ops = m.functions[sig_fn].ops
    # Every call left in the signature function is one the inliner must keep.
    for op in ops:
        if op.type in ("PartitionedCall", "StatefulPartitionedCall"):
            assert op.callee in m.aliased_functions() or m.functions[op.callee].attrs.get("_noinline")
    assert sum(op.type == "Identity" for op in ops) <= identities
    text = ir.print_module(m)
    assert ir.print_module(ir.parse_module(text)) == text
    assert m.signatures["serving_default"].function in m.functions


def test_import_needs_no_tensorflow(example_model):
    path = example_model("alias")
    code = ("import sys; from compiler.importer import import_saved_model; import ir;"
            f"m = import_saved_model({path!r}); ir.print_module(m);"
            "assert 'tensorflow' not in sys.modules, 'tensorflow was imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_smopt_cli_on_saved_model(example_model, tmp_path):
    out = tmp_path / "out.mlir"
    r = run_cli("smopt", example_model("alias"), "-p", "canonicalize,cse", "-o", str(out), "--summary")
    assert r.returncode == 0, r.stderr
    assert "1 signatures, 1 aliases, 2 variables" in r.stderr
    text = out.read_text()
    assert '"tf_saved_model.alias"() {function = @__inference_tpu_func_' in text
    assert ir.print_module(ir.parse_module(text)) == text
