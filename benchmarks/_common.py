"""Shared benchmark plumbing: best-of-N timing and the ResNet-50 export both scripts use."""
from __future__ import annotations

import os
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def best_of(n, fn):
    """The fastest of `n` runs of `fn()`, in seconds (the least noisy estimate)."""
    best = float("inf")
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def resnet50_export(path=None):
    """A ResNet-50 (weights=None) SavedModel, built on first use."""
    path = path or os.path.join(tempfile.gettempdir(), "smopt-bench-resnet50")
    if not os.path.exists(os.path.join(path, "saved_model.pb")):
        from smopt.compiler.examples import build_keras_application
        print(f"building ResNet50 (weights=None) in {path} ...", flush=True)
        build_keras_application(path, "ResNet50")
    return path
