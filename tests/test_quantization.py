"""Post-training quantization: representative datasets, calibration, the quantize pass,
conversion end to end (export, run in TF on CPU, compare with the float model) and bad inputs.

Models (tests/models_quant.py): a tf.nn CNN (Conv2D+BiasAdd+Relu, strided Conv2D+Relu6,
DepthwiseConv2dNative, MatMul) and a Keras Dense MLP. Representative datasets are written with
TensorFlow's `tf.quantization.experimental.TfRecordRepresentativeDatasetSaver`.

Variables: as in TensorFlow's quantizer, `freeze_all_variables` defaults to true, so the
converted models hold their (int8) weights as constants and no variables; the variable path
(int8 checkpoint entries restored by the retyped restore function) is tested with
`freeze_all_variables: false`.

Stated error bounds (outputs of magnitude ~1-2, inputs like the calibration data), relative
to max|float output|: max-abs error <= 5% and mean-abs error <= 1.5% for every method; the
integer arithmetic itself is checked exactly against an independent numpy/TF re-computation.
"""
import json
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import models_quant as mq  # noqa: E402
from conftest import run_cli  # noqa: E402

from smopt.compiler.errors import SmoptError  # noqa: E402

METHODS = {
    "static_range": "METHOD_STATIC_RANGE_INT8",
    "dynamic_range": "METHOD_DYNAMIC_RANGE_INT8",
    "weight_only": "METHOD_STATIC_RANGE_WEIGHT_ONLY_INT8",
}
N_CALIBRATION = 32



def _quantize_pass(pm):
    """The `quantize` pass of a pipeline run (freeze-variables runs before it)."""
    return next(p for p in pm.passes if p.name == "quantize")

def _tf():
    import tensorflow as tf
    return tf


def qopts_text(dataset=None, method=None, extra=""):
    parts = ['signature_keys: "serving_default"']
    if method:
        parts.append(f"quantization_method {{ preset_method: {method} }}")
    if dataset:
        parts.append('representative_datasets { key: "serving_default" value { tfrecord_file_path: "%s" } }'
                     % dataset)
    return " ".join(parts) + " " + extra


def converter_options(dataset=None, method=None, extra=""):
    return "external_feature_configs { quantization_options { %s } }" % qopts_text(dataset, method, extra)


# ---- fixtures -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def qdir(tmp_path_factory):
    return tmp_path_factory.mktemp("quant")


@pytest.fixture(scope="module")
def cnn(qdir):
    path = str(qdir / "cnn")
    mq.build_cnn(path)
    ds = mq.write_dataset(str(qdir / "cnn.tfrecord"), mq.cnn_samples(N_CALIBRATION, batch=4))
    return path, ds


@pytest.fixture(scope="module")
def mlp(qdir):
    path = str(qdir / "mlp")
    mq.build_mlp(path)
    key = mq.signature_input_key(path)
    ds = mq.write_dataset(str(qdir / "mlp.tfrecord"), mq.mlp_samples(N_CALIBRATION, batch=4, key=key))
    return path, ds


@pytest.fixture(scope="module")
def converted(qdir, cnn, mlp):
    """converted(model, method, freeze=True) -> output dir (converted once per module)."""
    from smopt.compiler.convert import convert
    cache = {}
    models = {"cnn": cnn, "mlp": mlp}

    def get(model, method, freeze=True):
        if (model, method, freeze) not in cache:
            src, ds = models[model]
            out = str(qdir / f"{model}_{method}{'' if freeze else '_vars'}")
            extra = "" if freeze else "freeze_all_variables: false"
            convert(src, out, converter_options(ds, METHODS[method], extra), target="cpu")
            cache[(model, method, freeze)] = out
        return cache[(model, method, freeze)]

    return get


def _test_inputs(model, path):
    if model == "cnn":
        return mq.cnn_samples(1, seed=7, batch=6)[0]
    return mq.mlp_samples(1, seed=7, batch=6, key=mq.signature_input_key(path))[0]


