"""Trust (issue 15): no data loss, no traceback on any input, no ignored option.

Every bad input or output location gives one line naming the problem and the path, a
non-zero exit, no output and an untouched input; --debug shows the traceback of an
internal error.
"""
import errno
import hashlib
import os
import shutil
import subprocess
import sys

import pytest

from conftest import run_cli

OK_IR = "func.func @f(%x: tensor<f32>) -> (tensor<f32> {tf.name = \"r\"}) {\n" \
        "  %0 = \"tf.Neg\"(%x) {T = f32} : (tensor<f32>) -> tensor<f32> loc(\"neg\")\n" \
        "  return %0 : tensor<f32>\n}\n"
IDENTITY = "disable_default_optimizations: true"
TPU = 'tpu_functions { function_alias: "tpu_func" }'


def run_env(env, *args):
    """run_cli with extra environment variables."""
    exe = os.path.join(os.path.dirname(sys.executable), args[0])
    return subprocess.run([exe, *args[1:]], capture_output=True, text=True, env={**os.environ, **env})


def tree_digest(path):
    """A digest of every file name and byte under `path` (or of the file itself)."""
    h = hashlib.sha256()
    if os.path.isfile(path):
        return hashlib.sha256(open(path, "rb").read()).hexdigest()
    for root, dirs, files in sorted(os.walk(path)):
        dirs.sort()
        for f in sorted(files):
            p = os.path.join(root, f)
            h.update(os.path.relpath(p, path).encode())
            with open(p, "rb") as fh:
                h.update(fh.read())
    return h.hexdigest()


def one_line_failure(r, *needles):
    """The process failed with exactly one stderr line holding every needle; returns it."""
    assert r.returncode not in (0, 2), (r.returncode, r.stderr)  # 2: an internal error
    lines = [l for l in r.stderr.splitlines() if l.strip()]
    assert len(lines) == 1, r.stderr
    assert "Traceback" not in r.stderr and "internal error" not in r.stderr, r.stderr
    for n in needles:
        assert n in lines[0], lines[0]
    return lines[0]


@pytest.fixture
def model(example_model, tmp_path):
    """A private copy of the small example SavedModel (a TPU alias, two variables)."""
    d = tmp_path / "parent" / "model"
    shutil.copytree(example_model("alias"), d)
    return d


@pytest.fixture
def ok_ir(tmp_path):
    p = tmp_path / "ok.mlir"
    p.write_text(OK_IR)
    return p


# ---- 1. data loss: an output directory that is, contains or lies inside the input --------
def _overlap_cases(model):
    parent = model.parent
    link = parent.parent / "link"
    link.symlink_to(model)
    return {
        "inside": (str(model / "converted"), [], "lies inside the input model directory"),
        "inside-overwrite": (str(model / "converted"), ["--overwrite"], "lies inside the input model directory"),
        "equal": (str(model), ["--overwrite"], "is the input model directory"),
        "equal-via-symlink": (str(link), ["--overwrite"], "is the input model directory"),
        "inside-via-symlink": (str(link / "variables"), ["--overwrite"], "lies inside the input model directory"),
        "contains": (str(parent), ["--overwrite"], "contains the input model directory"),
        "contains-no-overwrite": (str(parent), [], "contains the input model directory"),
    }


@pytest.mark.parametrize("tool", ["smopt-convert", "smopt-optimize"])
@pytest.mark.parametrize("case", ["inside", "inside-overwrite", "equal", "equal-via-symlink",
                                  "inside-via-symlink", "contains", "contains-no-overwrite"])
def test_output_overlapping_the_input_is_refused(model, tool, case):
    (model.parent / "beside.txt").write_text("a file next to the model\n")
    out, flags, needle = _overlap_cases(model)[case]
    before = tree_digest(str(model.parent))
    extra = ["--converter_options_string", IDENTITY] if tool == "smopt-convert" else []
    r = run_cli(tool, "--input_model_dir", str(model), "--output_model_dir", out, *flags, *extra)
    line = one_line_failure(r, needle, f"'{out}'", f"'{model}'")
    assert line.startswith(f"{tool}: error: ")
    assert tree_digest(str(model.parent)) == before, "the input (or what lies beside it) changed"
    assert not os.path.exists(model / "converted")
    leftovers = [n for n in os.listdir(model.parent.parent) if n.startswith(".")]
    assert not leftovers, leftovers


