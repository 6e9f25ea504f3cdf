"""smopt-optimize: flags -> pipeline, optimized models on TensorFlow, the TF Serving warm-up
file, output safety and instrumentation."""
import os
import subprocess
import sys

import numpy as np
import pytest

from smopt.compiler import examples
from smopt.compiler.optimize import optimize_pipeline, prediction_log, tfrecord
from smopt.passes.framework.registry import load_all
from tests import models_sharding as ms
from smopt.tools.smopt_optimize import main

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def mlp(tmp_path_factory):
    """An MLP with weights large enough to be pruned and quantized (64x128, 128x10)."""
    import tensorflow as tf
    path = str(tmp_path_factory.mktemp("optimize") / "mlp")
    ms.build_mlp_model(path, sizes=(64, 128, 10))
    x = ms.mlp_inputs(batch=32, features=64)
    loaded = tf.saved_model.load(path)
    return path, x, loaded.signatures["serving_default"](x=x)["logits"].numpy()


def _serve(path, x):
    import tensorflow as tf
    return tf.saved_model.load(path).signatures["serving_default"](x=x)["logits"].numpy()


def _functions(path):
    from smopt.compiler import tfproto
    sm = tfproto.SavedModel()
    with open(os.path.join(path, "saved_model.pb"), "rb") as f:
        sm.ParseFromString(f.read())
    return list(sm.meta_graphs[0].graph_def.library.function)


def _serving_log_classes():
    """PredictionLog & co. declared from TF Serving's field numbers (map values kept as bytes),
    to read the warm-up file independently of the writer."""
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
    F = descriptor_pb2.FieldDescriptorProto
    fd = descriptor_pb2.FileDescriptorProto(name="warmup_check.proto", package="check", syntax="proto3")

    def msg(name, fields, nested=()):
        m = fd.message_type.add(name=name)
        for n in nested:
            m.nested_type.add().CopyFrom(n)
        for fname, num, ftype, tname, label in fields:
            f = m.field.add(name=fname, number=num, type=ftype, label=label)
            if tname:
                f.type_name = tname
        return m

    opt, rep = F.LABEL_OPTIONAL, F.LABEL_REPEATED
    msg("ModelSpec", [("name", 1, F.TYPE_STRING, None, opt), ("signature_name", 3, F.TYPE_STRING, None, opt)])
    entry = descriptor_pb2.DescriptorProto(name="InputsEntry")
    entry.field.add(name="key", number=1, type=F.TYPE_STRING, label=opt)
    entry.field.add(name="value", number=2, type=F.TYPE_BYTES, label=opt)
    entry.options.map_entry = True
    msg("PredictRequest", [("model_spec", 1, F.TYPE_MESSAGE, ".check.ModelSpec", opt),
                           ("inputs", 2, F.TYPE_MESSAGE, ".check.PredictRequest.InputsEntry", rep)], [entry])
    msg("PredictLog", [("request", 1, F.TYPE_MESSAGE, ".check.PredictRequest", opt)])
    msg("PredictionLog", [("predict_log", 6, F.TYPE_MESSAGE, ".check.PredictLog", opt)])
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fd)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("check.PredictionLog"))


def _read_warmup(path):
    """[(signature, {key: numpy array})] from a warm-up file, read with TensorFlow's TFRecord reader."""
    import tensorflow as tf
    from tensorflow.core.framework import tensor_pb2
    PredictionLog = _serving_log_classes()
    out = []
    for rec in tf.data.TFRecordDataset(path):
        log = PredictionLog.FromString(rec.numpy())
        req = log.predict_log.request
        out.append((req.model_spec.signature_name,
                    {k: tf.make_ndarray(tensor_pb2.TensorProto.FromString(v)) for k, v in req.inputs.items()}))
    return out