# ---- representative datasets ----------------------------------------------------------------
def test_saver_exists_and_dataset_round_trips(tmp_path):
    tf = _tf()
    assert hasattr(tf.quantization.experimental, "TfRecordRepresentativeDatasetSaver")
    from smopt.compiler.calibration import load_dataset, read_tfrecord
    rng = np.random.default_rng(0)
    samples = [{"x": rng.standard_normal((2, 3)).astype(np.float32),
                "n": np.array([i, i + 1], np.int64)} for i in range(5)]
    path = mq.write_dataset(str(tmp_path / "d.tfrecord"), samples)
    assert len(read_tfrecord(path)) == sum(1 for _ in tf.data.TFRecordDataset(path)) == 5
    got = load_dataset(path)
    assert len(got) == 5
    for want, have in zip(samples, got):
        assert set(have) == {"x", "n"}
        for k in want:
            assert have[k].dtype == want[k].dtype and np.array_equal(have[k], want[k])


# ---- calibration ----------------------------------------------------------------------------
def _cnn_weights(path):
    r = _tf().train.load_checkpoint(os.path.join(path, "variables", "variables"))
    return {k.split("/")[0]: r.get_tensor(k) for k in r.get_variable_to_shape_map() if "VARIABLE_VALUE" in k}


def _cnn_intermediates(path, images):
    """Inputs of the four quantizable CNN ops, computed with tf.nn from the checkpoint."""
    tf = _tf()
    w = _cnn_weights(path)
    x = tf.constant(images)
    h1 = tf.nn.relu(tf.nn.bias_add(tf.nn.conv2d(x, w["k1"], 1, "SAME"), w["b1"]))
    h2 = tf.nn.relu6(tf.nn.bias_add(tf.nn.conv2d(h1, w["k2"], 2, "SAME"), w["b2"]))
    h3 = tf.reduce_mean(tf.nn.depthwise_conv2d(h2, w["dw"], [1, 1, 1, 1], "SAME"), axis=[1, 2])
    return {"Conv2D": images, "Conv2D_1": h1.numpy(), "depthwise": h2.numpy(), "MatMul": h3.numpy()}


@pytest.mark.parametrize("method", ["min_max", "average_min_max"])
def test_calibration_records_activation_ranges(cnn, tmp_path, method):
    from smopt.compiler.calibration import calibrate, load_dataset
    path, ds = cnn
    samples = load_dataset(ds)
    stats = calibrate(path, {"serving_default": samples}, str(tmp_path / "stats.json"), method=method)
    assert json.load(open(tmp_path / "stats.json")) == stats
    assert stats["num_samples"] == {"serving_default": N_CALIBRATION}
    (fn_name, entries), = [(f, e) for f, e in stats["functions"].items() if "serve" in f]
    assert set(entries) == {"Conv2D", "Conv2D_1", "depthwise", "MatMul"}
    per_sample = [_cnn_intermediates(path, s["image"]) for s in samples]
    for node, e in entries.items():
        los = [float(p[node].min()) for p in per_sample]
        his = [float(p[node].max()) for p in per_sample]
        lo, hi = (min(los), max(his)) if method == "min_max" else (np.mean(los), np.mean(his))
        assert e["count"] == N_CALIBRATION
        assert e["min"] == pytest.approx(lo, rel=1e-5, abs=1e-6), node
        assert e["max"] == pytest.approx(hi, rel=1e-5, abs=1e-6), node
        # per-channel means over every axis but the last (channels), for bias correction
        allv = np.concatenate([p[node].reshape(-1, p[node].shape[-1]) for p in per_sample])
        np.testing.assert_allclose(e["mean"], allv.mean(axis=0), rtol=1e-4, atol=1e-6, err_msg=node)
    assert entries["Conv2D"]["op"] == "Conv2D" and entries["depthwise"]["op"] == "DepthwiseConv2dNative"