def test_overlap_is_refused_before_any_work(model, tmp_path):
    """The refusal comes before the input is even read: a corrupt input gives the same line."""
    (model / "saved_model.pb").write_bytes(b"not a proto")
    r = run_cli("smopt-convert", "--input_model_dir", str(model), "--output_model_dir",
                str(model / "out"), "--converter_options_string", IDENTITY)
    one_line_failure(r, "lies inside the input model directory")


def test_dump_dir_and_reproducer_inside_the_input_are_refused(model):
    before = tree_digest(str(model))
    for flags, name in ((["--dump_dir", str(model / "dumps")], "--dump_dir"),
                        (["--reproducer", str(model / "r.mlir")], "--reproducer")):
        r = run_cli("smopt-convert", "--input_model_dir", str(model), "--output_model_dir",
                    str(model.parent / "out"), "--converter_options_string", IDENTITY, *flags)
        one_line_failure(r, name, "lies inside the input model directory")
    assert tree_digest(str(model)) == before
    assert not os.path.exists(model.parent / "out")


def test_smopt_writes_nothing_into_a_saved_model_input(model, tmp_path):
    """smopt lifting a SavedModel: -o, dumps and the reproducer stay out of the input (found by
    the fuzzer: `-o model/new` and `--print-ir-tree-dir link-to-model/x` added files to it)."""
    before = tree_digest(str(model))
    link = tmp_path / "link"
    link.symlink_to(model)
    for flags, name in ((["-o", str(model / "new.mlir")], "-o"),
                        (["-o", str(link / "new.mlir")], "-o"),
                        (["--print-ir-tree-dir", str(link / "dumps"), "-o", str(tmp_path / "o.mlir")],
                         "--print-ir-tree-dir"),
                        (["--reproducer", str(model / "r.mlir"), "-o", str(tmp_path / "o.mlir")], "--reproducer")):
        r = run_cli("smopt", str(model), "-p", "cse", *flags)
        one_line_failure(r, name, "lies inside the input model directory")
    assert tree_digest(str(model)) == before and not (tmp_path / "o.mlir").exists()


def test_dumps_inside_the_output_directory_are_refused(model, tmp_path):
    """A dump directory inside the output directory would make the export find it non-empty
    (found by the fuzzer: a partial output)."""
    out = tmp_path / "out"
    for flag in ("--dump_dir", "--print-ir-tree-dir"):
        for target in (out, out / "dumps"):
            r = run_cli("smopt-convert", "--input_model_dir", str(model), "--output_model_dir", str(out),
                        "--converter_options_string", TPU, flag, str(target))
            one_line_failure(r, flag, "lies inside the output directory")
            assert not out.exists()
    r = run_cli("smopt", str(model), "-p", "cse", "-o", str(tmp_path / "x"), "--print-ir-tree-dir", str(tmp_path / "x"))
    one_line_failure(r, "--print-ir-tree-dir", "and -o name the same path")
    r = run_cli("smopt", str(model), "-o", str(tmp_path / "dir") + "/")
    one_line_failure(r, "is a directory, not a file")
    assert sorted(os.listdir(tmp_path)) == ["parent"]


def test_failed_conversion_prints_no_report(model, tmp_path, monkeypatch, capsys):
    """What passes write to stderr (the conversion report) is held until the model is written:
    a failed conversion prints its one error line only."""
    from smopt.compiler import convert as convert_mod
    from smopt.compiler.errors import SmoptError
    from smopt.tools import smopt_convert

    def failing_export(*a, **k):
        raise SmoptError("export failed (simulated)")

    monkeypatch.setattr(convert_mod, "export_saved_model", failing_export)
    args = ["--input_model_dir", str(model), "--output_model_dir", str(tmp_path / "out"),
            "--converter_options_string", TPU, "--target", "cpu"]
    assert smopt_convert.main(args) == 1
    assert capsys.readouterr().err == "smopt-convert: error: export failed (simulated)\n"
    monkeypatch.undo()
    assert smopt_convert.main(args) == 0
    err = capsys.readouterr().err
    assert "Conversion Report" in err and err.index("Conversion Report") < err.index("smopt-convert: wrote")


