"""Export and smopt-convert: identity round trips, ConverterOptions, output safety."""
import hashlib
import os
import shutil

import numpy as np
import pytest

from smopt.compiler import examples
from smopt.compiler.options import parse_converter_options
from smopt.compiler.pipelines import pipeline_stages

from conftest import run_cli

ROUND_TRIP = ["alias", "control_flow", "keras_cnn", "strings", "vocab", "ragged"]


def _tree_digest(path):
    h = hashlib.sha256()
    for root, dirs, files in sorted(os.walk(path)):
        dirs.sort()
        for f in sorted(files):
            p = os.path.join(root, f)
            h.update(os.path.relpath(p, path).encode())
            with open(p, "rb") as fh:
                h.update(fh.read())
    return h.hexdigest()


def _run_signatures(path, name):
    import tensorflow as tf
    loaded = tf.saved_model.load(path)
    inputs = {k: tf.constant(v) for k, v in examples.example_inputs(name).items()}
    out = {}
    for sig_name, fn in loaded.signatures.items():
        wanted = {k: v for k, v in inputs.items() if k in fn.structured_input_signature[1]}
        if len(wanted) == len(fn.structured_input_signature[1]):
            out[sig_name] = {k: v.numpy() for k, v in fn(**wanted).items()}
    return out


@pytest.mark.parametrize("name", ROUND_TRIP)
def test_identity_round_trip_is_bit_exact(example_model, tmp_path, name):
    src = example_model(name)
    before = _tree_digest(src)
    out = tmp_path / "out"
    r = run_cli("smopt-convert", "--input_model_dir", src, "--output_model_dir", str(out),
                "--converter_options_string", "disable_default_optimizations: true")
    assert r.returncode == 0, r.stderr
    assert _tree_digest(src) == before, "the input directory was modified"
    want, got = _run_signatures(src, name), _run_signatures(str(out), name)
    assert want and set(want) == set(got)
    for sig in want:
        for k in want[sig]:
            assert want[sig][k].dtype == got[sig][k].dtype
            assert np.array_equal(want[sig][k], got[sig][k]), (sig, k)
    # Unchanged variables are copied byte for byte.
    for f in os.listdir(os.path.join(src, "variables")):
        a = open(os.path.join(src, "variables", f), "rb").read()
        assert a == open(os.path.join(out, "variables", f), "rb").read()


def test_round_trip_keeps_aliases_and_object_graph_functions(example_model, tmp_path):
    import tensorflow as tf
    from smopt.compiler.convert import convert
    from smopt.compiler.importer import import_saved_model
    out = str(tmp_path / "out")
    convert(example_model("ragged"), out, "disable_default_optimizations: true")
    loaded = tf.saved_model.load(out)
    rt = tf.ragged.constant([[1.0, 2.0], [3.0], []])
    assert loaded.row_sums(rt).numpy().tolist() == [3.0, 3.0, 0.0]
    out2 = str(tmp_path / "out2")
    convert(example_model("alias"), out2, "")
    assert import_saved_model(out2).aliases == import_saved_model(example_model("alias")).aliases


def test_changed_variable_values_are_written(example_model, tmp_path):
    import tensorflow as tf
    from smopt.compiler.exporter import export_saved_model
    from smopt.compiler.importer import import_saved_model
    m = import_saved_model(example_model("alias"))
    b = next(v for v in m.variables if v.path == "b")
    m.set_variable(b, np.full((16,), 0.25, np.float32))
    out = str(tmp_path / "out")
    export_saved_model(m, out)
    loaded = tf.saved_model.load(out)
    assert np.array_equal(loaded.b.numpy(), np.full((16,), 0.25, np.float32))
    assert np.array_equal(loaded.w.numpy(), m.read_variable(next(v for v in m.variables if v.path == "w")))


def test_existing_empty_output_dir_is_used(example_model, tmp_path):
    out = tmp_path / "mounted"
    out.mkdir()
    r = run_cli("smopt-convert", "--input_model_dir", example_model("alias"), "--output_model_dir", str(out),
                "--converter_options_string", "disable_default_optimizations: true")
    assert r.returncode == 0, r.stderr
    assert (out / "saved_model.pb").exists()


def test_non_empty_output_dir_needs_overwrite(example_model, tmp_path):
    out = tmp_path / "busy"
    out.mkdir()
    (out / "keep.txt").write_text("x")
    args = ["smopt-convert", "--input_model_dir", example_model("alias"), "--output_model_dir", str(out),
            "--converter_options_string", "disable_default_optimizations: true"]
    r = run_cli(*args)
    assert r.returncode == 1
    assert r.stderr.strip() == f"smopt-convert: error: output directory '{out}' is not empty (pass --overwrite to replace it)"
    assert (out / "keep.txt").exists()
    r = run_cli(*args, "--overwrite")
    assert r.returncode == 0, r.stderr
    assert not (out / "keep.txt").exists() and (out / "saved_model.pb").exists()


