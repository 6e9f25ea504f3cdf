"""Fault safety (issue 15): a crash, a full disk, a read-only output or a second conversion
into the same place never leaves a partial output, never touches the input, and fails in one
line.

Crashes are real: the tools run as processes and get SIGKILL at a chosen moment. The moment
is chosen with the test-only hook SMOPT_FAULT_INJECT (compiler/model_io.fault_point):
`POINT=stop` makes the process stop itself there (SIGSTOP), the test then kills it (or lets it
go on with SIGCONT, to interleave two conversions deterministically); `POINT=enospc|erofs`
raises the OSError a full disk or a read-only file system gives at that point.
"""
import errno
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from conftest import run_cli
from test_trust import IDENTITY, one_line_failure, tree_digest

BF16 = 'tpu_functions { function_alias: "tpu_func" }'   # rewrites variables/ (bfloat16)
TEMP = re.compile(r"\.(.*)\.smopt-tmp-.+-[0-9]+-[A-Za-z0-9_]+$")
LOCK = re.compile(r"\.(.*)\.smopt-lock$")   # left only by a run killed while publishing


@pytest.fixture
def model(example_model, tmp_path):
    """A private copy of the small example SavedModel (a TPU alias, two variables)."""
    d = tmp_path / "model"
    shutil.copytree(example_model("alias"), d)
    return str(d)


def exe(tool):
    return os.path.join(os.path.dirname(sys.executable), tool)


def convert_args(model, out, options=IDENTITY, *extra):
    return ["smopt-convert", "--input_model_dir", model, "--output_model_dir", out,
            "--converter_options_string", options, "--target", "cpu", *extra]


def spawn(args, fault=None):
    env = dict(os.environ)
    env.pop("SMOPT_FAULT_INJECT", None)
    if fault:
        env["SMOPT_FAULT_INJECT"] = fault
    return subprocess.Popen([exe(args[0]), *args[1:]], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)