# ---- 2. bad output locations: refused before any work -------------------------------------
def test_smopt_output_file_locations(tmp_path, ok_ir):
    afile = tmp_path / "afile"
    afile.write_text("x\n")
    cases = [
        (str(tmp_path), "is a directory, not a file"),
        (str(tmp_path / "missing" / "o.mlir"), "does not exist"),
        (str(afile / "o.mlir"), f"'{afile}' is a file, not a directory"),
        (str(afile / "sub" / "o.mlir"), f"'{afile}' is a file, not a directory"),
    ]
    for out, needle in cases:
        r = run_cli("smopt", str(ok_ir), "-o", out)
        line = one_line_failure(r, needle, out)
        assert line.startswith("smopt: error: ")
    assert afile.read_text() == "x\n"
    assert sorted(os.listdir(tmp_path)) == ["afile", "ok.mlir"]


def test_unwritable_output_is_detected_before_work(tmp_path, monkeypatch):
    """A directory the user may not write to (simulated: root passes any permission check)."""
    from smopt.compiler import model_io
    from smopt.compiler.errors import SmoptError
    real_access = os.access
    locked = str(tmp_path / "locked")
    os.mkdir(locked)
    monkeypatch.setattr(model_io.os, "access",
                        lambda p, mode: False if os.path.abspath(p) == locked else real_access(p, mode))
    with pytest.raises(SmoptError, match=r"cannot write -o '.*locked/o.mlir': permission denied"):
        model_io.check_output_file(os.path.join(locked, "o.mlir"), "-o")
    with pytest.raises(SmoptError, match="is not writable"):
        model_io.check_output_dir(os.path.join(locked, "dumps"), "--print-ir-tree-dir")
    from smopt.compiler.convert import convert
    with pytest.raises(SmoptError, match="cannot create output directory .* is not writable"):
        convert(str(tmp_path / "no-such-model"), os.path.join(locked, "out"), IDENTITY)
    assert os.listdir(locked) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only directories")
def test_unwritable_directory_for_real(tmp_path, ok_ir):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        r = run_cli("smopt", str(ok_ir), "-o", str(locked / "o.mlir"))
        one_line_failure(r, "permission denied", str(locked / "o.mlir"))
    finally:
        locked.chmod(0o755)


def test_write_errors_become_one_line(tmp_path, monkeypatch, ok_ir):
    """A read-only file system or a full disk, found only when writing (simulated)."""
    from smopt.compiler import model_io
    from smopt.compiler.errors import SmoptError

    def erofs(*a, **k):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))

    monkeypatch.setattr(model_io.tempfile, "mkstemp", erofs)
    out = tmp_path / "o.mlir"
    with pytest.raises(SmoptError, match=r"cannot write '.*o.mlir': Read-only file system"):
        model_io.write_text_atomic(str(out), "text\n")
    assert not out.exists()


def test_export_write_error_leaves_nothing(example_model, tmp_path, monkeypatch):
    from smopt.compiler import exporter
    from smopt.compiler.convert import convert
    from smopt.compiler.errors import SmoptError
    real = exporter._write_variables

    def full_disk(*a, **k):
        real(*a, **k)
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(exporter, "_write_variables", full_disk)
    out = tmp_path / "out"
    with pytest.raises(SmoptError, match=r"cannot write '.*out': No space left on device"):
        convert(example_model("alias"), str(out), IDENTITY)
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("tool", ["smopt-convert", "smopt-optimize"])
def test_model_output_dir_under_a_file(model, tmp_path, tool):
    afile = tmp_path / "afile"
    afile.write_text("x\n")
    (model / "saved_model.pb").write_bytes(b"corrupt")  # proves the check comes first
    out = str(afile / "out")
    r = run_cli(tool, "--input_model_dir", str(model), "--output_model_dir", out)
    one_line_failure(r, f"cannot create output directory '{out}'", f"'{afile}' is a file")


