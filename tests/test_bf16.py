"""bf16-convert end to end: IR-level checks, exported models run by TensorFlow on the CPU.

Numerics: every converted model's serving outputs are compared with the original model's on
the same inputs; the tolerance is relative to the output's scale,
    max |converted - original| <= 2e-2 * max |original|
(bfloat16 keeps 8 significand bits: ~4e-3 relative rounding per op).

The precision policy (issue 13): on an Embedding + LSTM + GRU classifier (tf_keras and Keras
3), a ConvNeXt block and an STFT log-mel front-end, the default conversion's error
(max-abs error / max-abs output, `--target cpu`) is at most 1.25x the error of TensorFlow's
own oneDNN bfloat16 auto-mixed-precision on the same inputs (tests/tf_reference.py runs both
in fresh processes).
"""
import os

import numpy as np
import pytest

import models_bf16

from smopt.compiler import examples

RTOL = 2e-2


@pytest.fixture(scope="module")
def bf16_model(tmp_path_factory):
    root = tmp_path_factory.mktemp("bf16_models")
    cache = {}

    def get(name):
        if name not in cache:
            path = str(root / name)
            if name in models_bf16.MODELS:
                models_bf16.MODELS[name](path)
            else:
                examples.EXAMPLES[name](path)
            cache[name] = path
        return cache[name]

    return get


def _inputs(name):
    if name in models_bf16.MODELS:
        return models_bf16.example_inputs(name)
    return examples.example_inputs(name)


def _serve(path, name):
    import tensorflow as tf
    fn = tf.saved_model.load(path).signatures["serving_default"]
    return {k: v.numpy() for k, v in fn(**{k: tf.constant(v) for k, v in _inputs(name).items()}).items()}


def _assert_close(want, got):
    assert set(want) == set(got)
    for k in want:
        assert got[k].dtype == want[k].dtype, k   # serving outputs keep their dtype (float32)
        w, g = want[k].astype(np.float64), got[k].astype(np.float64)
        scale = max(np.abs(w).max(), 1e-6)
        err = np.abs(w - g).max()
        assert err <= RTOL * scale, f"{k}: max error {err:.3g} > {RTOL} * {scale:.3g}"


def _run_pass(module, pipeline):
    from smopt.compiler.pass_manager import PassManager
    from smopt.passes.framework.registry import parse_pipeline
    pm = PassManager(parse_pipeline(pipeline))
    pm.run(module)  # verifies the IR after the pass
    return pm.passes[0].stats


def _mark_tpu(module, alias="tpu_func"):
    module.functions[module.alias_function(alias)].attrs["smopt.tpu_function"] = True
    return module.alias_function(alias)


def _ops(fn, op_type):
    return [op for op in fn.ops if op.type == op_type]


def _only_feeds_returns(op, fn):
    """Does `op`'s result reach only `fn`'s returns (through no other MatMul/Conv)?"""
    stack = [op]
    while stack:
        for r in stack.pop().results:
            for u, i in r.uses:
                if u is fn or i < 0:
                    continue
                if u.type in HEAVY:
                    return False
                stack.append(u)
    return True


HEAVY = ("Conv2D", "DepthwiseConv2dNative", "MatMul", "BatchMatMulV2", "Einsum")


def _feeds_bf16_op(value):
    """Is `value` used, directly or through a Cast, by an op computing in bfloat16?"""
    for user in value.users():
        if getattr(user, "type", None) == "Cast":
            if _feeds_bf16_op(user.results[0]):
                return True
        elif any(getattr(r.type, "element", None) is not None and r.type.element.name == "bfloat16"
                 for r in getattr(user, "results", ())):
            return True
    return False


# ---- data --------------------------------------------------------------------------------
def test_kernel_table_matches_installed_tensorflow():
    """passes/data/bf16_cpu_kernels.json is what TensorFlow reports now (regenerate if not)."""
    import json
    with open(models_bf16.KERNEL_TABLE) as f:
        stored = json.load(f)
    stored.pop("_comment")
    fresh = models_bf16.cpu_bf16_kernel_table()
    assert stored == json.loads(json.dumps(fresh)), \
        "TensorFlow's kernels changed: python tests/models_bf16.py --write-kernel-table"