def _control_flow_model(path):
    """MatMuls with constant weights in both tf.cond branches and in a tf.while_loop body."""
    tf = _tf()
    rng = np.random.default_rng(0)
    w1, w2 = (rng.standard_normal((8, 40)).astype(np.float32) for _ in range(2))
    w3 = (rng.standard_normal((40, 40)) * 0.15).astype(np.float32)

    class M(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, 8], tf.float32, name="x")])
        def serve(self, x):
            y = tf.cond(tf.reduce_sum(x) > 0, lambda: tf.matmul(x, w1), lambda: tf.matmul(x, w2) * 2.0)
            _, z = tf.while_loop(lambda i, h: i < 3, lambda i, h: (i + 1, tf.nn.relu(tf.matmul(h, w3))),
                                 [tf.constant(0), y])
            return {"y": y, "z": z}

    m = M()
    tf.saved_model.save(m, path, signatures={"serving_default": m.serve})


def test_calibration_reaches_cond_branches_and_loop_bodies(tmp_path):
    from smopt.compiler.calibration import calibrate, load_dataset
    from smopt.compiler.convert import convert
    src = str(tmp_path / "cf")
    _control_flow_model(src)
    rng = np.random.default_rng(1)
    samples = [{"x": (rng.standard_normal((4, 8)) * 2 + (1 if i % 2 else -1)).astype(np.float32)}
               for i in range(16)]
    ds = mq.write_dataset(str(tmp_path / "cf.tfrecord"), samples)
    stats = calibrate(src, {"serving_default": load_dataset(ds)}, str(tmp_path / "s.json"))
    counts = sorted((f.split("_")[0] + "_" + f.split("_")[1], e["count"])
                    for f, entries in stats["functions"].items() for e in entries.values())
    taken = sum(float(s["x"].sum()) > 0 for s in samples)
    assert counts == sorted([("cond_true", taken), ("cond_false", 16 - taken), ("while_body", 16 * 3)])
    out = str(tmp_path / "cf_q")
    _, pm = convert(src, out, converter_options(ds), target="cpu")
    q = _quantize_pass(pm)
    assert q.stats["num-quantized"] == 3 and q.stats["num-skipped-no-stats"] == 0
    # One static range covers all three loop iterations (and their growing values) and the
    # error compounds through them: the bound for z is looser than for y.
    for s in samples[:4]:
        want, got = mq.run_signature(src, s), mq.run_signature(out, s)
        for k, bound in (("y", 0.05), ("z", 0.12)):
            assert np.abs(got[k] - want[k]).max() <= bound * np.abs(want[k]).max(), k


# ---- the pass on a lifted model -------------------------------------------------------------
def test_sites_and_ir_of_static_range(cnn, tmp_path):
    from smopt.compiler.importer import import_saved_model
    from smopt.compiler.quantization_driver import quantization_pipeline
    from smopt.ir import print_module, verify
    from smopt.ir import types as T
    from smopt.passes.quantize import quantizable_sites
    from smopt.passes.framework.registry import parse_pipeline
    from smopt.compiler.pass_manager import PassManager
    path, ds = cnn
    module = import_saved_model(path)
    assert sorted(s.op.type for s in quantizable_sites(module)) == \
        ["Conv2D", "Conv2D", "DepthwiseConv2dNative", "MatMul"]
    text = quantization_pipeline(path, module, qopts_text(ds), str(tmp_path))
    assert text == (f"freeze-variables,quantize{{method=static_range calibration={tmp_path}/quantization/"
                    "stats.json signature-keys=serving_default min-num-elements=0 per-channel=true},"
                    "merge-functions")
    # freeze_all_variables: false keeps the variables (int8 where quantized)
    text = quantization_pipeline(path, module, qopts_text(ds, extra="freeze_all_variables: false"),
                                 str(tmp_path))
    assert text == (f"quantize{{method=static_range calibration={tmp_path}/quantization/stats.json "
                    "signature-keys=serving_default min-num-elements=0 per-channel=true},merge-functions")
    pm = PassManager(parse_pipeline(text))
    pm.run(module)
    verify(module)
    stats = _quantize_pass(pm).stats
    assert stats["num-quantized"] == 4 and stats["num-int8-variables"] == 4
    kinds = {v.name: v.type for v in module.variables}
    for name in ("conv1/kernel", "conv2/kernel", "dw/kernel", "head/kernel"):
        assert isinstance(kinds[name].element, T.QuantizedType) and kinds[name].dtype is T.int8
        assert kinds[name].element.axis == (2 if name == "dw/kernel" else len(kinds[name].shape) - 1)
    assert kinds["conv1/bias"].element is T.float32
    text = print_module(module)
    assert text.count('smopt.quantized = "static_range"') == 4
    assert '"tf.BatchMatMulV3"' in text and "Tout = i32" in text and "T = i32" in text


