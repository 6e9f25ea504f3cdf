"""smopt-optimize --allow_precompilation: XLA clusters kept only where they measurably pay.

The decision logic on known timings (time_models replaced), the real measurement on an STFT
log-mel front-end (XLA fuses framing, FFT magnitude and mel arithmetic: 1.3-1.7x faster when
this shared machine is quiet), a model whose cluster XLA cannot compile (dropped, the warm-up
file still written), and --target_device gpu without a GPU (the documented cost model).
Outputs are checked against the original with TF.
"""
import json
import os

import numpy as np
import pytest

from smopt.compiler import measure, precompilation
from smopt.compiler.importer import import_saved_model
from smopt.tools.smopt_optimize import main


def _stft_model(path):
    import tensorflow as tf

    class Model(tf.Module):
        def __init__(self):
            super().__init__()
            self.mel = tf.constant(tf.signal.linear_to_mel_weight_matrix(40, 257, 16000, 20.0, 4000.0))

        @tf.function(input_signature=[tf.TensorSpec([None, 8000], tf.float32, name="audio")])
        def serve(self, audio):
            s = tf.abs(tf.signal.stft(audio, 400, 160, 512))
            return {"logmel": tf.math.log(tf.matmul(s * s, self.mel) + 1e-6)}

    m = Model()
    tf.saved_model.save(m, path, signatures={"serving_default": m.serve})
    return path


def _run(src, out, capsys, *flags):
    report = out + ".json"
    rc = main(["--input_model_dir", src, "--output_model_dir", out, "--allow_precompilation",
               "--report_json", report, *flags])
    err = capsys.readouterr().err
    assert rc == 0, err
    with open(report) as f:
        return json.load(f)["precompilation"], err


def _clusters(path):
    m = import_saved_model(path)
    return sorted(n for n, f in m.functions.items() if f.attrs.get("_XlaMustCompile") is True)


def test_measured_decision_on_an_stft_front_end(tmp_path, capsys):
    """The real measurement (timing on this shared machine is noisy, so the decision itself is
    checked by `test_decisions_follow_the_timings`): whatever is kept is in the output, the
    report's figures back the decision and the outputs match the original within 1e-4."""
    src = _stft_model(str(tmp_path / "stft"))
    out = str(tmp_path / "opt")
    rep, err = _run(src, out, capsys)
    print("\n" + precompilation.format_report(rep))
    assert rep["method"] == "measured" and "smopt-optimize: precompilation (measured, device cpu)" in err
    kept = [c["function"] for c in rep["clusters"] if c["kept"]]
    assert _clusters(out) == sorted(kept)
    assert set(rep["latency_without_clusters"]) == {"serving_default@1", "serving_default@8"}
    if kept:
        assert rep["speedup"] > 1 / precompilation.KEEP_GAIN and rep["error"] <= 1e-4
    else:
        assert "does not pay" in rep["message"] and rep["speedup"] == 1.0
    x = {"serving_default": [{"audio": np.random.default_rng(5).standard_normal((3, 8000)).astype(np.float32)}]}
    assert measure.output_error(measure.Model(src).run(x), measure.Model(out).run(x)) <= 1e-4


def _two_cluster_model(path):
    """Two clusters the signature runs, split by a string round trip XLA cannot compile."""
    import tensorflow as tf

    class Model(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, 8], tf.float32, name="x")])
        def serve(self, x):
            h = tf.tanh(x * 2.0 + 1.0) * tf.sigmoid(x) - 0.5
            back = tf.strings.to_number(tf.strings.as_string(tf.round(h * 100.0), precision=0)) / 100.0
            return {"y": tf.exp(-back * back) * 3.0 + tf.nn.relu(back - 0.1) * 2.0}

    m = Model()
    tf.saved_model.save(m, path, signatures={"serving_default": m.serve})
    return path