@pytest.mark.parametrize("flag", ["--dump_dir", "--print-ir-tree-dir"])
def test_dump_directories_that_are_or_sit_under_a_file(model, tmp_path, flag):
    afile = tmp_path / "afile"
    afile.write_text("x\n")
    for target, needle in ((afile, "exists and is not a directory"), (afile / "sub", "is a file, not a directory")):
        r = run_cli("smopt-convert", "--input_model_dir", str(model), "--output_model_dir",
                    str(tmp_path / "out"), "--converter_options_string", IDENTITY, flag, str(target))
        one_line_failure(r, flag, str(target), needle)
        assert not (tmp_path / "out").exists()
    r = run_cli("smopt", str(model), "-p", "cse", "--print-ir-tree-dir", str(afile / "sub"), "-o",
                str(tmp_path / "o.mlir"))
    one_line_failure(r, "--print-ir-tree-dir", "is a file, not a directory")
    assert afile.read_text() == "x\n" and not (tmp_path / "o.mlir").exists()


def test_reproducer_into_a_missing_directory(tmp_path, ok_ir):
    repro = tmp_path / "missing" / "r.mlir"
    r = run_cli("smopt", str(ok_ir), "-p", "test-fail", "--reproducer", str(repro), "-o", str(tmp_path / "o"))
    one_line_failure(r, "--reproducer", str(repro), "does not exist")
    assert not (tmp_path / "o").exists()


def test_run_reproducer_with_an_unclosed_quote(tmp_path):
    src = tmp_path / "r.mlir"
    src.write_text("// smopt reproducer\n// configuration: -p 'cse\n" + OK_IR)
    r = run_cli("smopt", str(src), "--run-reproducer", "-o", str(tmp_path / "o"))
    one_line_failure(r, f"{src}:2: malformed '// configuration:' line", "No closing quotation")
    assert not (tmp_path / "o").exists()


# ---- 2. bad option files -----------------------------------------------------------------
def test_non_utf8_converter_options_file(model, tmp_path):
    opts = tmp_path / "opts.txt"
    opts.write_bytes(b'tpu_functions {\n  function_alias: "\xff\xfe"\n}\n')
    r = run_cli("smopt-convert", "--input_model_dir", str(model), "--output_model_dir",
                str(tmp_path / "out"), "--converter_options_file", str(opts))
    one_line_failure(r, f"'{opts}'", "line 2", "0xff is not UTF-8")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("options,needle", [
    ('tpu_functions { function_alias: "a,b" }', "tpu_functions.function_alias 'a,b' is not supported"),
    ('tpu_functions { signature_name: "a b" }', "tpu_functions.signature_name 'a b' is not supported"),
    ("tpu_functions { function_alias: 'tpu_func' } bfloat16_optimization_options { filterlist: 'Re}lu' }",
     "bfloat16_optimization_options.filterlist 'Re}lu' is not supported"),
    ("batch_options { experimental { function_alias: \"it's\" } }",
     "batch_options.experimental.function_alias \"it's\" is not supported"),
])
def test_names_the_pipeline_cannot_carry(model, tmp_path, options, needle):
    r = run_cli("smopt-convert", "--input_model_dir", str(model), "--output_model_dir",
                str(tmp_path / "out"), "--converter_options_string", options)
    one_line_failure(r, needle)
    assert not (tmp_path / "out").exists()


# ---- 2. damaged SavedModels --------------------------------------------------------------
def _mutate(model, change):
    """Apply change(meta_graph, {node name: NodeDef of the TPU function}) to saved_model.pb."""
    from smopt.compiler import tfproto
    pb = model / "saved_model.pb"
    sm = tfproto.SavedModel()
    sm.ParseFromString(pb.read_bytes())
    mg = sm.meta_graphs[0]
    fn = next(f for f in mg.graph_def.library.function if f.signature.name.startswith("__inference_tpu_func"))
    change(mg, fn, {n.name: n for n in fn.node_def})
    pb.write_bytes(sm.SerializeToString())


def _serve_const(mg):
    fn = next(f for f in mg.graph_def.library.function if f.signature.name.startswith("__inference_serve"))
    return next(n for n in fn.node_def if n.op == "Const" and n.attr["value"].tensor.dtype == 1)