# ---- end to end ---------------------------------------------------------------------------
@pytest.mark.parametrize("model", ["cnn", "mlp"])
@pytest.mark.parametrize("method", list(METHODS))
def test_convert_runs_in_tf_within_bounds(converted, cnn, mlp, model, method):
    src = {"cnn": cnn, "mlp": mlp}[model][0]
    out = converted(model, method)
    x = _test_inputs(model, src)
    want, got = mq.run_signature(src, x), mq.run_signature(out, x)
    assert set(want) == set(got)
    for k in want:
        assert got[k].dtype == want[k].dtype and got[k].shape == want[k].shape
        err = np.abs(got[k] - want[k])
        scale = np.abs(want[k]).max()
        assert err.max() <= 0.05 * scale, (k, err.max(), scale)
        assert err.mean() <= 0.015 * scale, (k, err.mean(), scale)
        assert err.max() > 0  # something was quantized
    # Frozen (the default): no variables are left, the weights are int8 constants. CNN: 4
    # weights, the 864-element conv1 kernel only for static range (TF ignores
    # min_num_elements_for_weights there); MLP: 3, the 640-element head kernel only for
    # static range. The whole model (saved_model.pb + variables/) shrinks >= 2.5x.
    r = _tf().train.load_checkpoint(os.path.join(out, "variables", "variables"))
    assert set(r.get_variable_to_shape_map()) == {"_CHECKPOINTABLE_OBJECT_GRAPH"}
    mg = mq.meta_graph(out)
    assert not mg.HasField("saver_def")
    assert not any(n.op == "VarHandleOp" for n in mg.graph_def.node)
    int8 = [n.name for f in mg.graph_def.library.function for n in f.node_def
            if n.op == "Const" and n.attr["value"].tensor.dtype == 6]  # DT_INT8
    want = {("cnn", "static_range"): 4, ("mlp", "static_range"): 3}.get((model, method), 3 if model == "cnn" else 2)
    assert len(int8) == want, int8
    ratio = mq.model_bytes(src) / mq.model_bytes(out)
    assert ratio >= 2.5, ratio


@pytest.mark.parametrize("model", ["cnn", "mlp"])
@pytest.mark.parametrize("method", list(METHODS))
def test_convert_keeps_int8_variables_without_freezing(converted, cnn, mlp, model, method):
    """freeze_all_variables: false: quantized weights stay variables, stored as int8
    (variables/ shrinks >= 3x). Outputs equal the frozen conversion's exactly, except for
    static range, where only the frozen model's biases are constants: they are bias-corrected
    and folded into the int32 accumulator there, so the two differ (each within the float
    bounds of test_convert_runs_in_tf_within_bounds)."""
    src = {"cnn": cnn, "mlp": mlp}[model][0]
    out = converted(model, method, freeze=False)
    ratio = mq.variables_bytes(src) / mq.variables_bytes(out)
    assert ratio >= 3.0, ratio
    r = _tf().train.load_checkpoint(os.path.join(out, "variables", "variables"))
    dtypes = {k: v.name for k, v in r.get_variable_to_dtype_map().items() if "VARIABLE_VALUE" in k}
    # MLP: Keras lists each weight twice (two checkpoint entries, one graph handle).
    want = {("cnn", "static_range"): 4, ("mlp", "static_range"): 6}.get((model, method), 3 if model == "cnn" else 4)
    assert sum(d == "int8" for d in dtypes.values()) == want, dtypes
    assert mq.meta_graph(out).HasField("saver_def")
    x = _test_inputs(model, src)
    frozen, kept = mq.run_signature(converted(model, method), x), mq.run_signature(out, x)
    for k in frozen:
        if method == "static_range":
            want = mq.run_signature(src, x)[k]
            err, scale = np.abs(kept[k] - want), float(np.abs(want).max())
            assert err.max() <= 0.05 * scale and err.mean() <= 0.015 * scale, (k, err.max(), err.mean())
            assert np.abs(frozen[k] - kept[k]).max() > 0, "biases were not folded"
        else:
            assert np.array_equal(frozen[k], kept[k]), k


