"""Reference runs of a SavedModel by TensorFlow itself, for numeric comparisons in tests.

- `run_signature(model_dir, feed, signature, amp_bf16, custom_op_modules)`: the outputs of a
  serving signature on `feed`, computed by TensorFlow in a fresh Python process. With
  `amp_bf16=True` grappler's oneDNN bfloat16 auto-mixed-precision rewrite is on
  (`tf.config.optimizer.set_experimental_options({"auto_mixed_precision_onednn_bfloat16":
  True})`), the peer that smopt's default bfloat16 conversion is measured against.
- `rel_error(ref, out)`: max-abs error / max-abs reference output, over all float outputs.

Why a subprocess: the grappler option is process-global and only affects functions
instantiated after it is set, and TensorFlow caches instantiated functions (also across
loads of the same SavedModel); a fresh process per run makes the setting certain and keeps
the test process's TensorFlow state out of it. Run as a script, this file is that process:

    python tests/tf_reference.py MODEL_DIR FEED.npz OUT.npz SIGNATURE AMP(0|1) [MODULE ...]
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile

import numpy as np


def run_signature(model_dir, feed, signature="serving_default", amp_bf16=False, custom_op_modules=()):
    """{output name: numpy array} of `signature` on `feed` ({input name: array}), run by
    TensorFlow in a new process; `custom_op_modules` are imported first (e.g.
    "tensorflow_text", whose ops the model uses)."""
    with tempfile.TemporaryDirectory(prefix="tf_reference_") as tmp:
        feed_path, out_path = os.path.join(tmp, "feed.npz"), os.path.join(tmp, "out.npz")
        np.savez(feed_path, **{k: np.asarray(v) for k, v in feed.items()})
        env = dict(os.environ)
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        cmd = [sys.executable, os.path.abspath(__file__), os.path.abspath(model_dir), feed_path, out_path,
               signature, "1" if amp_bf16 else "0", *custom_op_modules]
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
        if proc.returncode != 0:
            tail = "\n".join(proc.stderr.strip().splitlines()[-15:])
            raise RuntimeError(f"TensorFlow failed to run {model_dir} ({signature}, amp_bf16={amp_bf16}):\n{tail}")
        with np.load(out_path, allow_pickle=True) as z:   # written by this file just now
            return {k: z[k] for k in z.files}


def rel_error(ref, out) -> float:
    """max |out - ref| / max |ref| over the float (and complex) outputs, both maxima taken
    over all of them; inf if the output names or shapes differ or any other output (ints,
    strings) is not equal; 0.0 if nothing differs."""
    if set(ref) != set(out):
        return float("inf")
    num = den = 0.0
    for k, r in ref.items():
        r, o = np.asarray(r), np.asarray(out[k])
        if r.shape != o.shape:
            return float("inf")
        if np.issubdtype(r.dtype, np.inexact):
            wide = np.complex128 if np.iscomplexobj(r) else np.float64
            if r.size:
                num = max(num, float(np.abs(r.astype(wide) - o.astype(wide)).max()))
                den = max(den, float(np.abs(r.astype(wide)).max()))
        elif not np.array_equal(r, o):
            return float("inf")
    if num == 0.0:
        return 0.0
    return num / den if den else float("inf")


def _main(argv):
    model_dir, feed_path, out_path, signature, amp = argv[:5]
    import importlib
    import tensorflow as tf
    # Set before anything is loaded or traced: the rewrite runs when functions instantiate.
    tf.config.optimizer.set_experimental_options({"auto_mixed_precision_onednn_bfloat16": amp == "1"})
    for mod in argv[5:]:
        importlib.import_module(mod)
    with np.load(feed_path, allow_pickle=True) as z:
        feed = {k: tf.constant(z[k]) for k in z.files}
    fn = tf.saved_model.load(model_dir).signatures[signature]
    out = fn(**feed)
    np.savez(out_path, **{k: v.numpy() for k, v in out.items()})


if __name__ == "__main__":
    _main(sys.argv[1:])