def _set(msg, **kw):
    for k, v in kw.items():
        setattr(msg, k, v)


DAMAGE = {
    "output-index-zz": (lambda mg, fn, n: n["MatMul"].input.__setitem__(1, "MatMul/ReadVariableOp:value:zz"),
                        "refers to tensor 'MatMul/ReadVariableOp:value:zz', whose output index 'zz' is not a number"),
    "ref-dtype": (lambda mg, fn, n: _set(n["Relu"].attr["T"], type=101),
                  "node 'Relu' (Relu) in function '__inference_tpu_func"),
    "unknown-dtype": (lambda mg, fn, n: _set(n["Relu"].attr["T"], type=77), "unknown DataType enum 77"),
    "ref-dtype-argument": (lambda mg, fn, n: _set(fn.signature.input_arg[0], type=101),
                           "reference dtype 101"),
    "tensor-values-do-not-fit": (lambda mg, fn, n: _shape_zero_with_values(_serve_const(mg).attr["value"].tensor),
                                 "cannot reshape array of size 4 into shape (0,)"),
    "string-tensor-too-many-values": (
        lambda mg, fn, n: _strings_into_nothing(_serve_const(mg).attr["value"].tensor),
        "could not broadcast"),
}


def _shape_zero_with_values(t):
    t.tensor_shape.Clear()
    t.tensor_shape.dim.add().size = 0
    t.ClearField("float_val")
    t.float_val.extend([1, 2, 3, 4])


def _strings_into_nothing(t):
    t.Clear()
    t.dtype = 7
    t.tensor_shape.dim.add().size = 0
    t.string_val.extend([b"a", b"b", b"c", b"d"])


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_damaged_saved_model_is_one_line(model, tmp_path, damage):
    change, needle = DAMAGE[damage]
    _mutate(model, change)
    before = tree_digest(str(model))
    out = tmp_path / "o.mlir"
    r = run_cli("smopt", str(model), "-o", str(out))
    one_line_failure(r, needle, str(model / "saved_model.pb"))
    assert not out.exists()
    r = run_cli("smopt-convert", "--input_model_dir", str(model), "--output_model_dir", str(tmp_path / "out"),
                "--converter_options_string", IDENTITY)
    one_line_failure(r, needle)
    assert not (tmp_path / "out").exists() and tree_digest(str(model)) == before


def test_saved_model_pb_that_is_a_directory(model, tmp_path):
    pb = model / "saved_model.pb"
    pb.unlink()
    pb.mkdir()
    r = run_cli("smopt", str(model), "-o", str(tmp_path / "o.mlir"))
    one_line_failure(r, f"'{pb}' is not a regular file")
    assert not (tmp_path / "o.mlir").exists()