@pytest.mark.parametrize("freeze", [False, True])
def test_tf1_session_loader_runs_the_converted_model(converted, mlp, freeze):
    """TF Serving's path. With variables, the graph's restore op runs the (retyped)
    __traced_restore function; frozen, there is no saver and the loader skips the restore."""
    tf = _tf()
    src, _ = mlp
    out = converted("mlp", "static_range", freeze=freeze)
    x = _test_inputs("mlp", src)
    g = tf.Graph()
    with g.as_default(), tf.compat.v1.Session(graph=g) as sess:
        mg = tf.compat.v1.saved_model.load(sess, ["serve"], out)
        sig = mg.signature_def["serving_default"]
        (inp,), (outp,) = sig.inputs.values(), sig.outputs.values()
        y1 = sess.run(outp.name, {inp.name: next(iter(x.values()))})
    y2 = next(iter(mq.run_signature(out, x).values()))
    assert np.array_equal(y1, y2)


def test_dynamic_range_adapts_to_inputs_outside_calibration(converted, cnn):
    """Inputs 8x larger than the representative data: static range clips at the calibrated
    range, dynamic range measures each input."""
    src, _ = cnn
    x = {"image": _test_inputs("cnn", src)["image"] * 8.0}
    want = mq.run_signature(src, x)["logits"]
    err = {m: np.abs(mq.run_signature(converted("cnn", m), x)["logits"] - want).max() for m in
           ("static_range", "dynamic_range")}
    assert err["dynamic_range"] < 0.05 * np.abs(want).max()
    assert err["static_range"] > 3 * err["dynamic_range"], err


def test_dynamic_range_rows_do_not_depend_on_their_batch(converted, cnn, mlp):
    """Dynamic range measures each MatMul row / each convolution example: adding an input 8x
    larger to the batch leaves the other inputs' results as they were (one range per tensor
    would coarsen every row's quantization)."""
    for model, (src, _) in (("mlp", mlp), ("cnn", cnn)):
        out = converted(model, "dynamic_range")
        x = _test_inputs(model, src)
        (key, v), = x.items()
        mixed = {key: np.concatenate([v, v[:1] * 8.0])}
        alone, together = mq.run_signature(out, x), mq.run_signature(out, mixed)
        for k in alone:
            np.testing.assert_allclose(together[k][:len(v)], alone[k], rtol=1e-6,
                                       atol=1e-6 * np.abs(alone[k]).max(), err_msg=(model, k))