def state(p):
    try:
        with open(f"/proc/{p.pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return "gone"


def wait_stopped(p, timeout=60):
    """Wait until `p` stopped itself at its fault point (it must not finish first)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if state(p) == "T":
            return
        if p.poll() is not None:
            out, err = p.communicate()
            pytest.fail(f"the process ended (exit {p.returncode}) before its fault point: {err}")
        time.sleep(0.02)
    p.kill()
    pytest.fail("the process did not reach its fault point")


def kill(p):
    p.send_signal(signal.SIGKILL)
    p.communicate()
    assert p.returncode == -signal.SIGKILL


def finished(p, timeout=120):
    """Wait for `p`; its stderr text replaces the pipe (for one_line_failure)."""
    _, p.stderr = p.communicate(timeout=timeout)
    return p


def resume(p, timeout=120):
    """Let a stopped process go on, and wait for it."""
    p.send_signal(signal.SIGCONT)
    return finished(p, timeout)


def entries(d):
    return sorted(os.listdir(d))


def temps(d):
    return [n for n in entries(d) if TEMP.match(n)]


def assert_nothing_published(parent, out, *keep):
    """No output at `out`; beside it only the inputs/outputs in `keep` and recognisable
    leftovers of killed runs (`.NAME.smopt-tmp-HOST-PID-XXXX`, `.NAME.smopt-lock`, hidden)."""
    assert not os.path.lexists(out)
    others = [n for n in entries(parent) if n not in keep and not TEMP.match(n) and not LOCK.match(n)]
    assert others == [], others


def serve(model_dir):
    """serving_default of `model_dir` in TensorFlow on the example's inputs."""
    import tensorflow as tf
    from smopt.compiler import examples
    loaded = tf.saved_model.load(model_dir)
    out = loaded.signatures["serving_default"](**{k: tf.constant(v) for k, v in
                                                   examples.example_inputs("alias").items()})
    return {k: v.numpy() for k, v in out.items()}


def check_loads(model_dir, reference):
    got, want = serve(model_dir), serve(reference)
    assert sorted(got) == sorted(want)
    for k in want:
        np.testing.assert_allclose(got[k], want[k], rtol=2e-2, atol=2e-2)


def variables_dtypes(model_dir):
    import tensorflow as tf
    r = tf.train.load_checkpoint(os.path.join(model_dir, "variables", "variables"))
    return {k: v.name for k, v in r.get_variable_to_dtype_map().items() if not k.startswith("_")}


# ---- 1. SIGKILL at every moment ------------------------------------------------------------
@pytest.mark.parametrize("options,point", [
    (IDENTITY, "import"),        # reading the input
    (IDENTITY, "export"),        # the temporary output holds saved_model.pb only
    (IDENTITY, "variables"),     # half-way through copying variables/
    (BF16, "variables"),         # before TensorFlow writes the rewritten checkpoint
    (IDENTITY, "finished"),      # complete, not yet published
    (IDENTITY, "publish"),       # under the publish lock, just before the rename
])
def test_sigkill_leaves_no_output_and_the_input_untouched(model, tmp_path, options, point):
    out = str(tmp_path / "out")
    before = tree_digest(model)
    p = spawn(convert_args(model, out, options), fault=f"{point}=stop")
    wait_stopped(p)
    kill(p)
    assert_nothing_published(str(tmp_path), out, "model")
    assert tree_digest(model) == before
    left = temps(str(tmp_path))
    if point != "import":
        assert len(left) == 1 and f"-{p.pid}-" in left[0], left   # the killed run's temporary
    # The next conversion to the same place removes the killed run's temporary and succeeds.
    r = run_cli(*convert_args(model, out, options))
    assert r.returncode == 0, r.stderr
    assert entries(str(tmp_path)) == ["model", "out"]
    assert tree_digest(model) == before
    check_loads(out, model)


def test_sigkill_during_the_passes(model, tmp_path):
    """Killed while the passes run (the dump directory shows how far they got)."""
    out, dumps = str(tmp_path / "out"), str(tmp_path / "dumps")
    before = tree_digest(model)
    p = spawn(convert_args(model, out, BF16, "--dump_dir", dumps))
    end = time.monotonic() + 60
    while not (os.path.isdir(dumps) and len(os.listdir(dumps)) >= 3) and p.poll() is None:
        assert time.monotonic() < end, "no pass ran"
        time.sleep(0.01)
    assert p.poll() is None, "the conversion ended before it could be killed"
    kill(p)
    assert_nothing_published(str(tmp_path), out, "model", "dumps")
    assert temps(str(tmp_path)) == []     # the export never started
    assert tree_digest(model) == before
    # its scratch directory goes with the next run
    import tempfile
    work = [n for n in os.listdir(tempfile.gettempdir()) if n.startswith("smopt-work-") and f"-{p.pid}-" in n]
    assert len(work) == 1
    r = run_cli(*convert_args(model, str(tmp_path / "out2")))
    assert r.returncode == 0, r.stderr
    assert not os.path.exists(os.path.join(tempfile.gettempdir(), work[0]))


@pytest.mark.parametrize("point", ["publish", "replaced"])
def test_sigkill_while_overwriting(model, tmp_path, point):
    """--overwrite swaps the new output for the old one in one step: killed before the swap
    the old output is intact, killed after it the new one is complete."""
    out = str(tmp_path / "out")
    assert run_cli(*convert_args(model, out, IDENTITY)).returncode == 0
    old = tree_digest(out)
    p = spawn(convert_args(model, out, BF16, "--overwrite"), fault=f"{point}=stop")
    wait_stopped(p)
    kill(p)
    if point == "publish":
        assert tree_digest(out) == old
    else:
        assert tree_digest(out) != old
        assert set(variables_dtypes(out).values()) == {"bfloat16"}
        check_loads(out, model)
    assert [n for n in entries(str(tmp_path)) if n not in ("model", "out") and not TEMP.match(n)
            and not LOCK.match(n)] == []
    r = run_cli(*convert_args(model, out, IDENTITY, "--overwrite"))
    assert r.returncode == 0, r.stderr
    assert entries(str(tmp_path)) == ["model", "out"]


def test_sigkill_smopt_optimize_with_warmup(model, tmp_path):
    """smopt-optimize publishes the same way: killed with its warm-up file written."""
    out = str(tmp_path / "out")
    before = tree_digest(model)
    p = spawn(["smopt-optimize", "--input_model_dir", model, "--output_model_dir", out,
               "--allow_precompilation=true"], fault="finished@out=stop")
    wait_stopped(p)
    tmp = temps(str(tmp_path))
    assert len(tmp) == 1
    assert os.path.exists(os.path.join(str(tmp_path), tmp[0], "assets.extra", "tf_serving_warmup_requests"))
    kill(p)
    assert_nothing_published(str(tmp_path), out, "model")
    assert tree_digest(model) == before


def test_sigkill_smopt_output_file(tmp_path):
    """smopt -o: killed after writing its temporary, before the rename: the old file stays."""
    from test_trust import OK_IR
    src = tmp_path / "in.mlir"
    src.write_text(OK_IR)
    out = tmp_path / "o.mlir"
    out.write_text("old\n")
    p = spawn(["smopt", str(src), "-p", "canonicalize", "-o", str(out)], fault="write=stop")
    wait_stopped(p)
    kill(p)
    assert out.read_text() == "old\n"
    assert len(temps(str(tmp_path))) == 1
    r = run_cli("smopt", str(src), "-p", "canonicalize", "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert "tf.Neg" in out.read_text()
    assert entries(str(tmp_path)) == ["in.mlir", "o.mlir"]


# ---- 2. full disk, read-only output --------------------------------------------------------
@pytest.mark.parametrize("fault,reason", [("enospc", "No space left on device"),
                                          ("erofs", "Read-only file system")])
@pytest.mark.parametrize("options,point", [(IDENTITY, "export"), (IDENTITY, "variables"),
                                           (BF16, "variables"), (IDENTITY, "publish")])
def test_write_failure_is_one_line_and_leaves_nothing(model, tmp_path, fault, reason, options, point):
    out = str(tmp_path / "out")
    before = tree_digest(model)
    r = subprocess.run([exe("smopt-convert"), *convert_args(model, out, options)[1:]], capture_output=True,
                       text=True, env={**os.environ, "SMOPT_FAULT_INJECT": f"{point}={fault}"})
    line = one_line_failure(r, reason, f"'{out}'")
    assert line.startswith("smopt-convert: error: cannot write")
    assert entries(str(tmp_path)) == ["model"]    # no output, no temporary, no lock
    assert tree_digest(model) == before


def test_write_failure_smopt_optimize_and_smopt_o(model, tmp_path):
    out = str(tmp_path / "out")
    r = subprocess.run([exe("smopt-optimize"), "--input_model_dir", model, "--output_model_dir", out],
                       capture_output=True, text=True, env={**os.environ, "SMOPT_FAULT_INJECT": "publish@out=enospc"})
    one_line_failure(r, "No space left on device", f"'{out}'")
    o = str(tmp_path / "o.mlir")
    r = subprocess.run([exe("smopt"), model, "-o", o], capture_output=True, text=True,
                       env={**os.environ, "SMOPT_FAULT_INJECT": "write=erofs"})
    one_line_failure(r, "Read-only file system", f"'{o}'")
    assert entries(str(tmp_path)) == ["model"]


def test_full_disk_in_tensorflow_writer(model, tmp_path, monkeypatch, capsys):
    """TensorFlow's checkpoint writer reports a full disk as an OpError: one line too."""
    import tensorflow as tf
    from smopt.tools import smopt_convert

    def full(**kw):
        raise tf.errors.ResourceExhaustedError(None, None, "variables.data-00000-of-00001: No space left on device")

    monkeypatch.setattr(tf.raw_ops, "SaveV2", full)
    out = str(tmp_path / "out")
    assert smopt_convert.main(convert_args(model, out, BF16)[1:]) == 1
    err = [l for l in capsys.readouterr().err.splitlines() if l.strip()]
    assert err == [f"smopt-convert: error: cannot write the variables of '{out}': "
                   "variables.data-00000-of-00001: No space left on device"]
    assert entries(str(tmp_path)) == ["model"]


def test_read_only_rename_in_process(model, tmp_path, monkeypatch, capsys):
    """The publishing rename itself fails (a read-only file system, simulated in-process)."""
    from smopt.compiler import model_io
    from smopt.tools import smopt_convert

    def erofs(a, b):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), b)

    monkeypatch.setattr(model_io.os, "rename", erofs)
    out = str(tmp_path / "out")
    assert smopt_convert.main(convert_args(model, out)[1:]) == 1
    err = [l for l in capsys.readouterr().err.splitlines() if l.strip()]
    assert err == [f"smopt-convert: error: cannot write '{out}': Read-only file system"]
    assert entries(str(tmp_path)) == ["model"]