# ---- flags -> pipeline -----------------------------------------------------------------
def test_pipeline_for_flags():
    load_all()
    assert optimize_pipeline() == "canonicalize,cse,dce,merge-functions"
    # target gpu: the tabular CPU/GPU split runs by default, before precompilation
    assert optimize_pipeline(target_device="gpu") == "canonicalize,cse,dce,merge-functions,cpu-gpu-placement"
    assert optimize_pipeline(allow_precompilation=True, target_device="gpu") == \
        "inline,canonicalize,cse,dce,merge-functions,cpu-gpu-placement,xla-cluster{device=gpu}"
    # inline only comes with precompilation (clusters then span former call boundaries)
    assert optimize_pipeline(allow_precompilation=True, allow_compression=True).startswith("inline,canonicalize,")
    # compression: the stages a run chooses from (per weight, by measurement)
    assert optimize_pipeline(allow_compression=True) == (
        "canonicalize,cse,dce,merge-functions,symbol-dce{keep-exported=false},freeze-variables,prune-weights{sparsity=0.9},"
        "quantize{method=weight_only signature-keys=},bf16-weights,share-constants,merge-functions")
    assert optimize_pipeline(True, True, disable_optimizer=True) == ""


def test_print_pipeline_cli(capsys):
    assert main(["--print_pipeline", "--allow_precompilation=true", "--target_device", "gpu"]) == 0
    assert capsys.readouterr().out.strip() == \
        "inline,canonicalize,cse,dce,merge-functions,cpu-gpu-placement,xla-cluster{device=gpu}"
    assert main(["--print_pipeline", "--allow_precompilation", "--disable_optimizer=True"]) == 0
    assert capsys.readouterr().out.strip() == ""


def test_tfrecord_framing_is_read_by_tensorflow(tmp_path):
    import tensorflow as tf
    recs = [b"", b"abc", bytes(range(256)) * 3]
    p = tmp_path / "r.tfrecord"
    p.write_bytes(tfrecord(recs))
    assert [r.numpy() for r in tf.data.TFRecordDataset(str(p))] == recs
    # The PredictionLog encoding matches a descriptor-based parse of TF Serving's fields.
    log = _serving_log_classes().FromString(prediction_log("sig", {"b": b"\x01", "a": b""}, "m"))
    req = log.predict_log.request
    assert (req.model_spec.name, req.model_spec.signature_name) == ("m", "sig")
    assert dict(req.inputs) == {"a": b"", "b": b"\x01"}


# ---- end to end ------------------------------------------------------------------------
def test_all_flags(mlp, tmp_path, capsys):
    """Precompilation + compression on CPU: measured decisions (tables on stderr, JSON report),
    compressed weights within the default budget, XLA clusters exactly where the report keeps
    them, a warm-up file TF can read whose requests run."""
    import json
    path, x, ref = mlp
    out = str(tmp_path / "opt")
    report = str(tmp_path / "report.json")
    rc = main(["--input_model_dir", path, "--output_model_dir", out, "--allow_precompilation=true",
               "--allow_compression=true", "--disable_optimizer=false", "--target_device", "cpu",
               "--warmup_batch_sizes=1,8", "--pass-statistics", "--report_json", report])
    err = capsys.readouterr().err
    assert rc == 0, err
    assert "smopt-optimize: pipeline: inline,canonicalize,cse,dce,merge-functions" in err
    assert "smopt-optimize: compression (budget 0.01 max-abs output change / max-abs output)" in err
    assert "smopt-optimize: precompilation (measured, device cpu)" in err
    assert "smopt-optimize: wrote 2 warm-up requests (batch sizes 1,8; signatures serving_default)" in err
    with open(report) as f:
        rep = json.load(f)
    comp, pre = rep["compression"], rep["precompilation"]
    assert comp["kept"] and comp["after"]["size"] < comp["before"]["size"] and comp["after"]["error"] <= 0.01
    assert "freeze-variables" in rep["pipeline"]
    kept = [c["function"] for c in pre["clusters"] if c["kept"]]
    clusters = [f.signature.name for f in _functions(out) if f.attr["_XlaMustCompile"].b]
    assert sorted(clusters) == sorted(kept), (clusters, pre)
    assert ("xla-cluster{device=cpu}" in rep["pipeline"]) == bool(kept)
    got = _serve(out, x)
    err_rel = float(np.max(np.abs(got - ref)) / np.max(np.abs(ref)))
    print(f"\nsmopt-optimize (precompilation + compression): max-abs output change {err_rel:.4f}, "
          f"size {comp['before']['size']} -> {comp['after']['size']}, clusters kept {len(kept)}")
    assert 0 < err_rel <= 0.01
    warm = _read_warmup(os.path.join(out, "assets.extra", "tf_serving_warmup_requests"))
    assert [(s, {k: v.shape for k, v in inputs.items()}) for s, inputs in warm] == \
        [("serving_default", {"x": (1, 64)}), ("serving_default", {"x": (8, 64)})]
    import tensorflow as tf
    loaded = tf.saved_model.load(out)
    for sig, inputs in warm:
        assert loaded.signatures[sig](**inputs)["logits"].shape[0] == inputs["x"].shape[0]


