"""Small SavedModels for the batching and IO-shape tests (TensorFlow imported lazily).

`build_batching_model(path)`: the seed's layout for function and signature batching.

- `tpu_func` (alias "tpu_func"): the TPU part, x [None, 4, 32] f32 -> y [None, 4, 8] (relu of
  an einsum with a variable) and s [None, 4] (row sums). Its argument and `y` are the
  sparse-in-(8, 128)-tiles tensors that tpu-io-shape-opt folds to [None, 128] / [None, 32].
- `batch_func` (alias "batch_func"): CPU pre/post-processing around a call of `tpu_func`.
- signature `serving_default` (x) -> {y, s, m}: calls `batch_func` and reduces on the CPU.
- `tpu_static` (alias "tpu_static"): a TPU part with a static [2, 16, 12] input (384
  elements: folded to [3, 128]) and a rank-2 output, called by signature `static`.
- `scalar_tpu` (alias "scalar_tpu"): takes a scalar besides the batch; called by signature
  `scaled` (x, k) -> {z}; batching it must fail (scalar batched input).
"""
from __future__ import annotations

import os

import numpy as np


def _tf():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf
    return tf


def build_batching_model(path):
    tf = _tf()

    class Model(tf.Module):
        def __init__(self):
            super().__init__()
            rng = np.random.default_rng(1)
            self.w = tf.Variable(rng.standard_normal((32, 8)).astype(np.float32), name="w")
            self.v = tf.Variable(rng.standard_normal((12, 5)).astype(np.float32), name="v")

        @tf.function(input_signature=[tf.TensorSpec([None, 4, 32], tf.float32)])
        def tpu_func(self, x):
            y = tf.einsum("bij,jk->bik", x, self.w)
            return {"y": tf.nn.relu(y), "s": tf.reduce_sum(y, axis=2)}

        @tf.function(input_signature=[tf.TensorSpec([None, 4, 32], tf.float32)])
        def batch_func(self, x):
            out = self.tpu_func(x * 2.0 - 1.0)
            return out["y"] + 1.0, out["s"]

        @tf.function(input_signature=[tf.TensorSpec([None, 4, 32], tf.float32)])
        def serve(self, x):
            y, s = self.batch_func(x)
            return {"y": y, "s": s, "m": tf.reduce_mean(y, axis=[1, 2])}

        @tf.function(input_signature=[tf.TensorSpec([2, 16, 12], tf.float32)])
        def tpu_static(self, x):
            return tf.reshape(tf.matmul(tf.reshape(x, [32, 12]), self.v), [2, 80])

        @tf.function(input_signature=[tf.TensorSpec([2, 16, 12], tf.float32)])
        def serve_static(self, x):
            return {"z": self.tpu_static(x + 0.5)}

        @tf.function(input_signature=[tf.TensorSpec([None, 4], tf.float32), tf.TensorSpec([], tf.float32)])
        def scalar_tpu(self, x, k):
            return x * k

        @tf.function(input_signature=[tf.TensorSpec([None, 4], tf.float32), tf.TensorSpec([], tf.float32)])
        def scaled(self, x, k):
            return {"z": self.scalar_tpu(x, k) + 1.0}

    m = Model()
    tf.saved_model.save(
        m, path,
        signatures={"serving_default": m.serve, "static": m.serve_static, "scaled": m.scaled},
        options=tf.saved_model.SaveOptions(function_aliases={
            "tpu_func": m.tpu_func, "batch_func": m.batch_func, "tpu_static": m.tpu_static,
            "scalar_tpu": m.scalar_tpu}))
    return path


def batching_inputs(signature, batch=3, seed=0):
    rng = np.random.default_rng(seed)
    if signature == "serving_default":
        return {"x": rng.standard_normal((batch, 4, 32)).astype(np.float32)}
    if signature == "static":
        return {"x": rng.standard_normal((2, 16, 12)).astype(np.float32)}
    if signature == "scaled":
        return {"x": rng.standard_normal((batch, 4)).astype(np.float32), "k": np.float32(1.5)}
    raise KeyError(signature)