def test_kernel_lookup():
    from smopt.passes.numerics import bf16_policy as data
    assert data.cpu_kernel_accepts("MatMul", {"T": "bfloat16"})
    assert data.cpu_kernel_accepts("FusedBatchNormV3", {"T": "bfloat16", "U": "float32"})
    assert not data.cpu_kernel_accepts("FusedBatchNormV3", {"T": "bfloat16", "U": "bfloat16"})
    assert not data.cpu_kernel_accepts("MatrixInverse", {"T": "bfloat16"})
    assert data.cpu_kernel_accepts("Sum", {"T": "bfloat16", "Tidx": "int32"})
    assert "Softmax" in data.keep_f32_ops() and "Softmax" not in data.keep_f32_ops(["-Softmax"])
    assert "Relu" in data.keep_f32_ops(filterlist=["Relu"])


def test_policy_lists_match_tensorflow():
    """The policy file's "tensorflow" section is what TensorFlow's oneDNN bfloat16 rewrite
    uses now (regenerate: python tests/models_bf16.py --write-tf-amp-lists)."""
    from smopt.passes.numerics import bf16_policy as data
    lists = models_bf16.tf_amp_lists()
    if lists is None:
        pytest.skip("TensorFlow's oneDNN bfloat16 auto-mixed-precision did not run here")
    stored = {k: data.POLICY["tensorflow"][k] for k in ("allow", "infer", "clear", "deny")}
    assert stored == lists, "TensorFlow's lists changed: python tests/models_bf16.py --write-tf-amp-lists"


def test_policy_is_at_least_as_careful_as_tensorflow():
    """Everything TensorFlow denies stays float32; nothing TensorFlow leaves float32 (on no
    list, or denied) is converted unconditionally; and the issue's must-stay-float32 ops
    (accumulations, softmax, normalization statistics, FFTs, exponentials) are kept."""
    from smopt.passes.numerics import bf16_policy as data
    tf_lists = data.POLICY["tensorflow"]
    keep = data.keep_f32_ops()
    assert set(tf_lists["deny"]) <= keep
    listed = set().union(*(tf_lists[k] for k in ("allow", "infer", "clear", "deny")))
    assert data.ALLOW_OPS - set(tf_lists["allow"]) <= set(data.POLICY["smopt"]["allow_add"])
    assert not (data.ALLOW_OPS & keep)
    for op in ("Sum", "Mean", "Prod", "Softmax", "LogSoftmax", "Rsqrt", "FusedBatchNorm", "RFFT",
               "IRFFT", "FFT", "ComplexAbs", "Exp", "Log", "Pow", "Cumsum", "EuclideanNorm"):
        assert data.category(op, keep) == "keep", op
    assert data.category("MatMul", keep) == "allow" and data.category("Conv2D", keep) == "allow"
    assert data.category("Tanh", keep) == "infer" and data.category("Reshape", keep) == "clear"
    assert data.category("Sin", keep) is None and "Sin" not in listed   # on no list: float32
    assert data.kept_by_attrs("FusedBatchNormV3", {"is_training": True})
    assert not data.kept_by_attrs("FusedBatchNormV3", {"is_training": False})