# ---- 2. IR text the parser or printer could not handle ----------------------------------
IR_CASES = {
    "quant-axis-missing": ('func.func @f() -> () {\n  "tf.NoOp"() {T = !quant.uniform<i8:f32:, {}>} : () -> ()\n'
                           '  return\n}\n', "2:42: error: expected quantization axis (an integer)"),
    "quant-no-scales": ('func.func @f() -> () {\n  "tf.NoOp"() {T = !quant.uniform<i8:f32:0, {}>} : () -> ()\n'
                        '  return\n}\n', "2:20: error: per-axis quantized type needs at least one scale"),
    "quant-float-storage": ('func.func @f() -> () {\n  "tf.NoOp"() {T = !quant.uniform<f32:f32, 0.5:0>} : () -> ()\n'
                            '  return\n}\n', "2:35: error: quantized storage type must be an integer type"),
    "quant-zero-point-not-int": ('func.func @f() -> () {\n  "tf.NoOp"() {T = !quant.uniform<i8:f32, 0.5:1.5>} : '
                                 '() -> ()\n  return\n}\n', "expected zero point (an integer)"),
    "arabic-digit-in-shape": ("func.func @f(%x: tensor<\u0663x2xf32>) -> () {\n  return\n}\n",
                              "1:25: error: expected element type"),
    "superscript-digit-in-shape": ("func.func @f(%x: tensor<\u00b2x2xf32>) -> () {\n  return\n}\n",
                                   "1:25: error: expected element type"),
    "superscript-result-count": ('func.func @f() -> () {\n  %0:\u00b2 = "tf.NoOp"() : () -> ()\n  return\n}\n',
                                 "2:"),
    "nested-50000": ('func.func @f() -> () {\n  "tf.NoOp"() {a = ' + "[" * 50000 + "]" * 50000 +
                     "} : () -> ()\n  return\n}\n", "error: nesting deeper than 100 levels"),
    "nested-600": ('func.func @f() -> () {\n  "tf.NoOp"() {a = ' + "[" * 600 + "]" * 600 +
                   "} : () -> ()\n  return\n}\n", "error: nesting deeper than 100 levels"),
    "nested-dicts": ('func.func @f() -> () {\n  "tf.NoOp"() {a = ' + "{b = " * 300 + "1" + "}" * 300 +
                     "} : () -> ()\n  return\n}\n", "error: nesting deeper than 100 levels"),
    "nested-dense-literal": ('func.func @f() -> () {\n  %0 = "tf.Const"() {value = dense<' + "[" * 3000 + "1" +
                             "]" * 3000 + "> : tensor<i32>} : () -> tensor<i32>\n  return\n}\n",
                             "error: nesting deeper than 100 levels"),
    "nested-resource-types": ("func.func @f(%x: " + "tensor<!tf_type.resource<" * 400 + "tensor<f32>" +
                              ">>" * 400 + ") -> () {\n  return\n}\n", "error: nesting deeper than 100 levels"),
    "control-attribute": ('func.func @f() -> () {\n  "tf.NoOp"() {a = !tf_executor.control} : () -> ()\n'
                          '  return\n}\n', "2:20: error: '!tf_executor.control' is not an attribute value"),
    "bad-tensor-proto-hex": ('func.func @f() -> () {\n  "tf.NoOp"() {a = #tf_type.tensor_proto<"0xZZ"> : '
                             'tensor<f32>} : () -> ()\n  return\n}\n', "tensor_proto needs a hex string"),
}


@pytest.mark.parametrize("case", sorted(IR_CASES))
def test_ir_text_errors_are_one_line_with_a_position(tmp_path, case):
    text, needle = IR_CASES[case]
    src = tmp_path / "in.mlir"
    src.write_text(text, encoding="utf-8")
    out = tmp_path / "o.mlir"
    r = run_cli("smopt", str(src), "-o", str(out))
    line = one_line_failure(r, needle)
    assert line.startswith(f"{src}:"), line
    assert not out.exists()


# ---- 3. corrupt checkpoints are caught before anything is written ----------------------
def _data_file(model):
    return next((model / "variables").glob("variables.data-*"))


def _garbage_index(model):
    (model / "variables" / "variables.index").write_bytes(b"xx")


def _truncated_data(model):
    p = _data_file(model)
    p.write_bytes(p.read_bytes()[:100])


def _flipped_byte(model):
    p = _data_file(model)
    b = bytearray(p.read_bytes())
    b[10] ^= 0xFF
    p.write_bytes(bytes(b))


CHECKPOINT_DAMAGE = {
    "garbage-index": (_garbage_index, "corrupt checkpoint index", "variables.index",
                      "file is too short to be an sstable"),
    "truncated-data": (_truncated_data, "corrupt checkpoint data", "variables.data-", "Read less bytes than requested"),
    "flipped-byte": (_flipped_byte, "corrupt checkpoint data", "variables.data-", "Checksum does not match"),
}


@pytest.mark.parametrize("options", [IDENTITY, 'tpu_functions { function_alias: "tpu_func" }'])
@pytest.mark.parametrize("damage", sorted(CHECKPOINT_DAMAGE))
def test_corrupt_checkpoint_fails_before_writing(model, tmp_path, damage, options):
    change, *needles = CHECKPOINT_DAMAGE[damage]
    change(model)
    out = tmp_path / "out"
    r = run_cli("smopt-convert", "--input_model_dir", str(model), "--output_model_dir", str(out),
                "--converter_options_string", options)
    one_line_failure(r, *needles)  # one line: no TensorFlow or absl log lines before it
    assert not out.exists()
    assert not [n for n in os.listdir(tmp_path) if n.startswith(".")]