@pytest.mark.parametrize("model", ["cnn", "mlp"])
def test_bias_correction_and_balanced_rounding_remove_channel_bias(cnn, mlp, model, tmp_path):
    """Static range on a real model: the mean output error of each channel over held-out inputs
    (what rounding the weights shifts systematically) is at most half of what plain rounding
    without bias correction leaves, and the mean-abs error is lower."""
    from smopt.compiler.calibration import calibrate, load_dataset
    from smopt.compiler.exporter import export_saved_model
    from smopt.compiler.importer import import_saved_model
    from smopt.compiler.pass_manager import PassManager
    from smopt.passes.framework.registry import parse_pipeline
    src, ds = {"cnn": cnn, "mlp": mlp}[model]
    stats = str(tmp_path / "stats.json")
    calibrate(src, {"serving_default": load_dataset(ds)}, stats)
    x = (mq.cnn_samples(1, seed=11, batch=512) if model == "cnn" else
         mq.mlp_samples(1, seed=11, batch=512, key=mq.signature_input_key(src)))[0]
    (key, want), = mq.run_signature(src, x).items()
    errors = {}
    for on in ("true", "false"):
        module = import_saved_model(src)
        pm = PassManager(parse_pipeline(f"freeze-variables,quantize{{method=static_range calibration={stats} "
                                        f"min-num-elements=0 bias-correction={on} balanced-rounding={on}}}"))
        pm.run(module)
        if on == "true":
            assert _quantize_pass(pm).stats["num-bias-corrected"] >= 2
        out = str(tmp_path / f"q_{on}")
        export_saved_model(module, out)
        errors[on] = mq.run_signature(out, x)[key] - want
    channel_bias = {k: float(np.sqrt((e.reshape(-1, e.shape[-1]).mean(axis=0) ** 2).mean())) for k, e in errors.items()}
    mean_abs = {k: float(np.abs(e).mean()) for k, e in errors.items()}
    assert channel_bias["true"] <= 0.5 * channel_bias["false"], channel_bias
    assert mean_abs["true"] < mean_abs["false"], mean_abs


def _tiny_model(path):
    """Conv2D (SAME) + bias + relu -> flatten -> MatMul, for the exactness check."""
    tf = _tf()
    rng = np.random.default_rng(3)

    class Tiny(tf.Module):
        def __init__(self):
            super().__init__()
            self.k = tf.Variable(rng.standard_normal((3, 3, 2, 4)).astype(np.float32) * 0.5, name="k")
            self.b = tf.Variable(rng.standard_normal(4).astype(np.float32) * 0.1, name="b")
            self.w = tf.Variable(rng.standard_normal((144, 5)).astype(np.float32) * 0.1, name="w")

        @tf.function(input_signature=[tf.TensorSpec([None, 6, 6, 2], tf.float32, name="x")])
        def serve(self, x):
            h = tf.nn.relu(tf.nn.bias_add(tf.nn.conv2d(x, self.k, 1, "SAME"), self.b))
            return {"y": tf.matmul(tf.reshape(h, [-1, 144]), self.w)}

    m = Tiny()
    tf.saved_model.save(m, path, signatures={"serving_default": m.serve})
    return {"k": m.k.numpy(), "b": m.b.numpy(), "w": m.w.numpy()}


def _ref_weight(w, axis):
    red = tuple(i for i in range(w.ndim) if i != axis)
    s = (np.abs(w).max(axis=red) / 127).astype(np.float32)
    shape = [1] * w.ndim
    shape[axis] = -1
    return np.clip(np.round(w / s.reshape(shape)), -127, 127).astype(np.int8), s


def _ref_balanced(w, axis):
    """`_ref_weight`, then per output channel: while the rounding errors sum to n >= 1 step
    (or <= -1), move the element rounded furthest that way to its other neighbour."""
    q, s = _ref_weight(w, axis)
    q = np.moveaxis(q.astype(np.int32), axis, -1).copy()
    r = np.moveaxis(w / s.reshape([-1 if i == axis else 1 for i in range(w.ndim)]), axis, -1)
    for c in range(q.shape[-1]):
        col_q, col_r = q[..., c].reshape(-1), r[..., c].reshape(-1)
        n = int(np.rint((col_q - col_r).sum()))
        for _ in range(abs(n)):
            e = col_q - col_r
            i = int(np.argmax(e)) if n > 0 else int(np.argmin(e))
            col_q[i] += -1 if n > 0 else 1
        q[..., c] = col_q.reshape(q[..., c].shape)
    return np.moveaxis(q, -1, axis).astype(np.int8), s


