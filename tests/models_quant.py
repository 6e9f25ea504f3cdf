"""Small float models and representative datasets for the quantization tests and benchmark.

- `build_cnn(path)`: a tf.Module CNN on tf.nn ops (Conv2D + BiasAdd + Relu, strided Conv2D +
  Relu6, DepthwiseConv2dNative, MatMul head). tf.nn ops rather than Keras 3 Conv2D layers,
  whose graphs can abort TensorFlow's own quantizer (the benchmark runs both).
- `build_mlp(path)`: a Keras Dense MLP (MatMul + BiasAdd + Relu), exported with model.export.
- `write_dataset(path, key, samples)`: a TFRecord written by TensorFlow's
  `tf.quantization.experimental.TfRecordRepresentativeDatasetSaver`.

Weights are sized so that most bytes sit in tensors with >= 1024 elements (TF's default
`min_num_elements_for_weights`), and every model is small enough for a 2-core CPU.
TensorFlow is imported inside the functions only.
"""
from __future__ import annotations

import os

import numpy as np

CNN_INPUT = (16, 16, 3)
MLP_INPUT = 64


def _tf():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf
    return tf


def build_cnn(path, seed=0):
    tf = _tf()
    rng = np.random.default_rng(seed)

    def he(shape, fan_in):
        return (rng.standard_normal(shape) * np.sqrt(2.0 / fan_in)).astype(np.float32)

    class CNN(tf.Module):
        def __init__(self):
            super().__init__()
            self.k1 = tf.Variable(he((3, 3, 3, 32), 27), name="conv1/kernel")
            self.b1 = tf.Variable((rng.standard_normal(32) * 0.1).astype(np.float32), name="conv1/bias")
            self.k2 = tf.Variable(he((3, 3, 32, 128), 288), name="conv2/kernel")
            self.b2 = tf.Variable((rng.standard_normal(128) * 0.1).astype(np.float32), name="conv2/bias")
            self.dw = tf.Variable(he((3, 3, 128, 1), 9), name="dw/kernel")
            self.w = tf.Variable(he((128, 10), 128), name="head/kernel")
            self.b = tf.Variable((rng.standard_normal(10) * 0.1).astype(np.float32), name="head/bias")

        @tf.function(input_signature=[tf.TensorSpec([None, *CNN_INPUT], tf.float32, name="image")])
        def serve(self, image):
            x = tf.nn.relu(tf.nn.bias_add(tf.nn.conv2d(image, self.k1, 1, "SAME"), self.b1))
            x = tf.nn.relu6(tf.nn.bias_add(tf.nn.conv2d(x, self.k2, 2, "SAME"), self.b2))
            x = tf.nn.depthwise_conv2d(x, self.dw, [1, 1, 1, 1], "SAME")
            x = tf.reduce_mean(x, axis=[1, 2])
            return {"logits": tf.nn.bias_add(tf.matmul(x, self.w), self.b)}

    m = CNN()
    tf.saved_model.save(m, path, signatures={"serving_default": m.serve})
    return path


def build_mlp(path, seed=0):
    tf = _tf()
    keras = tf.keras
    keras.utils.set_random_seed(seed)
    inp = keras.Input((MLP_INPUT,), name="features")
    # Non-zero biases, as after training (Keras initializes them to zero).
    bias = keras.initializers.RandomNormal(stddev=0.1)
    x = keras.layers.Dense(128, activation="relu", name="dense1", bias_initializer=bias)(inp)
    x = keras.layers.Dense(64, activation="relu", name="dense2", bias_initializer=bias)(x)
    out = keras.layers.Dense(10, name="head", bias_initializer=bias)(x)
    model = keras.Model(inp, out)
    model.export(path, verbose=False)
    return path


def cnn_samples(n, seed=1, batch=1):
    rng = np.random.default_rng(seed)
    return [{"image": rng.uniform(-1, 1, (batch, *CNN_INPUT)).astype(np.float32)} for _ in range(n)]


def mlp_samples(n, seed=1, batch=1, key="features"):
    rng = np.random.default_rng(seed)
    return [{key: rng.standard_normal((batch, MLP_INPUT)).astype(np.float32)} for _ in range(n)]


def write_dataset(path, samples, key="serving_default"):
    """Save `samples` (list of {input key: array}) with TF's TFRecord saver; returns path."""
    tf = _tf()
    saver = tf.quantization.experimental.TfRecordRepresentativeDatasetSaver(path_map={key: path})
    saver.save({key: samples})
    return path


def signature_input_key(model_dir, key="serving_default"):
    """The single input key of a signature (Keras names it after the Input layer)."""
    tf = _tf()
    fn = tf.saved_model.load(model_dir).signatures[key]
    names = list(fn.structured_input_signature[1])
    assert len(names) == 1, names
    return names[0]


def run_signature(model_dir, inputs, key="serving_default"):
    """Run a SavedModel signature in TF on CPU; returns {output key: numpy}."""
    tf = _tf()
    fn = tf.saved_model.load(model_dir).signatures[key]
    return {k: v.numpy() for k, v in fn(**{k: tf.constant(v) for k, v in inputs.items()}).items()}


def variables_bytes(model_dir):
    d = os.path.join(model_dir, "variables")
    return sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d))


def model_bytes(model_dir):
    """saved_model.pb + variables/: what a server loads."""
    return os.path.getsize(os.path.join(model_dir, "saved_model.pb")) + variables_bytes(model_dir)


def meta_graph(model_dir):
    """The SavedModel's MetaGraphDef (TensorFlow's own proto classes)."""
    from tensorflow.core.protobuf import saved_model_pb2
    sm = saved_model_pb2.SavedModel()
    with open(os.path.join(model_dir, "saved_model.pb"), "rb") as f:
        sm.ParseFromString(f.read())
    return sm.meta_graphs[0]
