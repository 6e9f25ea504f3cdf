"""Small SavedModels for the TPU conversion tests (tests/test_tpu_conversion.py).

Each builder writes a TF2 SavedModel to `path` and returns it; INPUTS[name] gives the
serving_default inputs for numeric checks. TensorFlow is imported inside the builders only.
Models from compiler/examples.py used as well: "alias", "strings", "keras_cnn".
"""
from __future__ import annotations

import os

import numpy as np


def _tf():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf
    return tf


def _dense_vars(tf, rng, n_in, n_out, name):
    w = tf.Variable((rng.standard_normal((n_in, n_out)) / np.sqrt(n_in)).astype(np.float32), name=name + "_w")
    b = tf.Variable((rng.standard_normal((n_out,)) * 0.1).astype(np.float32), name=name + "_b")
    return w, b


def build_two_tpu(path):
    """Two aliased TPU functions of equal size, both called by the serving function."""
    tf = _tf()

    class Model(tf.Module):
        def __init__(self):
            super().__init__()
            rng = np.random.default_rng(1)
            self.w1, self.b1 = _dense_vars(tf, rng, 8, 8, "d1")
            self.w2, self.b2 = _dense_vars(tf, rng, 8, 8, "d2")

        @tf.function(input_signature=[tf.TensorSpec([None, 8], tf.float32)])
        def tpu_func_1(self, x):
            return tf.nn.relu(tf.matmul(x, self.w1) + self.b1)

        @tf.function(input_signature=[tf.TensorSpec([None, 8], tf.float32)])
        def tpu_func_2(self, x):
            return tf.tanh(tf.matmul(x, self.w2) + self.b2)

        @tf.function(input_signature=[tf.TensorSpec([None, 8], tf.float32)])
        def serve(self, x):
            return {"y": self.tpu_func_1(x) - self.tpu_func_2(x)}

    m = Model()
    tf.saved_model.save(m, path, signatures={"serving_default": m.serve},
                        options=tf.saved_model.SaveOptions(function_aliases={
                            "tpu_func_1": m.tpu_func_1, "tpu_func_2": m.tpu_func_2}))
    return path


def build_nested_direct(path):
    """tpu_outer calls tpu_inner directly; serve calls tpu_outer and also tpu_inner itself."""
    tf = _tf()

    class Model(tf.Module):
        def __init__(self):
            super().__init__()
            rng = np.random.default_rng(2)
            self.w, self.b = _dense_vars(tf, rng, 6, 6, "inner")

        @tf.function(input_signature=[tf.TensorSpec([None, 6], tf.float32)])
        def tpu_inner(self, x):
            return tf.nn.sigmoid(tf.matmul(x, self.w) + self.b)

        @tf.function(input_signature=[tf.TensorSpec([None, 6], tf.float32)])
        def tpu_outer(self, x):
            return self.tpu_inner(x * 2.0) + 1.0

        @tf.function(input_signature=[tf.TensorSpec([None, 6], tf.float32)])
        def serve(self, x):
            return {"a": self.tpu_outer(x), "b": self.tpu_inner(x)}

    m = Model()
    tf.saved_model.save(m, path, signatures={"serving_default": m.serve},
                        options=tf.saved_model.SaveOptions(function_aliases={
                            "tpu_outer": m.tpu_outer, "tpu_inner": m.tpu_inner}))
    return path


def build_nested_helper(path):
    """tpu_a calls a plain helper, which calls tpu_b: the seed's unsupported case."""
    tf = _tf()

    class Model(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([None, 4], tf.float32)])
        def tpu_b(self, x):
            return x * 3.0

        @tf.function(input_signature=[tf.TensorSpec([None, 4], tf.float32)])
        def helper(self, x):
            return self.tpu_b(x) + 1.0

        @tf.function(input_signature=[tf.TensorSpec([None, 4], tf.float32)])
        def tpu_a(self, x):
            return self.helper(x) * 2.0

        @tf.function(input_signature=[tf.TensorSpec([None, 4], tf.float32)])
        def serve(self, x):
            return {"y": self.tpu_a(x)}

    m = Model()
    tf.saved_model.save(m, path, signatures={"serving_default": m.serve},
                        options=tf.saved_model.SaveOptions(function_aliases={
                            "tpu_a": m.tpu_a, "tpu_b": m.tpu_b, "helper": m.helper}))
    return path


def build_jit(path):
    """A jit_compile=True dense layer called by the serving function."""
    tf = _tf()

    class Model(tf.Module):
        def __init__(self):
            super().__init__()
            rng = np.random.default_rng(3)
            self.w, self.b = _dense_vars(tf, rng, 4, 5, "jit")

        @tf.function(jit_compile=True)
        def dense(self, x):
            return tf.matmul(x, self.w) + self.b

        @tf.function(input_signature=[tf.TensorSpec([None, 4], tf.float32)])
        def serve(self, x):
            return {"y": tf.nn.relu(self.dense(x))}

    m = Model()
    tf.saved_model.save(m, path, signatures={"serving_default": m.serve})
    return path