def _ref_act(lo, hi):
    lo, hi = min(float(lo), 0.0), max(float(hi), 0.0)
    s = np.float32((hi - lo) / 255)
    return s, int(np.clip(np.round(-128 - lo / float(s)), -128, 127))


def test_static_range_integer_arithmetic_is_exact(tmp_path):
    """The converted model computes exactly: int8 activation/weight products summed in
    integers, rescaled by scale_x * scale_w (re-computed here independently). The MatMul's
    activation is a (reshaped) Relu output, never negative: its weight has balanced rounding."""
    tf = _tf()
    from smopt.compiler.convert import convert
    src = str(tmp_path / "tiny")
    w = _tiny_model(src)
    rng = np.random.default_rng(4)
    samples = [{"x": rng.uniform(-1, 2, (2, 6, 6, 2)).astype(np.float32)} for _ in range(4)]
    ds = mq.write_dataset(str(tmp_path / "tiny.tfrecord"), samples)
    out = str(tmp_path / "tiny_q")
    convert(src, out, converter_options(ds, extra="freeze_all_variables: false"), target="cpu")
    # Independent re-computation, calibration ranges included.
    xs = np.concatenate([s["x"] for s in samples])
    kq, ks = _ref_weight(w["k"], 3)
    wq, ws = _ref_balanced(w["w"], 1)
    assert not np.array_equal(wq, _ref_weight(w["w"], 1)[0])   # balancing moved some elements
    r = tf.train.load_checkpoint(os.path.join(out, "variables", "variables"))
    stored = {k.split("/")[0]: r.get_tensor(k) for k in r.get_variable_to_shape_map() if "VARIABLE_VALUE" in k}
    assert stored["k"].dtype == np.int8 and np.array_equal(stored["k"], kq)
    assert stored["w"].dtype == np.int8 and np.array_equal(stored["w"], wq)

    def quant(a, s, z):
        return np.clip(np.round(a / s) + z, -128, 127).astype(np.int8)

    def conv_int(a):  # exact integer convolution (float64 holds these sums exactly)
        return tf.nn.conv2d(tf.constant(a.astype(np.float64)), tf.constant(kq.astype(np.float64)),
                            1, "SAME").numpy()

    def hidden(x, s1, z1):
        acc = conv_int(quant(x, s1, z1).astype(np.int32) - z1)
        h = acc.astype(np.float32) * (s1 * ks).astype(np.float32)
        return np.maximum(h + w["b"], 0).reshape(-1, 144)

    s1, z1 = _ref_act(xs.min(), xs.max())
    # Calibration runs the float model: the MatMul's range is that of the float hidden layer.
    hf = tf.nn.relu(tf.nn.bias_add(tf.nn.conv2d(xs, w["k"], 1, "SAME"), w["b"])).numpy()
    s2, z2 = _ref_act(hf.min(), hf.max())
    x = rng.uniform(-1, 2, (3, 6, 6, 2)).astype(np.float32)
    h = hidden(x, s1, z1)
    acc = quant(h, s2, z2).astype(np.int64) @ wq.astype(np.int64) - z2 * wq.astype(np.int64).sum(0)
    want = acc.astype(np.float32) * (s2 * ws).astype(np.float32)
    got = mq.run_signature(out, {"x": x})["y"]
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6 * np.abs(want).max())


# ---- bad inputs ---------------------------------------------------------------------------
def _driver_error(path, text):
    from smopt.compiler.importer import import_saved_model
    from smopt.compiler.quantization_driver import quantization_pipeline
    with pytest.raises(SmoptError) as e:
        quantization_pipeline(path, import_saved_model(path), text)
    msg = str(e.value)
    assert "\n" not in msg
    return msg


