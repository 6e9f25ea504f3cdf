"""Small SavedModels for the budgeted compression tests (tests/test_compression.py).

Each builder writes a TF2 SavedModel to `path` and returns it; `inputs(name, batch, seed)`
gives inputs from the distribution the tests measure on (also written as --sample_inputs).
Weights are large enough (>= 1024 elements) to be compression candidates, the files small.

- `lstm`: a tf_keras text classifier: Embedding(1000, 32) -> LSTM(64) -> Dense(5, softmax),
  token ids [None, 20];
- `cnn`: two 3x3 convolutions (16 and 32 channels), max pooling, a dense layer to 10 logits,
  written with tf.nn ops on a [None, 16, 16, 3] image;
- `mlp`: a weight-dominated MLP 64 -> 512 -> 512 -> 10 with ReLU and softmax.
"""
from __future__ import annotations

import os

import numpy as np

VOCAB, SEQ = 1000, 20


def _tf():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf
    return tf


def build_lstm(path):
    tf = _tf()
    import tf_keras as keras
    keras.utils.set_random_seed(7)
    model = keras.Sequential([
        keras.layers.Input((SEQ,), dtype="int32", name="tokens"),
        keras.layers.Embedding(VOCAB, 32),
        keras.layers.LSTM(64),
        keras.layers.Dense(5, activation="softmax"),
    ])

    @tf.function(input_signature=[tf.TensorSpec([None, SEQ], tf.int32, name="tokens")])
    def serve(tokens):
        return {"probs": model(tokens, training=False)}

    tf.saved_model.save(model, path, signatures={"serving_default": serve})
    return path


def build_cnn(path):
    tf = _tf()
    rng = np.random.default_rng(11)

    class CNN(tf.Module):
        def __init__(self):
            super().__init__()
            self.k1 = tf.Variable(rng.standard_normal((3, 3, 3, 16)).astype(np.float32) * 0.25, name="k1")
            self.b1 = tf.Variable(rng.standard_normal((16,)).astype(np.float32) * 0.1, name="b1")
            self.k2 = tf.Variable(rng.standard_normal((3, 3, 16, 32)).astype(np.float32) * 0.1, name="k2")
            self.w = tf.Variable(rng.standard_normal((8 * 8 * 32, 10)).astype(np.float32) * 0.03, name="w")

        @tf.function(input_signature=[tf.TensorSpec([None, 16, 16, 3], tf.float32, name="image")])
        def serve(self, image):
            x = tf.nn.relu(tf.nn.bias_add(tf.nn.conv2d(image, self.k1, 1, "SAME"), self.b1))
            x = tf.nn.relu(tf.nn.conv2d(x, self.k2, 1, "SAME"))
            x = tf.nn.max_pool2d(x, 2, 2, "VALID")
            return {"logits": tf.matmul(tf.reshape(x, [-1, 8 * 8 * 32]), self.w)}

    m = CNN()
    tf.saved_model.save(m, path, signatures={"serving_default": m.serve})
    return path


def build_mlp(path):
    tf = _tf()
    rng = np.random.default_rng(12)
    dims = [64, 512, 512, 10]

    class MLP(tf.Module):
        def __init__(self):
            super().__init__()
            self.ws = [tf.Variable((rng.standard_normal((a, b)) * np.sqrt(2.0 / a)).astype(np.float32), name=f"w{i}")
                       for i, (a, b) in enumerate(zip(dims, dims[1:]))]
            self.bs = [tf.Variable(np.zeros((b,), np.float32), name=f"b{i}") for i, b in enumerate(dims[1:])]

        @tf.function(input_signature=[tf.TensorSpec([None, 64], tf.float32, name="x")])
        def serve(self, x):
            h = x
            for i, (w, b) in enumerate(zip(self.ws, self.bs)):
                h = tf.matmul(h, w) + b
                h = tf.nn.relu(h) if i < len(self.ws) - 1 else tf.nn.softmax(h)
            return {"probs": h}

    m = MLP()
    tf.saved_model.save(m, path, signatures={"serving_default": m.serve})
    return path


BUILDERS = {"lstm": build_lstm, "cnn": build_cnn, "mlp": build_mlp}


def inputs(name, batch=16, seed=0):
    rng = np.random.default_rng(1000 + seed)
    if name == "lstm":
        return {"tokens": rng.integers(0, VOCAB, (batch, SEQ)).astype(np.int32)}
    if name == "cnn":
        return {"image": rng.standard_normal((batch, 16, 16, 3)).astype(np.float32)}
    if name == "mlp":
        return {"x": rng.standard_normal((batch, 64)).astype(np.float32)}
    raise KeyError(name)


def build(name, path):
    return BUILDERS[name](path)