# ---- IR level ----------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["bf16_cnn", "bf16_encoder"])
def test_scope_all_converts_the_tpu_function_compute(bf16_model, name):
    from smopt.compiler.importer import import_saved_model
    from smopt.ir import print_module, verify
    m = import_saved_model(bf16_model(name))
    stats = _run_pass(m, "bf16-convert{scope=all}")
    verify(m)
    tpu = m.functions[m.alias_function("tpu_func")]
    text = print_module(m)
    heavy = [op for op in tpu.ops if op.type in HEAVY]
    # Every MatMul/Conv is bfloat16 but an output projection (the encoder's tied logits
    # MatMul), which computes the model's output in float32 from bfloat16-stored weights.
    projection = [op for op in heavy if op.attrs["T"].name == "float32"]
    assert heavy and len(projection) <= 1 and all(_only_feeds_returns(op, tpu) for op in projection)
    for op in projection:
        w = op.operands[1].op
        assert w.type == "Cast" and w.attrs["SrcT"].name == "bfloat16" and w.operands[0].op.type == "ReadVariableOp"
    assert (name == "bf16_encoder") == bool(projection)
    # Weights of the MatMuls/Convs are stored bfloat16 and read as such; variables whose every
    # use computes in float32 (batch/layer norm parameters after a kept Rsqrt/Mean) stay.
    weight_reads = [op.operands[1].op for op in heavy
                    if hasattr(op.operands[1], "op") and op.operands[1].op.type == "ReadVariableOp"]
    assert weight_reads and all(r.attrs["dtype"].name == "bfloat16" for r in weight_reads)
    for read in _ops(tpu, "ReadVariableOp"):
        if read.attrs["dtype"].name == "float32":
            assert not _feeds_bf16_op(read.results[0]), read.name
    # Kept float32: softmax; the TPU function's signature (an exported, aliased function).
    assert all(op.attrs["T"].name == "float32" for op in _ops(tpu, "Softmax"))
    assert all(a.type.element.name == "float32" for a in tpu.args if a.type.element.name != "resource")
    assert all(v.type.element.name == "float32" for v in tpu.returns)
    # Converted variables are bfloat16 also in the main graph and the checkpoint functions.
    n_bf16 = sum(v.type.element.name == "bfloat16" for v in m.variables)
    assert stats["num-variables-converted"] == n_bf16 > 0
    handles = [l for l in text.splitlines() if '"tf.VarHandleOp"' in l]
    assert any("dtype = bf16" in l for l in handles)
    assert any("dtype = f32" in l for l in handles) == (n_bf16 < len(m.variables))
    assert "dtypes = [bf16" in text   # SaveV2/RestoreV2
    # Signatures stay float32.
    for s in m.signatures.values():
        for _, _, t in s.inputs + s.outputs:
            assert t.element.name in ("float32", "int32", "int64")


def test_scope_tpu_leaves_cpu_compute_alone(bf16_model):
    from smopt.compiler.importer import import_saved_model
    m = import_saved_model(bf16_model("bf16_encoder"))
    tpu_name = _mark_tpu(m)
    _run_pass(m, "bf16-convert")
    serve = m.functions[m.signatures["serving_default"].function]
    inner = [f for f in m.functions.values() if f.name.startswith("__inference_serve_")]
    assert len(inner) == 1
    cpu = inner[0]
    # The embedding is read on the CPU as well: stored bfloat16, gathered as bfloat16 and cast
    # back to float32 right away, so the CPU keeps computing in float32.
    gather = _ops(cpu, "ResourceGather")[0]
    assert gather.attrs["dtype"].name == "bfloat16"
    (cast,) = gather.results[0].users()
    assert cast.type == "Cast" and cast.attrs["DstT"].name == "float32"
    assert all(op.attrs["T"].name == "float32" for op in _ops(cpu, "LogSoftmax"))
    assert not any(op.type == "Cast" for op in serve.ops)
    assert any(op.attrs.get("T") is not None and getattr(op.attrs["T"], "name", "") == "bfloat16"
               for op in m.functions[tpu_name].ops)


def test_ir_text_variable_without_value_is_read_through_a_cast(bf16_model):
    """Printed and re-parsed IR has no checkpoint: variables stay float32, reads get casts."""
    from smopt.compiler.importer import import_saved_model
    from smopt.ir import parse_module, print_module
    m = parse_module(print_module(import_saved_model(bf16_model("alias"))))
    tpu = m.functions[_mark_tpu(m)]
    stats = _run_pass(m, "bf16-convert")
    assert stats["num-variables-converted"] == 0 and stats["num-variables-kept"] == 2
    for read in _ops(tpu, "ReadVariableOp"):
        assert read.attrs["dtype"].name == "float32"
        (cast,) = read.results[0].users()
        assert cast.type == "Cast" and tpu.ops.index(cast) == tpu.ops.index(read) + 1