def test_bad_inputs_give_one_clear_line(cnn, tmp_path):
    path, ds = cnn
    missing = str(tmp_path / "nope.tfrecord")
    msg = _driver_error(path, qopts_text(missing))
    assert missing in msg and "does not exist" in msg
    bad = tmp_path / "bad.tfrecord"
    bad.write_bytes(b"this is not a tfrecord file at all")
    msg = _driver_error(path, qopts_text(str(bad)))
    assert str(bad) in msg and "not a readable TFRecord" in msg
    wrong = mq.write_dataset(str(tmp_path / "wrong.tfrecord"), [{"pixels": np.zeros((1, 16, 16, 3), np.float32)}])
    msg = _driver_error(path, qopts_text(wrong))
    assert "['pixels']" in msg and "['image']" in msg and "serving_default" in msg
    msg = _driver_error(path, qopts_text(ds, "METHOD_NO_QUANTIZE"))
    assert "METHOD_NO_QUANTIZE is not supported" in msg
    msg = _driver_error(path, qopts_text(ds, "7"))
    assert "quantization method 7 is not supported" in msg
    msg = _driver_error(path, qopts_text(ds, extra="op_set: UNIFORM_QUANTIZED"))
    assert "op_set UNIFORM_QUANTIZED is not supported" in msg and "XLA" in msg
    msg = _driver_error(path, qopts_text(ds).replace('signature_keys: "serving_default"', 'signature_keys: "predict"'))
    assert "'predict'" in msg and "serving_default" in msg
    msg = _driver_error(path, qopts_text(None))
    assert "needs representative_datasets for signature 'serving_default'" in msg
    # Dynamic range and weight-only need no dataset.
    from smopt.compiler.importer import import_saved_model
    from smopt.compiler.quantization_driver import quantization_pipeline
    assert quantization_pipeline(path, import_saved_model(path), qopts_text(None, "METHOD_DYNAMIC_RANGE_INT8")) == \
        "freeze-variables,quantize{method=dynamic_range signature-keys=serving_default min-num-elements=1024 " \
        "per-channel=true},merge-functions"


def test_cli_reports_a_missing_tfrecord_in_one_line(cnn, tmp_path):
    path, _ = cnn
    out = tmp_path / "out"
    r = run_cli("smopt-convert", "--input_model_dir", path, "--output_model_dir", str(out),
                "--converter_options_string", converter_options(str(tmp_path / "gone.tfrecord")))
    assert r.returncode != 0
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    assert len(lines) == 1 and "gone.tfrecord" in lines[0] and "does not exist" in lines[0], r.stderr
    assert not out.exists()


def test_frozen_model_keeps_its_endpoints_and_reimports(converted, mlp, tmp_path):
    """Freezing rewrites the captures of exported functions (the object graph's bound_inputs):
    the Keras `serve` endpoint still runs, and smopt lifts its own output again. The two
    signature wrappers Keras writes are merged into one function that both signatures call."""
    tf = _tf()
    from smopt.compiler.importer import import_saved_model
    src, _ = mlp
    out = converted("mlp", "weight_only")
    x = _test_inputs("mlp", src)
    loaded = tf.saved_model.load(out)
    via_endpoint = loaded.serve(tf.constant(next(iter(x.values())))).numpy()
    via_signature = next(iter(loaded.signatures["serving_default"](**{k: tf.constant(v) for k, v in x.items()})
                              .values())).numpy()
    assert np.array_equal(via_endpoint, via_signature)
    via_serve = next(iter(loaded.signatures["serve"](**{k: tf.constant(v) for k, v in x.items()}).values()))
    assert np.array_equal(via_serve.numpy(), via_signature)
    module = import_saved_model(out)
    assert module.variables == [] and set(module.signatures) == {"serve", "serving_default"}
    assert module.signatures["serve"].function == module.signatures["serving_default"].function
    before = import_saved_model(src)
    assert before.signatures["serve"].function != before.signatures["serving_default"].function
    from smopt.compiler.exporter import export_saved_model
    again = export_saved_model(module, str(tmp_path / "again"))
    assert np.array_equal(mq.run_signature(again, x)["output_0"], via_signature)
