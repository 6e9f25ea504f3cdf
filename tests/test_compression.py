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


def test_model_keeping_its_variables_is_left_uncompressed(tmp_path, capsys):
    """Wide & Deep holds lookup tables (state that stays in the checkpoint), so freezing keeps
    every variable stored and constants could only add bytes: no search, a message."""
    from tests import models_runtime as MR
    src = MR.build("wide_deep", str(tmp_path / "wd"))
    out = str(tmp_path / "wd_out")
    rep, err = _run(src, out, capsys)
    assert not rep["compression"]["kept"] and "evaluations" not in rep["compression"]
    assert "variables cannot become constants" in err and "left uncompressed" in err
    MR.assert_outputs_close(MR.run_serving(src, "wide_deep"), MR.run_serving(out, "wide_deep"), rtol=0.0)


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
