"""smopt-optimize --allow_compression: compression within an accuracy budget.

Every model is compressed by the command as a user runs it; the test then measures the
output change against the original with TensorFlow on held-out inputs (other seeds than the
search's) and checks it stays within the budget, that the model shrinks, and that a model
that cannot meet its budget comes out uncompressed with a message.
"""
import json
import os

import numpy as np
import pytest

from smopt.compiler import measure
from smopt.compiler.optimize import _tensor_proto_bytes, tfrecord
from tests import models_compression as MC
from smopt.tools.smopt_optimize import main

BUDGET = 0.01


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("compression")
    cache = {}

    def get(name):
        if name not in cache:
            cache[name] = MC.build(name, str(root / name))
        return cache[name]
    return get


def _run(src, out, capsys, *flags):
    report = out + ".json"
    rc = main(["--input_model_dir", src, "--output_model_dir", out, "--allow_compression",
               "--report_json", report, *flags])
    err = capsys.readouterr().err
    assert rc == 0, err
    with open(report) as f:
        return json.load(f), err


def _held_out_error(name, src, out, seeds=(7, 8)):
    """Max-abs output change / max-abs output of `out` vs `src`, TF on inputs never searched on."""
    a, b = measure.Model(src), measure.Model(out)
    samples = {"serving_default": [MC.inputs(name, 64, s) for s in seeds]}
    return measure.output_error(a.run(samples), b.run(samples))


def _check_within_budget(name, src, out, rep, err):
    comp = rep["compression"]
    assert comp["kept"], err
    assert "smopt-optimize: compression (budget 0.01 max-abs output change / max-abs output)" in err
    assert "  compressed " in err
    held = _held_out_error(name, src, out)
    print(f"\n{name}: size {comp['before']['size']} -> {comp['after']['size']} "
          f"(x{comp['before']['size'] / comp['after']['size']:.2f}), error {comp['after']['error']:.4f} "
          f"(held-out by the test {held:.4f}), choices "
          f"{sorted((w['weight'], w['choice']) for w in comp['weights'])}")
    assert 0 < held <= BUDGET
    assert comp["after"]["error"] <= BUDGET
    assert measure.model_size(out) == comp["after"]["size"] < comp["before"]["size"] == measure.model_size(src)
    return comp


def test_lstm_classifier_within_budget(built, tmp_path, capsys):
    """A tf_keras Embedding + LSTM classifier, with the user's token ids as --sample_inputs
    (.npz): every weight is frozen into constants the Keras functions share."""
    src = built("lstm")
    samples = str(tmp_path / "tokens.npz")
    np.savez(samples, **MC.inputs("lstm", 32, 0))
    out = str(tmp_path / "lstm")
    rep, err = _run(src, out, capsys, "--sample_inputs", samples)
    comp = _check_within_budget("lstm", src, out, rep, err)
    assert "share-constants" in rep["pipeline"] and "freeze-variables" in rep["pipeline"]
    assert any(w["choice"] != "float32" for w in comp["weights"])


def test_cnn_within_budget(built, tmp_path, capsys):
    """A small CNN on generated inputs (no --sample_inputs); the latency check ran."""
    src = built("cnn")
    out = str(tmp_path / "cnn")
    rep, err = _run(src, out, capsys)
    comp = _check_within_budget("cnn", src, out, rep, err)
    assert set(comp["before"]["latency"]) == {"serving_default@1", "serving_default@8"}


def test_weight_dominated_mlp_shrinks_2x(built, tmp_path, capsys):
    """A 64-512-512-10 MLP: at least 2x smaller within the default budget."""
    src = built("mlp")
    out = str(tmp_path / "mlp")
    rep, err = _run(src, out, capsys)
    comp = _check_within_budget("mlp", src, out, rep, err)
    assert comp["before"]["size"] >= 2 * comp["after"]["size"]


def test_slower_model_is_left_uncompressed(built, tmp_path, capsys, monkeypatch):
    """The latency check: with no slowdown tolerated at all (a compressed model is never
    measured exactly as fast), the MLP comes out uncompressed, with the reason."""
    from smopt.compiler import compression
    monkeypatch.setattr(compression, "LATENCY_TOLERANCE", 0.0)
    monkeypatch.setattr(measure, "FRESH_ROUNDS", 1)   # each candidate is timed twice: keep it short
    src = built("mlp")
    out = str(tmp_path / "mlp_slow")
    rep, err = _run(src, out, capsys)
    assert not rep["compression"]["kept"] and rep["pipeline"] == "canonicalize,cse,dce,merge-functions"
    assert "the compressed model is slower than the original by more than" in err
    assert _held_out_error("mlp", src, out) == 0.0