# ---- exported and run by TensorFlow ------------------------------------------------------
@pytest.mark.parametrize("name", ["bf16_cnn", "bf16_encoder"])
def test_scope_tpu_export_runs_on_cpu_and_matches(bf16_model, tmp_path, name):
    import tensorflow as tf
    from smopt.compiler.exporter import export_saved_model
    from smopt.compiler.importer import import_saved_model
    src = bf16_model(name)
    m = import_saved_model(src)
    _mark_tpu(m)
    stats = _run_pass(m, "bf16-convert")
    assert stats["num-ops-converted"] > 10 and stats["num-variables-converted"] > 0
    out = str(tmp_path / "out")
    export_saved_model(m, out)
    _assert_close(_serve(src, name), _serve(out, name))
    # The checkpoint holds the converted variables as bfloat16, the others as float32.
    dtypes = tf.train.load_checkpoint(os.path.join(out, "variables", "variables")).get_variable_to_dtype_map()
    stored = {v.checkpoint_key: v.type.element.name for v in m.variables}
    assert {k: dtypes[k].name for k in stored} == stored
    assert "bfloat16" in stored.values()
    loaded = tf.saved_model.load(out)
    if name == "bf16_encoder":
        assert loaded.emb.dtype == tf.bfloat16 and loaded.wq.dtype == tf.bfloat16
        # The aliased TPU function keeps its float32 interface for Python callers.
        orig = tf.saved_model.load(src)
        feats = tf.constant(np.random.default_rng(3).standard_normal((2, models_bf16.SEQ, models_bf16.DIM)),
                            tf.float32)
        got = loaded.tpu_func(feats)
        assert got.dtype == tf.float32
        _assert_close({"y": orig.tpu_func(feats).numpy()}, {"y": got.numpy()})


@pytest.mark.parametrize("name", ["bf16_cnn", "bf16_encoder", "keras_cnn", "control_flow"])
def test_convert_scope_all_runs_on_cpu_and_matches(bf16_model, tmp_path, name):
    from smopt.compiler.convert import convert
    src = bf16_model(name)
    out = str(tmp_path / "out")
    module, pm = convert(src, out, "bfloat16_optimization_options { scope: ALL }", target="cpu")
    assert pm.passes[0].name == "bf16-convert" and pm.passes[0].scope == "all"
    stats = pm.passes[0].stats
    n_bf16 = sum(v.type.element.name == "bfloat16" for v in module.variables)
    assert stats["num-variables-converted"] == n_bf16 and not stats["num-variables-kept"]
    if name == "control_flow":
        # No MatMul or convolution: nothing gains from bfloat16 and nothing changes (tanh,
        # sums and the loop's state stay float32, as in TensorFlow's own bfloat16 rewrite).
        assert stats["num-ops-converted"] == 0 and n_bf16 == 0
        want, got = _serve(src, name), _serve(out, name)
        assert all(np.array_equal(want[k], got[k]) for k in want)
        return
    assert stats["num-ops-converted"] > 0 and n_bf16 > 0
    _assert_close(_serve(src, name), _serve(out, name))


def test_graph_mode_restore_and_save_use_bfloat16_checkpoint(bf16_model, tmp_path):
    """The main graph's restore/save functions (TF Serving's path) agree with the bfloat16
    checkpoint: load through the v1 loader, serve, save a new checkpoint and read it back."""
    import tensorflow as tf
    from smopt.compiler.convert import convert
    src = bf16_model("bf16_encoder")
    out = str(tmp_path / "out")
    convert(src, out, "bfloat16_optimization_options { scope: ALL }")
    feed = _inputs("bf16_encoder")["ids"]
    with tf.Graph().as_default(), tf.compat.v1.Session() as sess:
        mg = tf.compat.v1.saved_model.load(sess, ["serve"], out)
        sig = mg.signature_def["serving_default"]
        got = sess.run(sig.outputs["logits"].name, {sig.inputs["ids"].name: feed})
        prefix = str(tmp_path / "ckpt" / "model")
        os.makedirs(os.path.dirname(prefix))
        sess.run(mg.saver_def.save_tensor_name, {mg.saver_def.filename_tensor_name: prefix})
    want = _serve(src, "bf16_encoder")["logits"]
    _assert_close({"logits": want}, {"logits": got})
    reader = tf.train.load_checkpoint(prefix)
    dtypes = reader.get_variable_to_dtype_map()
    from smopt.compiler.importer import import_saved_model
    stored = {v.checkpoint_key: v.type.element.name for v in import_saved_model(out).variables}
    assert {k: dtypes[k].name for k in stored} == stored and "bfloat16" in stored.values()