# ---- 3. two conversions into the same output directory -------------------------------------
@pytest.mark.parametrize("point", ["import", "finished"])
@pytest.mark.parametrize("overwrite", [False, True])
def test_second_conversion_publishing_first_wins(model, tmp_path, overwrite, point):
    """A (identity) is stopped while importing or with its output complete; B (bfloat16)
    publishes meanwhile; A then fails in one line and leaves B's output as it is."""
    out = str(tmp_path / "out")
    flag = ["--overwrite"] if overwrite else []
    if overwrite:
        assert run_cli(*convert_args(model, out, IDENTITY)).returncode == 0
    a = spawn(convert_args(model, out, IDENTITY, *flag), fault=f"{point}=stop")
    wait_stopped(a)
    b = finished(spawn(convert_args(model, out, BF16, *flag)))
    assert b.returncode == 0, b.stderr
    winner = tree_digest(out)
    a = resume(a)
    what = "changed" if overwrite else "appeared"
    one_line_failure(a, f"output directory '{out}' {what} during the conversion", "nothing was written")
    assert tree_digest(out) == winner
    assert set(variables_dtypes(out).values()) == {"bfloat16"}      # B's, not a mix
    check_loads(out, model)
    assert entries(str(tmp_path)) == ["model", "out"]


def test_publish_waits_for_the_lock_and_a_killed_holder_releases_it(model, tmp_path):
    """A holds the publish lock (stopped there); B finishes its work and waits; A is killed:
    the kernel drops A's lock, B publishes, and the next run removes A's temporary."""
    out = str(tmp_path / "out")
    a = spawn(convert_args(model, out, IDENTITY), fault="publish=stop")
    wait_stopped(a)
    assert os.path.exists(os.path.join(str(tmp_path), ".out.smopt-lock"))
    b = spawn(convert_args(model, out, BF16))
    end = time.monotonic() + 60
    while not any(f"-{b.pid}-" in n and os.path.exists(os.path.join(str(tmp_path), n, "fingerprint.pb"))
                  for n in temps(str(tmp_path))):
        assert b.poll() is None, b.communicate()
        assert time.monotonic() < end
        time.sleep(0.02)
    time.sleep(0.5)
    assert b.poll() is None          # complete, and waiting for the lock
    assert not os.path.exists(out)
    kill(a)
    b = finished(b)
    assert b.returncode == 0, b.stderr
    assert set(variables_dtypes(out).values()) == {"bfloat16"}
    left = temps(str(tmp_path))
    assert len(left) == 1 and f"-{a.pid}-" in left[0]
    assert not os.path.exists(os.path.join(str(tmp_path), ".out.smopt-lock"))
    r = run_cli(*convert_args(model, str(tmp_path / "out2"), IDENTITY))
    assert r.returncode == 0
    assert temps(str(tmp_path)) == left     # another output's run leaves it alone
    r = run_cli(*convert_args(model, out, IDENTITY, "--overwrite"))
    assert r.returncode == 0, r.stderr
    assert entries(str(tmp_path)) == ["model", "out", "out2"]


