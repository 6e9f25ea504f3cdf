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
