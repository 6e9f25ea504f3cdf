"""The real-world corpus through every pipeline (tests/corpus/, issue 13).

`bash tools/dev test` runs the fast tier (a few models per library); `SMOPT_CORPUS=full`
(or `bash tools/dev test --full-corpus`) runs every model. Each model is built once per
session and runs all pipelines once; each (model, pipeline) pair is its own test so that a
failure names both. `benchmarks/corpus.py` prints the same results as a table.
"""
import os

import pytest

from tests.corpus import MODELS, build
from tests.corpus.run import PIPELINES, run_model

TIER = os.environ.get("SMOPT_CORPUS", "fast")
if TIER not in ("fast", "full"):
    raise ValueError(f"SMOPT_CORPUS must be fast or full, not {TIER!r}")
SELECTED = [name for name, cm in MODELS.items() if cm.fast or TIER == "full"]


@pytest.fixture(scope="session")
def corpus_results(tmp_path_factory):
    root = tmp_path_factory.mktemp("corpus")
    cache = {}

    def get(name):
        if name not in cache:
            path = build(name, str(root / "models"))
            cache[name] = run_model(MODELS[name], path, str(root / "work"))
        return cache[name]

    return get


@pytest.mark.parametrize("pipeline", PIPELINES)
@pytest.mark.parametrize("name", SELECTED)
def test_corpus(corpus_results, name, pipeline):
    result = corpus_results(name)[pipeline]
    assert result.passed, f"{name} / {pipeline}: {result.detail}"


def test_corpus_covers_every_library():
    libraries = {cm.library for cm in MODELS.values()}
    assert {"tf", "tf_keras", "keras", "keras_hub", "tf_text"} <= libraries, libraries
    fast = {cm.library for cm in MODELS.values() if cm.fast}
    assert fast == libraries, f"libraries without a fast model: {libraries - fast}"


def test_optimize_cli_registers_custom_ops(tmp_path):
    """smopt-optimize runs the model in TensorFlow (precompilation timing), which needs the
    custom ops' kernels: without --custom_op_module it fails with one line that names the op
    and the flag, and writes nothing; with it the output serves like the original."""
    import numpy as np

    from tests.conftest import run_cli
    from tests.corpus.run import rel_error, run_signature
    name = "tf_text.fast_wordpiece"
    src = build(name, str(tmp_path / "models"))
    out = str(tmp_path / "out")
    flags = ["--input_model_dir", src, "--output_model_dir", out, "--allow_precompilation=true"]
    p = run_cli("smopt-optimize", *flags)
    assert p.returncode == 1 and not os.path.exists(out), p.stderr
    (line,) = p.stderr.strip().splitlines()
    assert "is not registered" in line and "--custom_op_module" in line, line
    p = run_cli("smopt-optimize", *flags, "--custom_op_module", "no_such_module")
    assert p.returncode == 1 and "cannot import custom op module 'no_such_module'" in p.stderr
    assert not os.path.exists(out)
    p = run_cli("smopt-optimize", *flags, "--custom_op_module", "tensorflow_text")
    assert p.returncode == 0, p.stderr
    cm = MODELS[name]
    import tensorflow_text  # noqa: F401  (this process runs both models)
    feed = cm.inputs(1)
    ref, got = run_signature(src, feed, cm.signature), run_signature(out, feed, cm.signature)
    assert rel_error(ref, got) <= 1e-4 and np.isfinite(rel_error(ref, got))