def test_two_conversions_at_once(model, tmp_path):
    """Started together, unsynchronised: one wins, the other fails in one line."""
    out = str(tmp_path / "out")
    before = tree_digest(model)
    procs = [spawn(convert_args(model, out, opts)) for opts in (IDENTITY, BF16)]
    done = [finished(p) for p in procs]
    codes = sorted(p.returncode for p in done)
    assert codes == [0, 1], [(p.returncode, p.stderr) for p in done]
    loser = next(p for p in done if p.returncode == 1)
    line = one_line_failure(loser, f"'{out}'")
    assert ("appeared during the conversion" in line or "is not empty" in line), line
    winner = next(i for i, p in enumerate(done) if p.returncode == 0)
    want = {"float32"} if winner == 0 else {"bfloat16"}
    assert set(variables_dtypes(out).values()) == want
    check_loads(out, model)
    assert entries(str(tmp_path)) == ["model", "out"]
    assert tree_digest(model) == before


def test_two_smopt_outputs_at_once(tmp_path):
    """smopt -o replaces a file by rename: with two writers the file holds one complete text."""
    from test_trust import OK_IR
    src = tmp_path / "in.mlir"
    src.write_text(OK_IR)
    out = tmp_path / "o.mlir"
    a = spawn(["smopt", str(src), "-o", str(out)], fault="write=stop")
    wait_stopped(a)
    b = finished(spawn(["smopt", str(src), "-p", "test-fail", "--no-verify-each", "-o", str(out)]))
    assert b.returncode == 1 and not out.exists()      # a failing run writes nothing
    b = finished(spawn(["smopt", str(src), "--summary", "-o", str(out)]))
    assert b.returncode == 0 and out.read_text().startswith("module")
    a = resume(a)
    assert a.returncode == 0
    assert out.read_text() == run_cli("smopt", str(src)).stdout    # A's text, whole
    assert entries(str(tmp_path)) == ["in.mlir", "o.mlir"]