@pytest.mark.parametrize("effect, expect", [
    ({"with_clusters": 0.5, "without_0": 0.6, "without_1": 0.55}, "both"),     # each cluster pays
    ({"with_clusters": 0.5, "without_0": 0.4, "without_1": 0.55}, "second"),   # the first loses
    ({"with_clusters": 1.2, "without_0": 1.1, "without_1": 1.1}, "none"),      # compiling loses
    ({"with_clusters": 0.9, "without_0": 0.85, "without_1": 0.85}, "both"),    # lose alone, win together
    ({"with_clusters": 0.5, "without_0": 0.6, "without_1": 0.55,               # win side by side in one
      "fresh": {"with_clusters": 1.1}}, "none"),                               # process, lose served alone
    ({"with_clusters": 0.5, "without_0": 0.4, "without_1": 0.55,               # in one process the first
      "fresh": {"kept_clusters": 0.7}}, "both"),                               # loses; alone all win more
])
def test_decisions_follow_the_timings(tmp_path, capsys, monkeypatch, effect, expect):
    """The decision logic on timings where the answer is known: time_models (in one process)
    and time_fresh (fresh processes: the final choice) are replaced by ones that report each
    variant's latency as a factor of the model without clusters (the model keeping all but
    the first cluster is the `without_0` variant; "fresh" overrides in fresh processes)."""
    src = _two_cluster_model(str(tmp_path / "two"))

    def factor(path):
        tag = os.path.basename(path)[len("precompile_"):]
        return effect["without_0"] if tag == "kept_clusters" else effect.get(tag, 1.0)

    def fake(models, inputs, **kw):
        return [{k: np.full(15, 1e-3 * factor(m.path)) for k in inputs} for m in models]

    def fake_fresh(paths, inputs, workdir, **kw):
        fresh = effect.get("fresh", {})
        f = [fresh.get(os.path.basename(p)[len("precompile_"):], factor(p)) for p in paths]
        return [{k: np.full(3, 1e-3 * x) for k in inputs} for x in f], {}
    monkeypatch.setattr(measure, "time_models", fake)
    monkeypatch.setattr(measure, "time_fresh", fake_fresh)
    out = str(tmp_path / "opt")
    rep, _ = _run(src, out, capsys)
    monkeypatch.undo()
    names = [c["function"] for c in rep["clusters"]]
    assert len(names) == 2
    want = {"both": names, "second": names[1:], "none": []}[expect]
    assert [c["function"] for c in rep["clusters"] if c["kept"]] == want
    assert _clusters(out) == sorted(want)
    x = {"serving_default": [{"x": np.random.default_rng(1).standard_normal((4, 8)).astype(np.float32)}]}
    assert measure.output_error(measure.Model(src).run(x), measure.Model(out).run(x)) <= 1e-4


def test_cluster_that_fails_is_dropped(tmp_path, capsys):
    """A ragged text pipeline whose cluster holds a Range XLA cannot compile (its limit is no
    compile-time constant): the model with clusters fails on the sample inputs, so no cluster
    is kept; the output has none and runs (the warm-up requests replayed)."""
    from tests.test_smopt_optimize import _text_model
    src = _text_model(str(tmp_path / "text"))
    out = str(tmp_path / "opt")
    rep, err = _run(src, out, capsys)
    assert rep["method"] == "measured"
    assert not any(c["kept"] for c in rep["clusters"]) and _clusters(out) == []
    assert rep["message"].startswith("no cluster kept")
    assert "smopt-optimize: wrote 2 warm-up requests" in err
    assert os.path.exists(os.path.join(out, "assets.extra", "tf_serving_warmup_requests"))


def test_cost_model_without_a_gpu(tmp_path, capsys):
    """--target_device gpu on a machine without a GPU: no timing; clusters with at least
    five fusible (non-matmul/convolution) ops are kept, as the report explains; the placed,
    clustered model still runs here (soft placement) with the original's outputs."""
    import tensorflow as tf
    if tf.config.list_physical_devices("GPU"):
        pytest.skip("a GPU is present: precompilation is measured")
    src = _stft_model(str(tmp_path / "stft"))
    out = str(tmp_path / "opt")
    rep, err = _run(src, out, capsys, "--target_device", "gpu")
    assert rep["method"] == "cost model" and "no GPU here to time on: decided by the cost model" in err
    for c in rep["clusters"]:
        assert c["kept"] == (c["fusible_ops"] * precompilation.GPU_OP_DISPATCH_US > precompilation.XLA_LAUNCH_US)
    assert _clusters(out) == sorted(c["function"] for c in rep["clusters"] if c["kept"])
    x = {"serving_default": [{"audio": np.random.default_rng(6).standard_normal((2, 8000)).astype(np.float32)}]}
    assert measure.output_error(measure.Model(src).run(x), measure.Model(out).run(x)) <= 1e-4


def test_time_fresh_times_each_model_alone(tmp_path):
    """measure.time_fresh, which the final decisions use: one result per model and round, in
    the shape `ratios` takes; a model that cannot run gives None and one line saying why."""
    src = _two_cluster_model(str(tmp_path / "two"))
    feeds = {("serving_default", b): {"x": np.ones((b, 8), np.float32)} for b in (1, 4)}
    t, errs = measure.time_fresh([src, str(tmp_path / "missing")], feeds, str(tmp_path / "w"), rounds=2)
    assert set(t[0]) == set(feeds) and all(v.shape == (2,) and np.all(v > 0) for v in t[0].values())
    assert t[1] is None and list(errs) == [1]
    assert "SavedModel file does not exist" in errs[1] and "\n" not in errs[1]
    assert measure.speedup_ratio(t[0], t[0]) == 1.0
    assert all(len(v) == 4 for v in measure.pooled([t[0]], [t[0]])[0].values())