def test_checkpoint_of_another_model(model, example_model, tmp_path):
    shutil.rmtree(model / "variables")
    shutil.copytree(os.path.join(example_model("keras_cnn"), "variables"), model / "variables")
    r = run_cli("smopt-convert", "--input_model_dir", str(model), "--output_model_dir", str(tmp_path / "out"),
                "--converter_options_string", IDENTITY)
    one_line_failure(r, "variables.index' has no value for variable")
    assert not (tmp_path / "out").exists()


# ---- 4. files passes write appear only when everything succeeded ----------------------
def test_pass_output_file_not_left_when_a_later_pass_fails(tmp_path, ok_ir):
    graph = tmp_path / "graph.dot"
    r = run_cli("smopt", str(ok_ir), "-p", f"call-graph{{format=dot output={graph}}},test-fail",
                "-o", str(tmp_path / "o.mlir"))
    one_line_failure(r, "pass 'test-fail' failed")
    assert sorted(os.listdir(tmp_path)) == ["ok.mlir"]
    graph.write_text("previous\n")
    r = run_cli("smopt", str(ok_ir), "-p", f"call-graph{{format=dot output={graph}}},test-crash")
    one_line_failure(r, "pass 'test-crash' failed")
    assert graph.read_text() == "previous\n"
    r = run_cli("smopt", str(ok_ir), "-p", f"call-graph{{format=dot output={graph}}},cse", "-o",
                str(tmp_path / "o.mlir"))
    assert r.returncode == 0, r.stderr
    assert graph.read_text().startswith("digraph") and (tmp_path / "o.mlir").exists()
    assert sorted(os.listdir(tmp_path)) == ["graph.dot", "o.mlir", "ok.mlir"]


def test_report_json_not_left_when_export_fails(example_model, tmp_path, monkeypatch):
    from smopt.compiler import convert as convert_mod
    from smopt.compiler.errors import SmoptError

    def failing_export(*a, **k):
        raise SmoptError("export failed (simulated)")

    monkeypatch.setattr(convert_mod, "export_saved_model", failing_export)
    report = tmp_path / "report.json"
    with pytest.raises(SmoptError, match="simulated"):
        convert_mod.convert(example_model("alias"), str(tmp_path / "out"),
                            'tpu_functions { function_alias: "tpu_func" }', target="cpu",
                            report_json=str(report))
    assert os.listdir(tmp_path) == []


# ---- 5. --debug ---------------------------------------------------------------------------
def test_crash_in_a_pass_traceback_with_debug(tmp_path, ok_ir):
    repro = tmp_path / "r.mlir"
    r = run_cli("smopt", str(ok_ir), "-p", "cse,test-crash", "--reproducer", str(repro))
    one_line_failure(r, "pass 'test-crash' failed: crashed with RuntimeError: boom", str(repro))
    assert "// configuration: -p 'test-crash'" in repro.read_text()  # a crash still writes it
    r = run_cli("smopt", str(ok_ir), "-p", "cse,test-crash", "--debug")
    assert r.returncode == 1
    assert "Traceback (most recent call last)" in r.stderr and "test_passes.py" in r.stderr
    assert r.stderr.splitlines()[-1] == "smopt: error: pass 'test-crash' failed: crashed with RuntimeError: boom"
    env_debug = run_env({"SMOPT_DEBUG": "1"}, "smopt", str(ok_ir), "-p", "test-crash")
    assert "Traceback (most recent call last)" in env_debug.stderr


