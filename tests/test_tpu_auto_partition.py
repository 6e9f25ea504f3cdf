"""Automatic TPU partitioning (tpu-auto-partition, `smopt-optimize --target_device tpu`,
`auto_partition_options`) on models without function aliases (tests/models_auto_partition.py):
a Keras 3 `model.export`, a tf_keras `model.save`, a tokenizer + encoder and a Wide & Deep
model.

Done when, per model: the TPU functions carry >= 95% of the model's cost (the conversion
report's figures), string and lookup ops stay on the CPU, the CPU-target output matches the
original within 1e-5 with bfloat16 off (within the bf16 bar, 2e-2 of the output's scale,
with the default options), and the TPU-target output loads with tf.saved_model.load on this
CPU-only machine with one TPUPartitionedCall per region. Region selection in detail (string
split, cycles, the cost threshold): lit_tests/passes/tpu-auto-partition/.
"""
import json
import os
import sys

import numpy as np
import pytest

from smopt.compiler.errors import SmoptError
from smopt.compiler.importer import import_saved_model
from smopt.compiler.optimize import optimize, optimize_pipeline
from smopt.compiler.options import parse_converter_options
from smopt.compiler.pipelines import pipeline_stages
from smopt.ir import types as T
from smopt.passes.tpu_auto_partition import AUTO_ATTR, REASON_ATTR
from smopt.passes.tpu_conversion_report import compute

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import models_auto_partition as models  # noqa: E402
from conftest import run_cli  # noqa: E402

NAMES = list(models.BUILDERS)
BF16_BAR = 2e-2
# Ops that must stay on the CPU, per model (the preprocessing the model really has).
CPU_OPS = {
    "tokenizer_encoder": {"StringLower", "StringSplitV2", "LookupTableFindV2"},
    "wide_deep": {"StringToHashBucketFast", "LookupTableFindV2", "SparseCross"},
}
_HOST_ONLY = ("String", "Lookup", "HashTable", "Regex", "Substr", "Unicode", "AsString")  # strings, lookups


@pytest.fixture(scope="session")
def auto_model(models_dir):
    cache = {}

    def get(name):
        if name not in cache:
            cache[name] = models.BUILDERS[name](str(models_dir / ("auto_" + name)))
        return cache[name]

    return get


def _outputs(path, inputs):
    import tensorflow as tf
    fn = tf.saved_model.load(path).signatures["serving_default"]
    return {k: v.numpy() for k, v in fn(**{k: tf.constant(v) for k, v in inputs.items()}).items()}


def _max_rel_error(want, got):
    assert set(want) == set(got)
    worst = 0.0
    for k in want:
        assert got[k].dtype == want[k].dtype and got[k].shape == want[k].shape, k
        scale = max(float(np.max(np.abs(want[k]))), 1e-30)
        worst = max(worst, float(np.max(np.abs(got[k].astype(np.float64) - want[k]))) / scale)
    return worst


def _tpu_side(module):
    """Names of the TPU functions and of every function they reach."""
    cg = module.call_graph()
    names = set()
    for n, f in module.functions.items():
        if f.attrs.get("smopt.tpu_function") is True:
            names |= {n} | cg.reachable(n)
    return names


def _check_placement(module, name):
    tpu = _tpu_side(module)
    regions = sorted(n for n, f in module.functions.items() if AUTO_ATTR in f.attrs)
    assert regions and set(regions) <= tpu
    for n in tpu:
        for op in module.functions[n].ops:
            if op.type.startswith("TPU"):   # the stub pass's plumbing (TPUCompilationResult: a status string)
                continue
            assert not op.type.startswith(_HOST_ONLY), (n, op)
            for v in list(op.operands) + list(op.results):
                assert not (isinstance(v.type, T.TensorType) and v.type.dtype is T.string), (n, op)
    cpu_types = {op.type for f in module.all_functions() if f.name not in tpu for op in f.ops}
    assert CPU_OPS.get(name, set()) <= cpu_types
    return regions


@pytest.mark.parametrize("name", NAMES)
def test_converter_option_offloads_and_matches_on_cpu(auto_model, tmp_path, name):
    """smopt-convert's `auto_partition_options`, bfloat16 off, CPU target: numerics within 1e-5."""
    from smopt.compiler.convert import convert
    src = auto_model(name)
    report = tmp_path / "report.json"
    module, _ = convert(src, str(tmp_path / "cpu"), "auto_partition_options {} bfloat16_optimization: DISABLED",
                        target="cpu", report_json=str(report))
    fig = json.loads(report.read_text())
    regions = _check_placement(module, name)
    assert fig["tpu_percent"] >= 95.0, fig
    auto = fig["auto_partition"]
    assert [r["function"] for r in auto["regions"]] == regions
    assert sum(r["cost"] for r in auto["regions"]) == fig["tpu_cost"]
    assert sum(r["cost"] for r in auto["cpu"]) == fig["cpu_cost"]
    if name in CPU_OPS:  # the report says why the preprocessing stayed: no TPU kernel
        assert any("no XLA kernel for TPU" in r["reason"] for r in auto["cpu"]), auto["cpu"]
    cpu_ir = import_saved_model(str(tmp_path / "cpu"))
    assert not [op for f in cpu_ir.all_functions() for op in f.ops if op.type.startswith("TPU")]
    inputs = models.INPUTS[name](1)
    err = _max_rel_error(_outputs(src, inputs), _outputs(str(tmp_path / "cpu"), inputs))
    assert err <= 1e-5, err