def _bad(tmp_path, model_dir, options="disable_default_optimizations: true"):
    out = tmp_path / "never"
    r = run_cli("smopt-convert", "--input_model_dir", str(model_dir), "--output_model_dir", str(out),
                "--converter_options_string", options)
    assert r.returncode == 1
    lines = [l for l in r.stderr.splitlines() if l.startswith("smopt-convert:")]
    assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    assert not out.exists()
    siblings = [p for p in os.listdir(tmp_path) if p.startswith(".never")]
    assert not siblings, siblings
    return lines[0]


def test_bad_inputs_have_one_clear_line(example_model, tmp_path):
    assert "does not exist" in _bad(tmp_path, tmp_path / "missing")
    f = tmp_path / "file"
    f.write_text("x")
    assert "is not a directory" in _bad(tmp_path, f)
    empty = tmp_path / "empty"
    empty.mkdir()
    assert f"no saved_model.pb in '{empty}'" in _bad(tmp_path, empty)
    for damage in ("garbage", "truncated"):
        d = tmp_path / damage
        shutil.copytree(example_model("alias"), d)
        data = (d / "saved_model.pb").read_bytes()
        (d / "saved_model.pb").write_bytes(b"\x0a\xff\xff\xff" + data[:50] if damage == "garbage"
                                           else data[: len(data) // 2])
        assert "cannot parse" in _bad(tmp_path, d) and str(d) in _bad(tmp_path, d)
    novars = tmp_path / "novars"
    shutil.copytree(example_model("alias"), novars)
    shutil.rmtree(novars / "variables")
    assert f"'{novars / 'variables'}' is missing" in _bad(tmp_path, novars)
    assert "TF1 SavedModels are not supported; re-export with TF2" in _bad(tmp_path, example_model("tf1"))
    line = _bad(tmp_path, example_model("alias"), "tpu_functions { function_aliass: 'x' }")
    assert "cannot parse --converter_options_string: 1:17" in line and 'no field named "function_aliass"' in line
    line = _bad(tmp_path, example_model("alias"), "io_shape_optimization: SOMETIMES")
    assert "SOMETIMES" in line and "io_shape_optimization" in line


def test_crash_in_a_pass_names_the_pass(example_model, tmp_path, monkeypatch, capsys):
    from smopt.compiler import pipelines
    from smopt.tools import smopt_convert
    monkeypatch.setattr(pipelines, "pipeline_stages", lambda *a, **k: ["cse", "test-crash"])
    repro = tmp_path / "repro.mlir"
    rc = smopt_convert.main(["--input_model_dir", example_model("alias"), "--output_model_dir",
                             str(tmp_path / "out"), "--reproducer", str(repro)])
    err = capsys.readouterr().err
    assert rc == 1
    assert f"smopt-convert: error: pass 'test-crash' failed: crashed with RuntimeError: boom (reproducer written to {repro})" in err
    assert "Traceback" not in err and repro.exists() and not (tmp_path / "out").exists()


SEED_BATCHING = '''
    tpu_functions {
      function_alias: "tpu_func"
    }
    batch_options {
      num_batch_threads: 2
      max_batch_size: 8
      batch_timeout_micros: 5000
      allowed_batch_sizes: 2
      allowed_batch_sizes: 4
      allowed_batch_sizes: 8
      max_enqueued_batches: 10
    }
'''

SEED_QUANTIZATION = ''' \\
    tpu_functions { \\
      function_alias: "tpu_func" \\
    } \\
    external_feature_configs { \\
      quantization_options { \\
        signature_keys: "serving_default" \\
        representative_datasets: { \\
          key: "serving_default" \\
          value: { \\
            tfrecord_file_path: "${TF_RECORD_FILE}" \\
          } \\
        } \\
      } \\
    } '''

SEED_MULTI = '''
tpu_functions {
  function_alias: "tpu_func_1"
}
tpu_functions {
  function_alias: "tpu_func_2"
}
'''

SEED_UPDATE_BATCHING = '''
batch_options {
  num_batch_threads: 2
  max_batch_size: 8
  batch_timeout_micros: 5000
  allowed_batch_sizes: 2
  allowed_batch_sizes: 4
  allowed_batch_sizes: 8
  max_enqueued_batches: 10
}
disable_default_optimizations=True
'''


def test_seed_examples_parse():
    o = parse_converter_options(SEED_BATCHING)
    assert o.tpu_functions[0].function_alias == "tpu_func"
    assert list(o.batch_options[0].allowed_batch_sizes) == [2, 4, 8]
    q = parse_converter_options(SEED_QUANTIZATION).external_feature_configs.quantization_options
    assert list(q.signature_keys) == ["serving_default"]
    assert q.representative_datasets["serving_default"].tfrecord_file_path == "${TF_RECORD_FILE}"
    assert [t.function_alias for t in parse_converter_options(SEED_MULTI).tpu_functions] == ["tpu_func_1", "tpu_func_2"]
    assert parse_converter_options(SEED_UPDATE_BATCHING).disable_default_optimizations
    c = parse_converter_options('tpu_functions { concrete_function_name: "__inference_serve_24" }')
    assert c.tpu_functions[0].concrete_function_name == "__inference_serve_24"


def test_xla_sharding_options_with_serialized_topology():
    from google.protobuf import text_encoding
    from smopt.compiler import tfproto
    topo = tfproto.message("tensorflow.tpu.TopologyProto")(mesh_shape=[1, 2, 1, 1],
                                                           device_coordinates=[0, 0, 0, 0, 0, 1, 0, 0])
    raw = topo.SerializeToString()
    text = ("xla_sharding_options { num_cores_per_replica: 2 device_assignment: [0, 0, 0, 0, 0, 1, 0, 0] "
            f'topology: "{text_encoding.CEscape(raw, as_utf8=False)}" }}')
    o = parse_converter_options(text)
    assert o.xla_sharding_options.num_cores_per_replica == 2
    back = tfproto.message("tensorflow.tpu.TopologyProto").FromString(o.xla_sharding_options.topology)
    assert list(back.mesh_shape) == [1, 2, 1, 1]
    stage = [s for s in pipeline_stages(o) if s.startswith("xla-spmd-shard")][0]
    assert f"topology={raw.hex()}" in stage and "device-assignment=0,0,0,0,0,1,0,0" in stage


def _names(text, **kw):
    return [s.split("{")[0] for s in pipeline_stages(parse_converter_options(text), **kw)]


def test_pipeline_follows_option_semantics():
    tpu = 'tpu_functions { function_alias: "f" } '
    assert _names("") == []
    assert _names("disable_default_optimizations: true") == []
    assert _names(tpu) == ["tpu-select-functions", "tpu-check-indirect-calls", "tpu-compatibility-check",
                           "bf16-convert", "tpu-io-shape-opt", "tpu-insert-call-stubs", "tpu-conversion-report"]
    off = _names(tpu + "disable_default_optimizations: true")
    assert "bf16-convert" not in off and "tpu-io-shape-opt" not in off
    kept = _names(tpu + "disable_default_optimizations: true bfloat16_optimization: ENABLED")
    assert "bf16-convert" in kept and "tpu-io-shape-opt" not in kept
    assert "tpu-io-shape-opt" not in _names(tpu + "io_shape_optimization: DISABLED")
    assert "tpu-batch-function" in _names(tpu + "batch_options { max_batch_size: 8 }")
    assert _names("bfloat16_optimization_options { scope: ALL }") == ["bf16-convert"]
    quant = [s.split("{")[0] for s in pipeline_stages(parse_converter_options(tpu), quantization="quantize")]
    assert "quantize" in quant and "bf16-convert" not in quant
    forced = pipeline_stages(parse_converter_options(tpu + "bfloat16_optimization: ENABLED"), quantization="quantize")
    assert "bf16-convert" in forced
    stages = pipeline_stages(parse_converter_options(tpu), target="cpu", report_json="/r.json")
    assert "tpu-insert-call-stubs{target=cpu}" in stages and "tpu-conversion-report{json=/r.json}" in stages


def test_print_pipeline_is_smopt_syntax():
    from smopt.passes.framework.registry import _split_top
    r = run_cli("smopt-convert", "--print_pipeline", "--converter_options_string",
                'tpu_functions { function_alias: "tpu_func" } batch_options { max_batch_size: 8 '
                'allowed_batch_sizes: 4 allowed_batch_sizes: 8 experimental { signature_name: "serving_default" } }')
    assert r.returncode == 0, r.stderr
    text = r.stdout.strip()
    items = _split_top(text, ",")
    assert items[0] == "tpu-select-functions{function-aliases=tpu_func}"
    assert "tpu-batch-function{max-batch-size=8 batch-timeout-micros=0 allowed-batch-sizes=4,8 signature-name=serving_default}" in items


def test_bad_tpu_function_names_through_the_cli(example_model, tmp_path):
    from smopt.compiler.importer import import_saved_model
    path = example_model("alias")
    concrete = import_saved_model(path).alias_function("tpu_func")
    line = _bad(tmp_path, path, 'tpu_functions { function_alias: "nope" }')
    assert 'function_alias "nope" does not exist in the model' in line and "tpu_func" in line
    line = _bad(tmp_path, path, 'tpu_functions { concrete_function_name: "__inference_nope_1" }')
    assert 'concrete_function_name "__inference_nope_1" does not exist' in line
    line = _bad(tmp_path, path, 'tpu_functions { signature_name: "serve" }')
    assert 'signature_name "serve" does not exist in the model' in line and "serving_default" in line
    line = _bad(tmp_path, path, f'tpu_functions {{ function_alias: "tpu_func" }} '
                                f'tpu_functions {{ concrete_function_name: "{concrete}" }}')
    assert f'function_alias "tpu_func" and concrete_function_name "{concrete}" select the same' in line
    assert line.startswith("smopt-convert: error: pass 'tpu-select-functions' failed:")