def test_precompilation_clusters_across_call_boundaries(tmp_path, capsys):
    """A model whose serving function calls a partly compilable function (string ops in the
    middle): the precompilation pipeline inlines first, so the signature runs two XLA
    clusters (TensorFlow's auto-clustering forms two too) instead of four; outputs within 1e-5."""
    from smopt.compiler.convert import run_pipeline
    from smopt.compiler.importer import import_saved_model
    from tests import models_runtime as mr
    src = mr.build("nested_calls", str(tmp_path / "src"))
    out = str(tmp_path / "opt")
    # the clustering stages themselves (a run then keeps the clusters that pay, measured)
    run_pipeline(src, out, optimize_pipeline(allow_precompilation=True))
    m = import_saved_model(out)
    cg = m.call_graph()
    root = m.signatures["serving_default"].function
    executed = [n for n in {root} | cg.reachable(root) if m.functions[n].attrs.get("_XlaMustCompile")]
    assert len(executed) == 2, executed
    mr.assert_outputs_close(mr.run_serving(src, "nested_calls", batch=5),
                            mr.run_serving(out, "nested_calls", batch=5), 1e-5)


def test_default_flags_keep_outputs_bit_identical(mlp, tmp_path, capsys):
    path, x, ref = mlp
    out = str(tmp_path / "opt")
    assert main(["--input_model_dir", path, "--output_model_dir", out]) == 0, capsys.readouterr().err
    np.testing.assert_array_equal(_serve(out, x), ref)
    assert not os.path.exists(os.path.join(out, "assets.extra", "tf_serving_warmup_requests"))
    assert not any(f.attr["_XlaMustCompile"].b for f in _functions(out))


def test_disable_optimizer_wins(mlp, tmp_path, capsys):
    """disable_optimizer: no pass runs (the pipeline is empty), no warm-up file; the
    variables are copied byte for byte and the outputs are bit-identical."""
    path, x, ref = mlp
    out = str(tmp_path / "opt")
    assert main(["--input_model_dir", path, "--output_model_dir", out, "--disable_optimizer=true",
                 "--allow_precompilation=true", "--allow_compression=true"]) == 0
    assert "smopt-optimize: pipeline: (none)" in capsys.readouterr().err
    np.testing.assert_array_equal(_serve(out, x), ref)
    assert not os.path.exists(os.path.join(out, "assets.extra"))
    for f in os.listdir(os.path.join(path, "variables")):
        with open(os.path.join(path, "variables", f), "rb") as a, open(os.path.join(out, "variables", f), "rb") as b:
            assert a.read() == b.read()
    assert sorted(f.signature.name for f in _functions(out)) == sorted(f.signature.name for f in _functions(path))


def test_examples_precompilation(example_model, tmp_path, capsys):
    """Example models: every signature gets warm-up requests that run, string inputs too
    (the strings example parses numbers: the default text is replaced by numbers as text)."""
    for name, expect in (("keras_cnn", 4), ("strings", 2)):  # keras: 2 signatures x 2 sizes
        src = example_model(name)
        out = str(tmp_path / name)
        assert main(["--input_model_dir", src, "--output_model_dir", out, "--allow_precompilation"]) == 0, \
            capsys.readouterr().err
        capsys.readouterr()
        warm = os.path.join(out, "assets.extra", "tf_serving_warmup_requests")
        assert (len(_read_warmup(warm)) if os.path.exists(warm) else 0) == expect
        import tensorflow as tf
        loaded = tf.saved_model.load(out)
        inputs = {k: tf.constant(v) for k, v in examples.example_inputs(name).items()}
        ref = tf.saved_model.load(src).signatures["serving_default"](**inputs)
        got = loaded.signatures["serving_default"](**inputs)
        for k in ref:
            np.testing.assert_allclose(got[k].numpy(), ref[k].numpy(), rtol=1e-5, atol=1e-5)