def test_existing_bfloat16_ops_are_refused_unless_skipped(bf16_model, tmp_path):
    from smopt.compiler.convert import convert
    from smopt.compiler.errors import SmoptError
    src = bf16_model("bf16_pre")
    with pytest.raises(SmoptError) as e:
        convert(src, str(tmp_path / "refused"), "bfloat16_optimization_options { scope: ALL }")
    msg = str(e.value)
    assert "the model already contains bfloat16 ops: node 'Cast' (Cast) in @__inference_tpu_func_" in msg
    assert "skip-safety-checks=true" in msg
    assert not os.path.exists(tmp_path / "refused") or not os.listdir(tmp_path / "refused")
    out = str(tmp_path / "out")
    module, pm = convert(src, out, "bfloat16_optimization_options { scope: ALL skip_safety_checks: true }")
    assert pm.passes[0].stats["num-casts-folded"] >= 1
    _assert_close(_serve(src, "bf16_pre"), _serve(out, "bf16_pre"))


def test_filterlist_option_keeps_ops_float32(bf16_model, tmp_path):
    from smopt.compiler.convert import convert
    src = bf16_model("bf16_cnn")
    out = str(tmp_path / "out")
    module, pm = convert(src, out, 'bfloat16_optimization_options { scope: ALL filterlist: "Conv2D" }')
    tpu = module.functions[module.alias_function("tpu_func")]
    convs = _ops(tpu, "Conv2D")
    assert convs and all(op.attrs["T"].name == "float32" for op in convs)
    assert all(op.attrs["T"].name == "bfloat16" for op in _ops(tpu, "MatMul"))
    for conv in convs:  # the kernels are only used by the float32 convs: they stay float32
        kernel = conv.operands[1]
        assert kernel.op.type == "ReadVariableOp" and kernel.op.attrs["dtype"].name == "float32"
    _assert_close(_serve(src, "bf16_cnn"), _serve(out, "bf16_cnn"))


def _tpu_pipeline_available():
    from smopt.compiler import pipelines
    from smopt.compiler.options import parse_converter_options
    from smopt.passes.framework import registry
    stages = pipelines.pipeline_stages(parse_converter_options('tpu_functions { function_alias: "tpu_func" }'),
                                       target="cpu")
    names = {s.split("{")[0] for s in stages}
    registry.load_all()
    return names <= set(registry.REGISTRY)


@pytest.mark.skipif(not _tpu_pipeline_available(), reason="the TPU conversion passes are not built yet")
@pytest.mark.parametrize("name", ["bf16_cnn", "bf16_encoder"])
def test_converter_with_tpu_functions_targets_cpu(bf16_model, tmp_path, name):
    from smopt.compiler.convert import convert
    src = bf16_model(name)
    out = str(tmp_path / "out")
    module, pm = convert(src, out, 'tpu_functions { function_alias: "tpu_func" }', target="cpu")
    bf16 = [p for p in pm.passes if p.name == "bf16-convert"]
    assert bf16 and bf16[0].stats["num-ops-converted"] > 0
    _assert_close(_serve(src, name), _serve(out, name))


# ---- the precision policy against TensorFlow's own bfloat16 (issue 13) -------------------
BF16_FACTOR = 1.25   # smopt's error may be at most this times TensorFlow's


def _bf16_ops(module):
    """Ops (not Casts, constants or variable ops) with a bfloat16 type attribute."""
    skip = {"Cast", "Const", "ReadVariableOp", "ResourceGather", "VarHandleOp", "AssignVariableOp",
            "SaveV2", "RestoreV2", "Identity"}
    return [op for f in module.functions.values() for op in f.ops if op.type not in skip
            and any(getattr(v, "name", None) == "bfloat16" for v in op.attrs.values())]


@pytest.mark.parametrize("name", models_bf16.POLICY_MODELS)
def test_default_bf16_error_within_tensorflow_amp(bf16_model, tmp_path, name):
    """smopt-convert's default bfloat16 (--target cpu) vs TensorFlow's oneDNN bfloat16
    auto-mixed-precision on the original model, same inputs: error <= 1.25x TensorFlow's."""
    from smopt.compiler.convert import convert
    from tf_reference import rel_error, run_signature
    src = bf16_model(name)
    feed = _inputs(name)
    ref = run_signature(src, feed)
    theirs = rel_error(ref, run_signature(src, feed, amp_bf16=True))
    if theirs == 0.0:
        pytest.skip("TensorFlow's oneDNN bfloat16 auto-mixed-precision changed nothing here (no oneDNN?)")
    out = str(tmp_path / "out")
    module, pm = convert(src, out, 'tpu_functions { function_alias: "tpu_func" }', target="cpu")
    stats = [p for p in pm.passes if p.name == "bf16-convert"][0].stats
    ours = rel_error(ref, run_signature(out, feed))
    print(f"{name}: smopt bf16 error {ours:.3e}, TensorFlow AMP {theirs:.3e} ({ours / theirs:.2f}x); "
          f"{len(_bf16_ops(module))} ops bfloat16, {stats['num-variables-converted']} variables")
    assert 0.0 < ours <= BF16_FACTOR * theirs, f"{name}: {ours:.3e} > {BF16_FACTOR} x TensorFlow's {theirs:.3e}"
    # Not everything was kept: the dense compute (MatMul/Conv) runs in bfloat16.
    assert any(op.type in HEAVY for op in _bf16_ops(module))