@pytest.mark.parametrize("name", NAMES)
def test_optimize_for_tpu(auto_model, tmp_path, name):
    """smopt-optimize --target_device tpu: default ConverterOptions (bfloat16 on). The TPU output
    loads on this CPU machine, one TPUPartitionedCall per region; the CPU variant is within the
    bf16 bar."""
    import tensorflow as tf
    src = auto_model(name)
    module, pm, _ = optimize(src, str(tmp_path / "tpu"), target_device="tpu")
    regions = _check_placement(module, name)
    assert compute(module)["tpu_percent"] >= 95.0   # bfloat16 halves TPU bytes: still >= 95%
    passes = [p.name for p in pm.passes]
    assert passes.index("tpu-auto-partition") < passes.index("bf16-convert") < passes.index("tpu-insert-call-stubs")
    loaded = tf.saved_model.load(str(tmp_path / "tpu"))
    assert "serving_default" in loaded.signatures
    out = import_saved_model(str(tmp_path / "tpu"))
    calls = [op for f in out.all_functions() for op in f.ops if op.type == "TPUPartitionedCall"]
    assert sorted(op.callee for op in calls) == regions
    for op in calls:
        assert op.operands[-1].op.type == "TPUOrdinalSelector"
        assert [o for o in out.functions[op.callee].ops if o.type == "TPUReplicateMetadata"]
    optimize(src, str(tmp_path / "cpu"), target_device="tpu", target="cpu")
    inputs = models.INPUTS[name](2)
    err = _max_rel_error(_outputs(src, inputs), _outputs(str(tmp_path / "cpu"), inputs))
    assert err <= BF16_BAR, err


def test_reasons_for_cpu_ops(auto_model):
    """Each preprocessing op left on the CPU carries why (the report's rows come from it)."""
    from smopt.compiler.pass_manager import PassManager
    from smopt.passes.framework.registry import parse_pipeline
    m = import_saved_model(auto_model("tokenizer_encoder"))
    PassManager(parse_pipeline("inline,tpu-auto-partition")).run(m)
    # Several functions hold copies of these ops (the inlined serving function and the
    # object graph's own concrete functions), in an order that depends on the functions'
    # generated names: collect every op's reason, not the last one seen.
    why = {}
    for f in m.functions.values():
        for op in f.ops:
            if op.type in CPU_OPS["tokenizer_encoder"]:
                why.setdefault(op.type, set()).add(op.attrs.get(REASON_ATTR))
    assert "no XLA kernel for TPU (string op)" in why["StringSplitV2"]
    assert "no XLA kernel for TPU" in why["LookupTableFindV2"]


def test_pipelines():
    stages = pipeline_stages(parse_converter_options("auto_partition_options { min_region_cost_percent: 0.5 }"))
    assert stages[:4] == ["inline", "tpu-auto-partition{min-cost-percent=0.5}", "tpu-check-indirect-calls",
                          "tpu-compatibility-check"]
    assert stages[-2:] == ["tpu-insert-call-stubs", "tpu-conversion-report"]
    assert "bf16-convert" in stages and "tpu-io-shape-opt" in stages
    assert pipeline_stages(parse_converter_options(""))[:1] != ["inline"]   # not asked: no partitioning
    with pytest.raises(SmoptError, match="give it or tpu_functions, not both"):
        pipeline_stages(parse_converter_options('auto_partition_options {} tpu_functions { function_alias: "f" }'))
    text = optimize_pipeline(target_device="tpu", target="cpu").split(",")
    assert text[0] == "inline" and "tpu-auto-partition" in text and "tpu-insert-call-stubs{target=cpu}" in text
    assert text.index("merge-functions") < text.index("tpu-auto-partition")
    assert not any(s.startswith("xla-cluster") for s in optimize_pipeline(True, target_device="tpu").split(","))


def test_cli(auto_model, tmp_path):
    src = auto_model("tokenizer_encoder")
    r = run_cli("smopt-optimize", "--input_model_dir", src, "--output_model_dir", str(tmp_path / "o"),
                "--target_device", "tpu")
    assert r.returncode == 0, r.stderr
    assert "Automatic TPU partitioning (regions of at least 1.00% of the model's cost)" in r.stderr
    assert "Kept on the CPU: why (ops)" in r.stderr and "StringSplitV2" in r.stderr
    r = run_cli("smopt-optimize", "--input_model_dir", src, "--output_model_dir", str(tmp_path / "p"),
                "--target", "cpu")
    assert r.returncode != 0 and r.stderr.strip() == "smopt-optimize: error: --target applies to --target_device tpu only"
    r = run_cli("smopt-convert", "--input_model_dir", src, "--output_model_dir", str(tmp_path / "q"),
                "--converter_options_string", 'auto_partition_options {} tpu_functions { signature_name: "x" }')
    assert r.returncode != 0 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert r.stderr.startswith("smopt-convert: error: auto_partition_options chooses the TPU functions itself")
    assert not (tmp_path / "q").exists()