@pytest.mark.parametrize("tool", ["smopt", "smopt-convert", "smopt-optimize"])
def test_internal_error_is_one_line_and_traceback_with_debug(tool, tmp_path, monkeypatch, capsys):
    """A bug in smopt (simulated: the importer raises KeyError) is one line and exit status 2;
    --debug prints the traceback."""
    import importlib
    from smopt.compiler import importer, model_io
    mod = importlib.import_module({"smopt": "smopt.tools.smopt", "smopt-convert": "smopt.tools.smopt_convert",
                                   "smopt-optimize": "smopt.tools.smopt_optimize"}[tool])

    def bug(*a, **k):
        raise KeyError("simulated bug")

    monkeypatch.setattr(importer, "read_saved_model_proto", bug)
    monkeypatch.setattr(model_io, "load_module", bug)
    model = tmp_path / "m"
    model.mkdir()
    (model / "saved_model.pb").write_bytes(b"")
    args = ([str(model), "-o", str(tmp_path / "o")] if tool == "smopt" else
            ["--input_model_dir", str(model), "--output_model_dir", str(tmp_path / "o")])
    if tool == "smopt-convert":
        args += ["--converter_options_string", IDENTITY]
    assert mod.main(args) == 2
    err = capsys.readouterr().err
    assert err == f"{tool}: error: internal error: KeyError: 'simulated bug' (rerun with --debug for the traceback)\n"
    assert mod.main(args + ["--debug"]) == 2
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err and "simulated bug" in err
    assert not (tmp_path / "o").exists()


# ---- 6. options smopt would ignore are refused --------------------------------------------
QUANT_REFUSED = {
    "debugger_config { debugger_type: DEBUGGER_TYPE_WHOLE_MODEL }": "debugger_config",
    "force_graph_mode_calibration: true enable_two_input_tensors: true": "enable_two_input_tensors",
    "experimental_enable_tpu_model_support: true": "experimental_enable_tpu_model_support",
    "calibration_options { calibration_parameters { num_bins: 256 } }": "calibration_options.calibration_parameters",
    "calibration_options { calibration_data_dir: '/tmp/x' }": "calibration_options.calibration_data_dir",
    "calibration_options { force_regenerate_calibration_data: true }":
        "calibration_options.force_regenerate_calibration_data",
}


@pytest.mark.parametrize("text", sorted(QUANT_REFUSED))
def test_ignored_quantization_options_are_refused(text):
    from smopt.compiler.errors import SmoptError
    from smopt.compiler.options import check_converter_options, parse_converter_options
    opts = parse_converter_options(f"external_feature_configs {{ quantization_options {{ {text} }} }}")
    with pytest.raises(SmoptError, match=f"field '{QUANT_REFUSED[text]}' is not supported"):
        check_converter_options(opts)


def test_honoured_quantization_options_pass_the_check():
    from smopt.compiler.options import check_converter_options, parse_converter_options
    opts = parse_converter_options("""external_feature_configs { quantization_options {
        quantization_method { preset_method: METHOD_DYNAMIC_RANGE_INT8 } op_set: XLA
        tags: "serve" signature_keys: "serving_default" min_num_elements_for_weights: 10
        freeze_all_variables: false enable_per_channel_quantization: true
        force_graph_mode_calibration: true enable_two_input_tensors: false
        calibration_options { calibration_method: CALIBRATION_METHOD_MIN_MAX }
        representative_datasets { key: "serving_default" value { tfrecord_file_path: "x" } } } }""")
    check_converter_options(opts)


def test_number_out_of_range_in_options():
    """Found by the fuzzer: protobuf raises ValueError (not ParseError) beyond int64."""
    from smopt.compiler.errors import SmoptError
    from smopt.compiler.options import parse_converter_options
    with pytest.raises(SmoptError, match="cannot parse --converter_options_string: .*Value out of range"):
        parse_converter_options("batch_options { max_batch_size: -9223372036854775809 }")


def test_every_converter_options_field_is_known():
    """A field added to ConverterOptions must be mapped in compiler/pipelines.py (and listed in
    compiler/options.py CONVERTER_FIELDS) or it is refused rather than silently dropped."""
    from smopt.compiler.options import CONVERTER_FIELDS, converter_options_class
    top = {p.split(".")[0] for p in CONVERTER_FIELDS}
    assert {f.name for f in converter_options_class().DESCRIPTOR.fields} <= top


def test_ignored_option_refused_by_the_cli_before_work(model, tmp_path):
    (model / "saved_model.pb").write_bytes(b"corrupt")  # proves the check comes first
    r = run_cli("smopt-convert", "--input_model_dir", str(model), "--output_model_dir", str(tmp_path / "out"),
                "--converter_options_string",
                "external_feature_configs { quantization_options { debugger_config { log_dir_path: 'x' } } }")
    one_line_failure(r, "quantization_options: field 'debugger_config' is not supported")
