"""A non-editable `pip install .` into a fresh venv: only `smopt` lands in site-packages, the
console scripts run, and the source tree's top-level folders are not importable."""
import os
import subprocess
import sys
import sysconfig

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def fresh_venv(tmp_path_factory):
    venv = tmp_path_factory.mktemp("venv") / "v"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = subprocess.run([str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                          check=True, capture_output=True, text=True).stdout.strip()
    # The dependencies (TensorFlow, ...) come from the test environment's site-packages, added
    # as a plain path: its .pth files (the editable install's finder among them) are not run.
    with open(os.path.join(site, "_deps.pth"), "w") as f:
        f.write(sysconfig.get_path("purelib") + "\n")
    r = subprocess.run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "-q",
                        "--no-deps", "--no-build-isolation", ROOT], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    return venv, site


def test_only_smopt_lands_in_site_packages(fresh_venv):
    _, site = fresh_venv
    ours = sorted(n for n in os.listdir(site) if n != "_deps.pth" and not n.startswith("__pycache__"))
    assert [n for n in ours if not n.startswith("smopt")] == [], ours
    assert "smopt" in ours
    # Data files travel with the packages.
    for rel in ("ir/op_defs.tsv.gz", "passes/data/xla_ops.json", "passes/data/bf16_policy.json",
                "passes/data/bf16_cpu_kernels.json", "compiler/protos/converter_options.binpb"):
        assert os.path.isfile(os.path.join(site, "smopt", rel)), rel


def test_installed_tools_run_and_old_names_do_not_import(fresh_venv, tmp_path):
    venv, _ = fresh_venv
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "SMOPT_TEST_PASSES")}
    run = lambda *cmd: subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True)  # noqa: E731
    r = run(str(venv / "bin" / "smopt"), "--list-passes")
    assert r.returncode == 0, r.stderr
    assert "tpu-batch-function" in r.stdout and "canonicalize" in r.stdout
    assert "test-crash" not in r.stdout          # test passes are not part of the product
    (tmp_path / "m.mlir").write_text(
        'module {\n  func.func @f(%x: tensor<f32>) -> (tensor<f32> {tf.name = "y"}) {\n'
        '    %0 = "tf.Identity"(%x) {T = f32} : (tensor<f32>) -> tensor<f32> loc("i")\n'
        '    return %0 : tensor<f32>\n  }\n}\n')
    r = run(str(venv / "bin" / "smopt"), "m.mlir", "-p", "canonicalize")
    assert r.returncode == 0 and "tf.Identity" not in r.stdout, r.stderr
    for tool in ("smopt-convert", "smopt-optimize"):
        r = run(str(venv / "bin" / tool), "--help")
        assert r.returncode == 0, r.stderr
    for name in ("ir", "passes", "compiler", "tools"):
        r = run(str(venv / "bin" / "python"), "-c", f"import {name}")
        assert r.returncode != 0 and "No module named" in r.stderr, (name, r.stderr)
    r = run(str(venv / "bin" / "python"), "-c", "import smopt.ir, smopt.passes, smopt.compiler.exporter")
    assert r.returncode == 0, r.stderr