def test_budget_that_cannot_be_met_leaves_the_model_unchanged(built, tmp_path, capsys):
    """Budget 0: every compression changes some output, so none is kept: the model is
    written as the cleanups leave it (bit-identical outputs), with the reason on stderr."""
    src = built("cnn")
    out = str(tmp_path / "cnn0")
    rep, err = _run(src, out, capsys, "--compression_accuracy_budget=0")
    comp = rep["compression"]
    assert not comp["kept"]
    assert "  no weight can be compressed within the budget (0 max-abs output change relative to the max-abs " \
           "output)" in err
    assert rep["pipeline"] == "canonicalize,cse,dce,merge-functions"
    assert _held_out_error("cnn", src, out) == 0.0


def test_wide_deep_with_lookup_tables_compresses(tmp_path, capsys):
    """Wide & Deep captures static lookup tables (rebuilt by their initializers at load, not
    stored in the checkpoint): its variables still freeze and leave the checkpoint, so the
    weights compress; lookups on held-out strings keep working within the budget."""
    from smopt.compiler import measure as M
    from tests import models_runtime as MR
    src = MR.build("wide_deep", str(tmp_path / "wd"))
    out = str(tmp_path / "wd_out")
    rep, err = _run(src, out, capsys)
    comp = rep["compression"]
    assert comp["kept"], err
    assert comp["after"]["size"] * 1.8 < comp["before"]["size"], comp
    samples = {"serving_default": [MR.inputs("wide_deep", 32, s) for s in (7, 8)]}
    held = M.output_error(M.Model(src).run(samples), M.Model(out).run(samples))
    assert 0 < held <= BUDGET, held


def _build_mutable_table_model(path):
    """A dense layer after a MutableHashTable lookup: the table's contents live in the
    checkpoint, so the model must keep its variables."""
    import tensorflow as tf
    rng = np.random.default_rng(0)

    class M(tf.Module):
        def __init__(self):
            self.table = tf.lookup.experimental.MutableHashTable(tf.string, tf.int64, default_value=0)
            self.table.insert(tf.constant(["a", "b", "c"]), tf.constant([1, 2, 3], tf.int64))
            self.w = tf.Variable(rng.normal(size=(4, 64)).astype(np.float32))
            self.v = tf.Variable(rng.normal(size=(64, 32)).astype(np.float32))

        @tf.function(input_signature=[tf.TensorSpec([None], tf.string), tf.TensorSpec([None, 4], tf.float32)])
        def serve(self, key, x):
            k = tf.cast(self.table.lookup(key), tf.float32)[:, None]
            return {"y": tf.matmul(tf.nn.relu(tf.matmul(x, self.w) + k), self.v)}

    m = M()
    tf.saved_model.save(m, path, signatures={"serving_default": m.serve})
    return path


def test_model_keeping_its_variables_is_left_uncompressed(tmp_path, capsys):
    """A MutableHashTable's contents are checkpoint state: freezing keeps every variable
    stored and constants could only add bytes, so there is no search, just a message."""
    src = _build_mutable_table_model(str(tmp_path / "mt"))
    out = str(tmp_path / "mt_out")
    feed = {"key": np.array([b"a", b"c", b"z"]), "x": np.ones((3, 4), np.float32)}
    rep, err = _run(src, out, capsys, "--sample_inputs", _npz(tmp_path, feed))
    assert not rep["compression"]["kept"] and "evaluations" not in rep["compression"]
    assert "variables cannot become constants" in err and "left uncompressed" in err
    a = measure.Model(src).run({"serving_default": [feed]})
    b = measure.Model(out).run({"serving_default": [feed]})
    assert measure.output_error(a, b) == 0.0


def _npz(tmp_path, feed):
    path = str(tmp_path / "samples.npz")
    np.savez(path, **feed)
    return path


def test_representative_dataset_sample_inputs(built, tmp_path, capsys):
    """--sample_inputs as a TFRecord of RepresentativeDataSample (what the quantization
    pipeline reads): one batch per record."""
    from smopt.compiler import tfproto
    src = built("mlp")
    cls = tfproto.message("tensorflow.quantization.RepresentativeDataSample")
    records = []
    for seed in range(4):
        msg = cls()
        msg.tensor_proto_inputs["x"].ParseFromString(_tensor_proto_bytes(MC.inputs("mlp", 8, seed)["x"]))
        records.append(msg.SerializeToString())
    path = tmp_path / "samples.tfrecord"
    path.write_bytes(tfrecord(records))
    from smopt.compiler.importer import import_saved_model
    got = measure.sample_inputs(import_saved_model(src), str(path))
    assert list(got) == ["serving_default"] and len(got["serving_default"]) == 4
    np.testing.assert_array_equal(got["serving_default"][2]["x"], MC.inputs("mlp", 8, 2)["x"])
    out = str(tmp_path / "mlp_rep")
    rep, err = _run(src, out, capsys, "--sample_inputs", str(path), "--compression_accuracy_budget=0.02")
    assert rep["compression"]["kept"] and rep["compression"]["after"]["error"] <= 0.02