# ---- the rewritten checkpoint is written in parts -------------------------------------------
def test_rewritten_checkpoint_in_parts(model, tmp_path, monkeypatch):
    """Export writes a rewritten checkpoint part by part (memory: one part at a time), and
    MergeV2Checkpoints joins them: TensorFlow restores the same values."""
    from smopt.compiler import exporter
    from smopt.compiler.convert import convert
    whole = str(tmp_path / "whole")
    convert(model, whole, BF16, target="cpu")
    monkeypatch.setattr(exporter, "SAVE_PART_BYTES", 1)   # one part per checkpoint entry
    parts = str(tmp_path / "parts")
    convert(model, parts, BF16, target="cpu")
    names = os.listdir(os.path.join(parts, "variables"))
    data = sorted(n for n in names if ".data-" in n)
    assert len(data) > 2 and all(n.startswith("variables.data-") for n in data), names
    assert "variables.index" in names and not any(n.startswith("part-") for n in names)
    import tensorflow as tf
    r1 = tf.train.load_checkpoint(os.path.join(whole, "variables", "variables"))
    r2 = tf.train.load_checkpoint(os.path.join(parts, "variables", "variables"))
    assert r1.get_variable_to_dtype_map() == r2.get_variable_to_dtype_map()
    for k in r1.get_variable_to_dtype_map():
        np.testing.assert_array_equal(r1.get_tensor(k), r2.get_tensor(k))
    check_loads(parts, model)