# ---- TPU functions that capture constants and resources (issue 13) -------------------------
#
# Each builder exports the converter users' layout: the dense compute is a tf.function under
# the alias "tpu_func", `serving_default` (x) -> {y} calls it after a CPU pre-processing step.
# What the TPU function captures (a constant, a Keras layer's statistics, a variable) becomes
# an extra function argument that the caller passes from its own captured argument
# (`tf_saved_model.bound_input`); batching must capture it, not batch it.

def _save_tpu_model(tf, module, path, extra_aliases=None):
    aliases = {"tpu_func": module.tpu_func}
    aliases.update(extra_aliases or {})
    tf.saved_model.save(module, path, signatures={"serving_default": module.serve},
                        options=tf.saved_model.SaveOptions(function_aliases=aliases))
    return path


def build_logmel_model(path):
    """A tf.signal STFT log-mel front-end: x [None, 2048] audio -> y [None, 6] logits. The TPU
    function captures the [129, 32] mel matrix (an eager constant) and a [32, 6] variable."""
    tf = _tf()

    class LogMel(tf.Module):
        def __init__(self):
            super().__init__()
            self.mel = tf.signal.linear_to_mel_weight_matrix(32, 129, 16000, 20.0, 4000.0)
            rng = np.random.default_rng(2)
            self.w = tf.Variable(rng.standard_normal((32, 6)).astype(np.float32) * 0.1, name="w")

        @tf.function(input_signature=[tf.TensorSpec([None, 2048], tf.float32)])
        def tpu_func(self, x):
            spec = tf.abs(tf.signal.stft(x, frame_length=256, frame_step=128, fft_length=256))
            logmel = tf.math.log(tf.matmul(spec, self.mel) + 1e-6)
            return tf.matmul(tf.reduce_mean(logmel, axis=1), self.w)

        @tf.function(input_signature=[tf.TensorSpec([None, 2048], tf.float32)])
        def serve(self, x):
            return {"y": self.tpu_func(x * 0.5)}

    return _save_tpu_model(tf, LogMel(), path)


def _normalization_data(features):
    return np.random.default_rng(3).normal(2.0, 3.0, (64, features)).astype(np.float32)


def build_keras_normalization_model(path):
    """Keras 3: Normalization adapted to data (its mean and variance are eager constants the
    model's functions capture) -> Dense(relu) -> Dense; x [None, 12] -> y [None, 4]."""
    tf = _tf()
    import keras
    keras.utils.set_random_seed(0)
    norm = keras.layers.Normalization()
    norm.adapt(_normalization_data(12))
    inp = keras.Input((12,), name="x")
    h = keras.layers.Dense(16, activation="relu")(norm(inp))
    model = keras.Model(inp, keras.layers.Dense(4)(h))

    class Wrapped(tf.Module):
        def __init__(self):
            super().__init__()
            self.model = model

        @tf.function(input_signature=[tf.TensorSpec([None, 12], tf.float32)])
        def tpu_func(self, x):
            return self.model(x, training=False)

        @tf.function(input_signature=[tf.TensorSpec([None, 12], tf.float32)])
        def serve(self, x):
            return {"y": self.tpu_func(tf.clip_by_value(x, -20.0, 20.0))}

    return _save_tpu_model(tf, Wrapped(), path)


