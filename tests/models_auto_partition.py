"""SavedModels without function aliases for the automatic TPU partitioning tests
(tests/test_tpu_auto_partition.py), exported the way users export them.

Each builder writes a SavedModel to `path` and returns it; INPUTS[name](seed) gives the
serving_default feed. TensorFlow and the Keras libraries are imported inside the builders.

- keras3_cnn: a Keras 3 functional CNN, `model.export(path, format="tf_saved_model")`;
- tf_keras_mlp: a tf_keras MLP with layer normalization, `model.save(path)`;
- tokenizer_encoder: `tf.strings.split` + a `StringLookup` (strings, a hash table) feeding
  an embedding + dense encoder with masked mean pooling (tf.Module);
- wide_deep: a tf_keras Wide & Deep model, `model.save(path)`: string features hashed
  (`Hashing`) into a linear "wide" part and looked up (`StringLookup`) into embeddings
  of the "deep" MLP, plus numeric features.
"""
from __future__ import annotations

import os

import numpy as np

VOCAB = ["the", "a", "cat", "dog", "sat", "on", "mat", "ran", "fast", "slow", "red", "blue",
         "big", "small", "house", "tree", "car", "road", "sun", "moon"]
COUNTRIES = ["de", "fr", "us", "jp", "br", "in", "ng", "au"]
DEVICES = ["phone", "tablet", "desktop", "tv"]


def _tf():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf
    return tf


def build_keras3_cnn(path):
    tf = _tf()
    import keras
    keras.utils.set_random_seed(0)
    inp = keras.Input((16, 16, 3), name="image")
    x = keras.layers.Conv2D(16, 3, padding="same", activation="relu")(inp)
    x = keras.layers.BatchNormalization()(x)
    x = keras.layers.MaxPooling2D()(x)
    x = keras.layers.Conv2D(32, 3, padding="same", activation="relu")(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    x = keras.layers.Dense(64, activation="gelu")(x)
    out = keras.layers.Dense(10, activation="softmax")(x)
    model = keras.Model(inp, out)
    # Non-trivial batch-norm statistics, so the inference path's arithmetic matters.
    bn = model.layers[2]
    rng = np.random.default_rng(0)
    bn.moving_mean.assign(rng.standard_normal(16).astype(np.float32) * 0.1)
    bn.moving_variance.assign(rng.uniform(0.5, 1.5, 16).astype(np.float32))
    del tf
    model.export(path, format="tf_saved_model", verbose=False)
    return path


def build_tf_keras_mlp(path):
    _tf()
    import tf_keras
    tf_keras.utils.set_random_seed(0)
    inp = tf_keras.Input((32,), name="features")
    x = tf_keras.layers.Dense(128, activation="relu")(inp)
    x = tf_keras.layers.LayerNormalization()(x)
    x = tf_keras.layers.Dropout(0.1)(x)
    x = tf_keras.layers.Dense(64, activation="tanh")(x)
    out = tf_keras.layers.Dense(4, name="logits")(x)
    model = tf_keras.Model(inp, out)
    model.save(path)
    return path


def build_tokenizer_encoder(path):
    tf = _tf()
    import tf_keras
    tf_keras.utils.set_random_seed(0)

    class Encoder(tf.Module):
        def __init__(self):
            super().__init__()
            self.lookup = tf_keras.layers.StringLookup(vocabulary=VOCAB)   # 0: out of vocabulary
            self.embed = tf_keras.layers.Embedding(len(VOCAB) + 1, 32)
            self.d1 = tf_keras.layers.Dense(128, activation="relu")
            self.d2 = tf_keras.layers.Dense(64, activation="gelu")
            self.out = tf_keras.layers.Dense(16)

        @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="text")])
        def serve(self, text):
            tokens = tf.strings.split(tf.strings.lower(text))
            ids = tf.ragged.map_flat_values(self.lookup, tokens).to_tensor(default_value=-1)
            mask = tf.cast(ids >= 0, tf.float32)[:, :, None]
            h = self.d2(self.d1(self.embed(tf.maximum(ids, 0))))
            pooled = tf.reduce_sum(h * mask, axis=1) / tf.maximum(tf.reduce_sum(mask, axis=1), 1.0)
            return {"encoding": self.out(pooled)}

    m = Encoder()
    tf.saved_model.save(m, path, signatures={"serving_default": m.serve})
    return path


def build_wide_deep(path):
    tf = _tf()
    import tf_keras
    tf_keras.utils.set_random_seed(0)
    L = tf_keras.layers
    country = tf_keras.Input((1,), dtype=tf.string, name="country")
    device = tf_keras.Input((1,), dtype=tf.string, name="device")
    numeric = tf_keras.Input((8,), name="numeric")
    # Wide: hashed features and their cross, a linear model (an embedding of width 1 per bucket).
    crossed = L.HashedCrossing(num_bins=512)((country, device))
    wide_ids = L.Concatenate()([L.Hashing(num_bins=256)(country), L.Hashing(num_bins=256)(device),
                                tf_keras.layers.Reshape((1,))(crossed)])
    wide = tf.reduce_sum(L.Embedding(512, 1)(wide_ids), axis=[1, 2])
    # Deep: vocabulary lookups into embeddings, with the numeric features, through an MLP.
    c_emb = L.Flatten()(L.Embedding(len(COUNTRIES) + 1, 16)(L.StringLookup(vocabulary=COUNTRIES)(country)))
    d_emb = L.Flatten()(L.Embedding(len(DEVICES) + 1, 8)(L.StringLookup(vocabulary=DEVICES)(device)))
    x = L.Concatenate()([c_emb, d_emb, L.Normalization(mean=0.5, variance=2.0)(numeric)])
    for units in (256, 128, 64):
        x = L.Dense(units, activation="relu")(x)
    deep = L.Dense(1)(x)
    logit = L.Add()([deep, L.Reshape((1,))(wide)])
    out = L.Activation("sigmoid", name="probability")(logit)
    model = tf_keras.Model({"country": country, "device": device, "numeric": numeric}, out)
    model.save(path)
    return path


def _keras3_inputs(seed):
    rng = np.random.default_rng(seed)
    return {"image": rng.standard_normal((3, 16, 16, 3)).astype(np.float32)}


def _mlp_inputs(seed):
    rng = np.random.default_rng(seed)
    return {"features": rng.standard_normal((5, 32)).astype(np.float32)}


def _text_inputs(seed):
    rng = np.random.default_rng(seed)
    words = VOCAB + ["unknown", "Words", "CAT"]
    lines = [" ".join(rng.choice(words, size=n)) for n in (3, 7, 1, 5)]
    return {"text": np.array(lines, dtype=object)}


def _wide_deep_inputs(seed):
    rng = np.random.default_rng(seed)
    n = 6
    return {"country": rng.choice(COUNTRIES + ["xx"], size=(n, 1)).astype(object),
            "device": rng.choice(DEVICES + ["watch"], size=(n, 1)).astype(object),
            "numeric": rng.standard_normal((n, 8)).astype(np.float32)}


BUILDERS = {
    "keras3_cnn": build_keras3_cnn,
    "tf_keras_mlp": build_tf_keras_mlp,
    "tokenizer_encoder": build_tokenizer_encoder,
    "wide_deep": build_wide_deep,
}
INPUTS = {
    "keras3_cnn": _keras3_inputs,
    "tf_keras_mlp": _mlp_inputs,
    "tokenizer_encoder": _text_inputs,
    "wide_deep": _wide_deep_inputs,
}
