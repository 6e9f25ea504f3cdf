"""Custom gradients in SavedModels (tf.custom_gradient, Keras 2's swish/EfficientNet).

TensorFlow saves a custom gradient as a gradient function registered for the forward op's
`_gradient_op_type`; the gradient function captures forward tensors by node name through
`captured_tensor` object-graph nodes, and its body may have control inputs from its own
arguments (`^result_grads_0`).
"""
import os
import shutil

import numpy as np
import pytest

from conftest import run_cli


def _tf():
    import tensorflow as tf
    return tf


def build_custom_gradient_model(path):
    tf = _tf()

    @tf.custom_gradient
    def scaled_swish(x):
        s = tf.sigmoid(x)
        y = x * s

        def grad(upstream):
            with tf.control_dependencies([upstream]):  # ^upstream: a control input from an argument
                return upstream * (s + y * (1.0 - s)) * 2.0  # deliberately not the true gradient
        return y, grad

    class M(tf.Module):
        def __init__(self):
            super().__init__()
            rng = np.random.default_rng(0)
            self.w = tf.Variable(rng.normal(size=(8, 4)).astype(np.float32))

        @tf.function(input_signature=[tf.TensorSpec([None, 8], tf.float32)])
        def serve(self, x):
            return {"y": tf.matmul(scaled_swish(x * 1.5 + 0.25), self.w)}

    m = M()
    tf.saved_model.save(m, path, signatures={"serving_default": m.serve.get_concrete_function()})


def _outputs_and_grad(path, x):
    tf = _tf()
    loaded = tf.saved_model.load(path)
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        y = loaded.serve(xt)["y"]
    return y.numpy(), tape.gradient(y, xt)


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("cg") / "model")
    build_custom_gradient_model(path)
    return path


X = np.random.default_rng(1).normal(size=(3, 8)).astype(np.float32)


def test_identity_export_keeps_the_custom_gradient(model, tmp_path):
    out = str(tmp_path / "out")
    r = run_cli("smopt-convert", "--input_model_dir", model, "--output_model_dir", out,
                "--converter_options_string", "disable_default_optimizations: true")
    assert r.returncode == 0, r.stderr
    y0, g0 = _outputs_and_grad(model, X)
    y1, g1 = _outputs_and_grad(out, X)
    np.testing.assert_array_equal(y0, y1)
    assert g0 is not None and g1 is not None
    np.testing.assert_allclose(g0.numpy(), g1.numpy(), rtol=1e-6)


def test_precompiled_model_loads_when_forward_tensors_moved(model, tmp_path):
    """xla-cluster moves the forward tensors the gradient captured into a cluster: the gradient
    registration is dropped, the model still loads and serves the same outputs."""
    out = str(tmp_path / "pc")
    r = run_cli("smopt-optimize", "--input_model_dir", model, "--output_model_dir", out,
                "--allow_precompilation=true")
    assert r.returncode == 0, r.stderr
    y0, _ = _outputs_and_grad(model, X)
    loaded = _tf().saved_model.load(out)
    y1 = loaded.signatures["serving_default"](x=_tf().constant(X))["y"].numpy()
    np.testing.assert_allclose(y1, y0, rtol=1e-4, atol=1e-5)