def build_tf_keras_model(path):
    """Keras 2 (`tf_keras`): Normalization adapted to data -> Dense -> Dropout -> Dense with
    softmax, the TPU function calling the model; x [None, 10] -> y [None, 3]."""
    tf = _tf()
    import tf_keras
    tf_keras.utils.set_random_seed(0)
    norm = tf_keras.layers.Normalization()
    norm.adapt(_normalization_data(10))
    inp = tf_keras.Input((10,), name="x")
    h = tf_keras.layers.Dense(16, activation="tanh")(norm(inp))
    h = tf_keras.layers.Dropout(0.2)(h)
    model = tf_keras.Model(inp, tf_keras.layers.Dense(3, activation="softmax")(h))

    class Wrapped(tf.Module):
        def __init__(self):
            super().__init__()
            self.model = model

        @tf.function(input_signature=[tf.TensorSpec([None, 10], tf.float32)])
        def tpu_func(self, x):
            return self.model(x, training=False)

        @tf.function(input_signature=[tf.TensorSpec([None, 10], tf.float32)])
        def serve(self, x):
            return {"y": self.tpu_func(x + 0.0)}

    return _save_tpu_model(tf, Wrapped(), path)


_TABLE_KEYS = ["low", "mid", "high"]


def build_table_variable_constant_model(path):
    """Several captures at once, over several call levels.

    - `tpu_func` (alias): x [None, 8] -> [None, 5]; captures a variable `w` [8, 5], a constant
      `bias` [5] and, through `_scale` (a tf.function that is not an attribute, so not exported:
      its captured [8] constant arrives as an argument its caller passes), a constant `scale`.
    - `batch_func` (alias, CPU): (x [None, 8], level [None] string) -> [None, 5]; captures a
      tf.lookup StaticHashTable (a resource), a [3] constant and calls `tpu_func`.
    - signature `serving_default` (x, level) -> {y}."""
    tf = _tf()
    rng = np.random.default_rng(4)
    scale = tf.constant(rng.uniform(0.5, 1.5, 8).astype(np.float32))

    @tf.function
    def _scale(x):
        return x * scale

    class Captures(tf.Module):
        def __init__(self):
            super().__init__()
            self.w = tf.Variable(rng.standard_normal((8, 5)).astype(np.float32), name="w")
            self.bias = tf.constant(rng.standard_normal(5).astype(np.float32))
            self.offsets = tf.constant([-1.0, 0.0, 1.0])
            self.table = tf.lookup.StaticHashTable(
                tf.lookup.KeyValueTensorInitializer(tf.constant(_TABLE_KEYS), tf.constant([0, 1, 2], tf.int64)),
                default_value=1)

        @tf.function(input_signature=[tf.TensorSpec([None, 8], tf.float32)])
        def tpu_func(self, x):
            return tf.nn.relu(tf.matmul(_scale(x), self.w) + self.bias)

        @tf.function(input_signature=[tf.TensorSpec([None, 8], tf.float32), tf.TensorSpec([None], tf.string)])
        def batch_func(self, x, level):
            shift = tf.gather(self.offsets, self.table.lookup(level))
            return self.tpu_func(x + shift[:, None])

        @tf.function(input_signature=[tf.TensorSpec([None, 8], tf.float32), tf.TensorSpec([None], tf.string)])
        def serve(self, x, level):
            return {"y": self.batch_func(x, level)}

    m = Captures()
    return _save_tpu_model(tf, m, path, {"batch_func": m.batch_func})


CAPTURE_MODELS = {
    "logmel": (build_logmel_model, {"x": ((2048,), np.float32)}),
    "keras_normalization": (build_keras_normalization_model, {"x": ((12,), np.float32)}),
    "tf_keras": (build_tf_keras_model, {"x": ((10,), np.float32)}),
    "captures": (build_table_variable_constant_model, {"x": ((8,), np.float32), "level": ((), str)}),
}


def capture_model_inputs(name, batch=5, seed=0):
    """A batch of inputs for `serving_default` of CAPTURE_MODELS[name]."""
    rng = np.random.default_rng(seed)
    out = {}
    for key, (shape, dtype) in CAPTURE_MODELS[name][1].items():
        if dtype is str:
            out[key] = np.array([(_TABLE_KEYS + ["unknown"])[i % 4] for i in range(batch)], dtype=object)
        else:
            out[key] = (rng.standard_normal((batch, *shape)) * 2.0).astype(dtype)
    return out