# ---- safety and instrumentation ----------------------------------------------------------
def test_bad_inputs(mlp, tmp_path, capsys):
    path, _, _ = mlp
    nonempty = tmp_path / "full"
    nonempty.mkdir()
    (nonempty / "keep.txt").write_text("x")
    cases = [
        (["--input_model_dir", str(tmp_path / "nope"), "--output_model_dir", str(tmp_path / "o1")],
         "smopt-optimize: error: input model directory"),
        (["--input_model_dir", path, "--output_model_dir", str(nonempty)],
         f"smopt-optimize: error: output directory '{nonempty}' is not empty (pass --overwrite to replace it)"),
        (["--input_model_dir", path, "--output_model_dir", path],
         "smopt-optimize: error: output directory"),
        (["--input_model_dir", path, "--output_model_dir", str(tmp_path / "o2"), "--allow_precompilation",
          "--warmup_batch_sizes=0,8"], "smopt-optimize: error: --warmup_batch_sizes must be positive, got 0,8"),
        (["--output_model_dir", str(tmp_path / "o3")],
         "smopt-optimize: error: --input_model_dir and --output_model_dir are required"),
    ]
    for argv, msg in cases:
        assert main(argv) == 1
        err = capsys.readouterr().err
        assert msg in err and len(err.strip().splitlines()) == 1, err
    assert (nonempty / "keep.txt").read_text() == "x"
    assert not any(p.name.startswith(("o1", "o2", "o3", ".o")) for p in tmp_path.iterdir())
    not_a_model = tmp_path / "junk"
    not_a_model.mkdir()
    (not_a_model / "saved_model.pb").write_bytes(b"\xff\xff garbage")
    assert main(["--input_model_dir", str(not_a_model), "--output_model_dir", str(tmp_path / "o4")]) == 1
    assert "not a SavedModel protobuf" in capsys.readouterr().err
    assert not (tmp_path / "o4").exists()


def test_bad_flag_value_is_a_usage_error():
    r = subprocess.run([sys.executable, "-m", "smopt.tools.smopt_optimize", "--allow_compression=maybe"],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 2
    assert "argument --allow_compression: expected true or false, got 'maybe'" in r.stderr


def test_instrumentation(mlp, tmp_path, capsys):
    path, _, _ = mlp
    dump = tmp_path / "dump"
    assert main(["--input_model_dir", path, "--output_model_dir", str(tmp_path / "o"), "--timing",
                 "--print-ir-after=dce", "--dump_dir", str(dump), "--overwrite"]) == 0
    err = capsys.readouterr().err
    assert "... Execution time report ..." in err and "Export" in err
    names = sorted(os.listdir(dump))
    assert names[0] == "01_before_canonicalize.mlir" and "06_after_dce.mlir" in names


def test_failing_warmup_request_leaves_no_output(tmp_path, capsys):
    """A model that rejects the zero warm-up inputs: TF Serving would refuse to load it, so
    smopt-optimize fails and writes nothing."""
    import tensorflow as tf

    class Model(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32)])
        def serve(self, x):
            return {"y": tf.debugging.check_numerics(1.0 / x, "reciprocal")}

    src = str(tmp_path / "recip")
    m = Model()
    tf.saved_model.save(m, src, signatures={"serving_default": m.serve})
    out = tmp_path / "out"
    assert main(["--input_model_dir", src, "--output_model_dir", str(out), "--allow_precompilation"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("smopt-optimize: error: the warm-up request for signature 'serving_default' "
                              "(batch size 1, zero inputs) fails on the optimized model: "), err[-1]
    assert not out.exists() and [p.name for p in tmp_path.iterdir()] == ["recip"]
    # Without warm-up requests the same model optimizes fine.
    assert main(["--input_model_dir", src, "--output_model_dir", str(out), "--allow_precompilation",
                 "--warmup_batch_sizes="]) == 0
    assert not (out / "assets.extra").exists()


def _text_model(path):
    """A text classifier front-end: lower-case, hash into buckets, embed, average; plus a
    numeric input, so that a warm-up request needs both kinds."""
    import tensorflow as tf

    class Model(tf.Module):
        def __init__(self):
            super().__init__()
            self.emb = tf.Variable(np.random.default_rng(3).standard_normal((64, 8)).astype(np.float32), name="emb")

        @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="text"),
                                      tf.TensorSpec([None, 2], tf.float32, name="extra")])
        def serve(self, text, extra):
            words = tf.strings.split(tf.strings.lower(text))
            ids = tf.strings.to_hash_bucket_fast(words, 64)
            vec = tf.reduce_mean(tf.nn.embedding_lookup(self.emb, ids), axis=1)
            return {"score": tf.reduce_sum(vec, axis=1, keepdims=True) + tf.reduce_sum(extra, 1, keepdims=True)}

    m = Model()
    tf.saved_model.save(m, path, signatures={"serving_default": m.serve})
    return path