def test_policy_decisions_on_the_models(bf16_model):
    """Where each model's precision goes: the recurrence (While bodies and what they call)
    float32, its weights stored float32, the classifier's MatMul bfloat16 (the only MatMul
    outside the recurrence: the output rule leaves it alone); ConvNeXt's convolutions and
    MatMuls bfloat16 but the output head (float32, weights stored bfloat16), its LayerNorm
    statistics float32; the STFT's framing, FFT and magnitude float32, the mel MatMuls
    bfloat16, the head MatMul float32."""
    from smopt.compiler.importer import import_saved_model
    for name in ("bf16_text_rnn", "bf16_text_rnn_k3"):
        m = import_saved_model(bf16_model(name))
        _mark_tpu(m)
        _run_pass(m, "bf16-convert")
        bodies = {op.attrs["body"].name for f in m.functions.values() for op in f.ops
                  if op.type in ("While", "StatelessWhile")}
        assert bodies
        for b in bodies:
            assert not _bf16_ops_in(m.functions[b]), b
            assert any(op.type == "MatMul" for op in m.functions[b].ops)
        tpu = m.functions[m.alias_function("tpu_func")]
        # The logits' MatMul is bfloat16; the RNN layers' unused first step (dead code, which
        # TensorFlow prunes) is left alone.
        logits = [op for op in _ops(tpu, "MatMul") if "logits" in op.name]
        assert len(logits) == 1 and logits[0].attrs["T"].name == "bfloat16"
        assert all(op.attrs["T"].name == "float32" for op in _ops(tpu, "MatMul") if op not in logits)
        # Only the logits' kernel and bias are stored bfloat16: the embedding, LSTM and GRU
        # weights feed float32 compute.
        assert [v.type.element.name for v in m.variables].count("bfloat16") == 2, name
    m = import_saved_model(bf16_model("bf16_convnext"))
    tpu = m.functions[_mark_tpu(m)]
    _run_pass(m, "bf16-convert")
    heavy = [op for op in tpu.ops if op.type in HEAVY]
    assert {op.type for op in heavy} >= {"Conv2D", "DepthwiseConv2dNative", "MatMul"}
    (head,) = [op for op in heavy if op.attrs["T"].name == "float32"]
    assert "head" in head.name and _only_feeds_returns(head, tpu)
    kernel = head.operands[1].op   # the head's weights: stored bfloat16, read through a Cast
    assert kernel.type == "Cast" and kernel.operands[0].op.attrs["dtype"].name == "bfloat16"
    assert _ops(tpu, "Mean") and all(op.attrs["T"].name == "float32" for op in _ops(tpu, "Mean"))
    assert all(op.attrs["T"].name == "float32" for op in _ops(tpu, "Rsqrt") + _ops(tpu, "SquaredDifference"))
    m = import_saved_model(bf16_model("bf16_stft"))
    tpu = m.functions[_mark_tpu(m)]
    _run_pass(m, "bf16-convert")
    assert _ops(tpu, "RFFT") and _ops(tpu, "ComplexAbs")
    assert all(op.attrs["T"].name != "bfloat16" for op in _ops(tpu, "Mul") + _ops(tpu, "Log"))  # window, log
    mm = _ops(tpu, "MatMul") + _ops(tpu, "BatchMatMulV2")
    assert len(mm) == 3 and [op.attrs["T"].name for op in mm].count("bfloat16") == 2
    (head,) = [op for op in mm if op.attrs["T"].name == "float32"]
    assert _only_feeds_returns(head, tpu)


def _bf16_ops_in(fn):
    return [op for op in fn.ops if op.type != "Cast"
            and any(getattr(v, "name", None) == "bfloat16" for v in op.attrs.values())]
