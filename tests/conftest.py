"""Shared fixtures: example SavedModels are built once per test session."""
import os
import subprocess
import sys

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# The pass-manager test passes (test-fail, test-crash, test-break-ir) exist only for tests.
os.environ.setdefault("SMOPT_TEST_PASSES", "1")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from smopt.compiler import examples  # noqa: E402


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="session")
def example_model(models_dir):
    """example_model(name) -> path of the built SavedModel (built on first request)."""
    cache = {}

    def get(name):
        if name not in cache:
            path = str(models_dir / name)
            if name in examples.EXAMPLES:
                examples.EXAMPLES[name](path)
            elif name == "tf1":
                examples.build_tf1_model(path)
            else:
                examples.build_keras_application(path, name)
            cache[name] = path
        return cache[name]

    return get


def run_cli(*args, stdin=None):
    """Run a console script (smopt, smopt-convert) as a user would; returns CompletedProcess."""
    exe = os.path.join(os.path.dirname(sys.executable), args[0])
    return subprocess.run([exe, *args[1:]], capture_output=True, text=True, input=stdin)