def build_tpu_control_flow(path):
    """tf.cond and tf.while_loop inside the aliased TPU function."""
    tf = _tf()

    class Model(tf.Module):
        def __init__(self):
            super().__init__()
            rng = np.random.default_rng(4)
            self.w, self.b = _dense_vars(tf, rng, 4, 4, "cf")

        @tf.function(input_signature=[tf.TensorSpec([None, 4], tf.float32)])
        def tpu_func(self, x):
            h = tf.matmul(x, self.w) + self.b
            h = tf.cond(tf.reduce_sum(h) > 0.0, lambda: tf.nn.relu(h), lambda: h * 0.5)

            def body(i, acc):
                return i + 1, tf.tanh(tf.matmul(acc, self.w))

            _, h = tf.while_loop(lambda i, acc: i < 3, body, [tf.constant(0), h])
            return h

        @tf.function(input_signature=[tf.TensorSpec([None, 4], tf.float32)])
        def serve(self, x):
            return {"y": self.tpu_func(x)}

    m = Model()
    tf.saved_model.save(m, path, signatures={"serving_default": m.serve},
                        options=tf.saved_model.SaveOptions(function_aliases={"tpu_func": m.tpu_func}))
    return path


def build_big_tpu(path):
    """Nearly all compute in the aliased TPU function (a 3-layer MLP); serve only forwards."""
    tf = _tf()

    class Model(tf.Module):
        def __init__(self):
            super().__init__()
            rng = np.random.default_rng(5)
            self.layers = [_dense_vars(tf, rng, n, m, f"l{i}")
                           for i, (n, m) in enumerate([(32, 64), (64, 64), (64, 8)])]

        @tf.function(input_signature=[tf.TensorSpec([None, 32], tf.float32)])
        def tpu_func(self, x):
            for w, b in self.layers:
                x = tf.nn.relu(tf.matmul(x, w) + b)
            return x

        @tf.function(input_signature=[tf.TensorSpec([None, 32], tf.float32)])
        def serve(self, x):
            return {"y": self.tpu_func(x)}

    m = Model()
    tf.saved_model.save(m, path, signatures={"serving_default": m.serve},
                        options=tf.saved_model.SaveOptions(function_aliases={"tpu_func": m.tpu_func}))
    return path


def build_two_traces(path):
    """The usual export of an aliased function: the signature is a concrete function of `serve`
    traced before saving, so the SavedModel holds two traces of `tpu_func` (the one that
    signature calls and the one the object graph exports), both with the alias."""
    tf = _tf()

    class Model(tf.Module):
        def __init__(self):
            super().__init__()
            rng = np.random.default_rng(3)
            self.w, self.b = _dense_vars(tf, rng, 6, 6, "d")

        @tf.function(input_signature=[tf.TensorSpec([None, 6], tf.float32)])
        def tpu_func(self, x):
            return tf.nn.relu(tf.matmul(x, self.w) + self.b)

        @tf.function(input_signature=[tf.TensorSpec([None, 6], tf.float32)])
        def serve(self, x):
            return {"y": self.tpu_func(x) * 2.0}

    m = Model()
    tf.saved_model.save(m, path, signatures={"serving_default": m.serve.get_concrete_function()},
                        options=tf.saved_model.SaveOptions(function_aliases={"tpu_func": m.tpu_func}))
    return path


BUILDERS = {
    "two_tpu": build_two_tpu,
    "two_traces": build_two_traces,
    "nested_direct": build_nested_direct,
    "nested_helper": build_nested_helper,
    "jit": build_jit,
    "tpu_control_flow": build_tpu_control_flow,
    "big_tpu": build_big_tpu,
}

_rng = np.random.default_rng(42)
INPUTS = {
    "two_tpu": {"x": _rng.standard_normal((3, 8)).astype(np.float32)},
    "two_traces": {"x": _rng.standard_normal((3, 6)).astype(np.float32)},
    "nested_direct": {"x": _rng.standard_normal((2, 6)).astype(np.float32)},
    "nested_helper": {"x": _rng.standard_normal((2, 4)).astype(np.float32)},
    "jit": {"x": _rng.standard_normal((3, 4)).astype(np.float32)},
    "tpu_control_flow": {"x": _rng.standard_normal((2, 4)).astype(np.float32)},
    "big_tpu": {"x": _rng.standard_normal((4, 32)).astype(np.float32)},
}