def test_string_warmup(tmp_path, capsys):
    """String inputs get warm-up requests: b"hello world" by default, the user's texts with
    --sample_inputs (an .npz); the file is read back with TF's reader and replayed on the
    loaded model."""
    import tensorflow as tf
    src = _text_model(str(tmp_path / "text"))
    out = str(tmp_path / "opt")
    assert main(["--input_model_dir", src, "--output_model_dir", out, "--allow_precompilation",
                 "--warmup_batch_sizes=1,3"]) == 0, capsys.readouterr().err
    err = capsys.readouterr().err
    assert "smopt-optimize: wrote 2 warm-up requests (batch sizes 1,3; signatures serving_default)" in err
    warm = _read_warmup(os.path.join(out, "assets.extra", "tf_serving_warmup_requests"))
    assert [inputs["text"].tolist() for _, inputs in warm] == [[b"hello world"], [b"hello world"] * 3]
    assert [inputs["extra"].shape for _, inputs in warm] == [(1, 2), (3, 2)]
    loaded = tf.saved_model.load(out)
    for sig, inputs in warm:
        assert loaded.signatures[sig](**inputs)["score"].shape == (inputs["text"].shape[0], 1)
    # --sample_inputs: the first batch, cycled to each warm-up batch size
    samples = str(tmp_path / "samples.npz")
    np.savez(samples, text=np.array([b"The Quick fox", b"jumps"]), extra=np.ones((2, 2), np.float32))
    out2 = str(tmp_path / "opt2")
    assert main(["--input_model_dir", src, "--output_model_dir", out2, "--allow_precompilation",
                 "--warmup_batch_sizes=1,3", "--sample_inputs", samples]) == 0, capsys.readouterr().err
    warm = _read_warmup(os.path.join(out2, "assets.extra", "tf_serving_warmup_requests"))
    assert [inputs["text"].tolist() for _, inputs in warm] == \
        [[b"The Quick fox"], [b"The Quick fox", b"jumps", b"The Quick fox"]]
    loaded = tf.saved_model.load(out2)
    for sig, inputs in warm:
        loaded.signatures[sig](**inputs)


def test_bad_sample_inputs(tmp_path, capsys):
    """--sample_inputs that feed no signature, or are no .npz/TFRecord: one line, no output."""
    src = _text_model(str(tmp_path / "text"))
    wrong = str(tmp_path / "wrong.npz")
    np.savez(wrong, words=np.array([b"a"]))
    junk = str(tmp_path / "junk.tfrecord")
    with open(junk, "wb") as f:
        f.write(b"not a tfrecord")
    for path, msg in ((wrong, f"smopt-optimize: error: --sample_inputs '{wrong}' has inputs ['words'], which match "
                              "no signature (serving_default takes ['extra', 'text'])"),
                      (junk, f"smopt-optimize: error: representative dataset '{junk}' is not a readable TFRecord"),
                      (str(tmp_path / "none.npz"), "smopt-optimize: error: --sample_inputs")):
        out = tmp_path / "o"
        assert main(["--input_model_dir", src, "--output_model_dir", str(out), "--allow_precompilation",
                     "--sample_inputs", path]) == 1
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith(msg), err
        assert not out.exists()