def test_bad_budget(built, tmp_path, capsys):
    src = built("mlp")
    for value in ("-0.1", "nan"):
        assert main(["--input_model_dir", src, "--output_model_dir", str(tmp_path / "o"), "--allow_compression",
                     f"--compression_accuracy_budget={value}"]) == 1
        err = capsys.readouterr().err.strip().splitlines()
        assert err == [f"smopt-optimize: error: --compression_accuracy_budget must be a non-negative number, "
                       f"got {float(value):g}"], err
    assert not (tmp_path / "o").exists()


def test_output_error_metric():
    a = {"s": [{"p": np.array([[1.0, -4.0]], np.float32), "c": np.array([1, 2])}]}
    same = {"s": [{"p": np.array([[1.0, -4.0]], np.float32), "c": np.array([1, 2])}]}
    assert measure.output_error(a, same) == 0.0
    b = {"s": [{"p": np.array([[1.2, -4.0]], np.float32), "c": np.array([1, 2])}]}
    assert measure.output_error(a, b) == pytest.approx(0.05, rel=1e-5)   # 0.2 / 4
    c = {"s": [{"p": np.array([[1.0, -4.0]], np.float32), "c": np.array([1, 3])}]}
    assert measure.output_error(a, c) == 0.5                             # half the class ids differ
    d = {"s": [{"p": np.array([[np.nan, -4.0]], np.float32), "c": np.array([1, 2])}]}
    assert measure.output_error(a, d) == float("inf")


def test_sample_inputs_generated_from_the_signature():
    from smopt.compiler.importer import import_saved_model  # noqa: F401 - the signature types
    from smopt.ir import types as T
    from smopt.ir.core import Signature
    sig = Signature("s", "f", inputs=[("ids", "ids:0", T.TensorType(T.int32, [-1, -1])),
                                      ("text", "text:0", T.TensorType(T.string, [-1])),
                                      ("x", "x:0", T.TensorType(T.float32, [-1, 3]))])
    got = measure.generate(sig, 5, seed=1)
    assert got["ids"].shape == (5, measure.OTHER_DIM) and got["ids"].min() >= 0 and got["ids"].max() < measure.INT_HIGH
    assert got["text"].shape == (5,) and set(got["text"]) <= set(measure.SAMPLE_STRINGS)
    assert got["x"].dtype == np.float32 and got["x"].shape == (5, 3)
    unknown = Signature("u", "f", inputs=[("h", "h:0", T.TensorType(T.float32, None))])
    assert measure.generate(unknown, 2) is None


def test_tf_keras_model_with_batch_norm_compresses(tmp_path, capsys):
    """tf_keras exports training-mode layer calls (batch-norm updates write the moving
    statistics) beside the serving traces; they would keep every BN variable stored. The
    compressed model drops them (serving signatures only, as TF's quantizer), freezes all
    variables (the compiled model's optimizer and metric variables go too), loads in TensorFlow and stays within budget on held-out inputs."""
    import tensorflow as tf
    import tf_keras
    tf_keras.utils.set_random_seed(0)
    model = tf_keras.Sequential([
        tf_keras.layers.Input((16, 16, 3)),
        tf_keras.layers.Conv2D(32, 3, activation="relu"),
        tf_keras.layers.BatchNormalization(),
        tf_keras.layers.Flatten(),
        tf_keras.layers.Dense(64, activation="relu"),
        tf_keras.layers.Dense(10),
    ])
    model.compile(optimizer=tf_keras.optimizers.SGD(0.0), loss="mse")
    x = np.random.default_rng(0).normal(size=(32, 16, 16, 3)).astype(np.float32)
    model.fit(x, np.zeros((32, 10), np.float32), epochs=1, verbose=0)   # BN statistics from data
    src = str(tmp_path / "keras_bn")
    model.save(src, save_format="tf")
    out = str(tmp_path / "keras_bn_out")
    rep, err = _run(src, out, capsys)
    comp = rep["compression"]
    assert comp["kept"], err
    assert comp["stages"][0] == "symbol-dce{keep-exported=false}", comp["stages"]
    assert comp["after"]["size"] * 2 < comp["before"]["size"], comp
    loaded = tf.saved_model.load(out)
    assert not loaded.signatures["serving_default"].variables   # every weight is a constant now
    a, b = measure.Model(src), measure.Model(out)
    key = next(iter(a.fn("serving_default").structured_input_signature[1]))
    held = [{key: np.random.default_rng(s).normal(size=(8, 16, 16, 3)).astype(np.float32)} for s in (7, 8)]
    err_held = measure.output_error(a.run({"serving_default": held}), b.run({"serving_default": held}))
    assert 0 < err_held <= BUDGET, err_held
