"""SavedModels for the optimized-runtime passes (xla-cluster, cpu-gpu-placement).

Each builder writes a TF2 SavedModel to `path` and returns it; `inputs(name)` gives inputs
for its serving signature. TensorFlow is imported inside the builders only. Models are tiny
(test speed) but have the structure that matters:

- `mlp`: a dense network on resource variables.
- `cnn`: a small CNN written with tf.nn ops (conv2d, bias_add, relu, max_pool, matmul).
- `control_flow`: tf.cond with real work in both branches and a tf.while_loop.
- `string_middle`: numeric work, a string round trip (as_string / to_number), numeric work.
- `nested_calls`: numeric work around a nested tf.function (its own FunctionDef, called by a
  PartitionedCall) that does numeric work, a string round trip, numeric work: clusters that
  span the call boundary only form when the call is inlined first.
- `wide_deep`: a Wide & Deep tabular model: string features through vocabulary lookups
  (StaticHashTable, as StringLookup builds), hashing (to_hash_bucket_fast) and embedding
  tables (one large), numeric features normalized, a wide linear part and an MLP.
"""
from __future__ import annotations

import os

import numpy as np

COUNTRIES = ["de", "fr", "us", "jp", "br", "in", "ng", "ca"]
OCCUPATIONS = ["nurse", "pilot", "chef", "teacher", "farmer", "engineer"]
# Sizes chosen so that one table is "large" with host-table-bytes=65536 (tests) while the
# files stay small: 2048 x 16 floats = 128 KiB.
BIG_VOCAB = 2048
HASH_BUCKETS = 64


def _tf():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf
    return tf


def _rng(seed=0):
    return np.random.default_rng(seed)


def build_mlp(path):
    tf = _tf()
    rng = _rng(1)

    class MLP(tf.Module):
        def __init__(self):
            super().__init__()
            dims = [12, 32, 16, 3]
            self.ws = [tf.Variable(rng.standard_normal((a, b)).astype(np.float32) * 0.3, name=f"w{i}")
                       for i, (a, b) in enumerate(zip(dims, dims[1:]))]
            self.bs = [tf.Variable(rng.standard_normal((b,)).astype(np.float32) * 0.1, name=f"b{i}")
                       for i, b in enumerate(dims[1:])]

        @tf.function(input_signature=[tf.TensorSpec([None, 12], tf.float32)])
        def serve(self, x):
            h = x
            for i, (w, b) in enumerate(zip(self.ws, self.bs)):
                h = tf.matmul(h, w) + b
                h = tf.nn.relu(h) if i < len(self.ws) - 1 else tf.nn.softmax(h)
            return {"probs": h}

    m = MLP()
    tf.saved_model.save(m, path, signatures={"serving_default": m.serve})
    return path


def build_cnn(path):
    tf = _tf()
    rng = _rng(2)

    class CNN(tf.Module):
        def __init__(self):
            super().__init__()
            self.k1 = tf.Variable(rng.standard_normal((3, 3, 3, 8)).astype(np.float32) * 0.2, name="k1")
            self.c1 = tf.Variable(rng.standard_normal((8,)).astype(np.float32) * 0.1, name="c1")
            self.k2 = tf.Variable(rng.standard_normal((3, 3, 8, 8)).astype(np.float32) * 0.2, name="k2")
            self.w = tf.Variable(rng.standard_normal((4 * 4 * 8, 5)).astype(np.float32) * 0.1, name="w")

        @tf.function(input_signature=[tf.TensorSpec([None, 16, 16, 3], tf.float32)])
        def serve(self, image):
            x = tf.nn.conv2d(image, self.k1, strides=1, padding="SAME")
            x = tf.nn.relu(tf.nn.bias_add(x, self.c1))
            x = tf.nn.max_pool2d(x, 2, 2, "VALID")
            x = tf.nn.conv2d(x, self.k2, strides=1, padding="SAME")
            x = tf.nn.relu(x)
            x = tf.nn.avg_pool2d(x, 2, 2, "VALID")
            x = tf.reshape(x, [-1, 4 * 4 * 8])
            return {"logits": tf.nn.log_softmax(tf.matmul(x, self.w))}

    m = CNN()
    tf.saved_model.save(m, path, signatures={"serving_default": m.serve})
    return path


def build_control_flow(path):
    tf = _tf()
    rng = _rng(3)

    class Model(tf.Module):
        def __init__(self):
            super().__init__()
            self.w = tf.Variable(rng.standard_normal((6, 6)).astype(np.float32) * 0.4, name="w")

        @tf.function(input_signature=[tf.TensorSpec([None, 6], tf.float32), tf.TensorSpec([], tf.int32)])
        def serve(self, x, steps):
            h = tf.nn.relu(tf.matmul(x, self.w))
            y = tf.cond(tf.reduce_mean(h) > 0.5,
                        lambda: tf.tanh(h) * 2.0 + tf.sigmoid(h),
                        lambda: tf.exp(-h) - tf.nn.softplus(h))

            def body(i, acc):
                return i + 1, tf.tanh(tf.matmul(acc, self.w)) + acc * 0.5

            _, z = tf.while_loop(lambda i, acc: i < steps, body, [tf.constant(0), y])
            return {"y": y, "z": z}

    m = Model()
    tf.saved_model.save(m, path, signatures={"serving_default": m.serve})
    return path


def build_string_middle(path):
    tf = _tf()
    rng = _rng(4)

    class Model(tf.Module):
        def __init__(self):
            super().__init__()
            self.w1 = tf.Variable(rng.standard_normal((5, 4)).astype(np.float32), name="w1")
            self.w2 = tf.Variable(rng.standard_normal((4, 3)).astype(np.float32), name="w2")

        @tf.function(input_signature=[tf.TensorSpec([None, 5], tf.float32)])
        def serve(self, x):
            h = tf.nn.relu(tf.matmul(x, self.w1) + 1.0) * 0.5
            h = tf.round(h * 100.0)
            # a string round trip in the middle (precision kept: integers as text)
            s = tf.strings.as_string(h, precision=0)
            back = tf.strings.to_number(s, tf.float32) / 100.0
            out = tf.tanh(tf.matmul(back, self.w2)) * 3.0 + 1.0
            return {"out": tf.nn.softmax(out), "text": s}

    m = Model()
    tf.saved_model.save(m, path, signatures={"serving_default": m.serve})
    return path


def build_nested_calls(path):
    tf = _tf()
    rng = _rng(6)

    class Model(tf.Module):
        def __init__(self):
            super().__init__()
            self.w1 = tf.Variable(rng.standard_normal((6, 5)).astype(np.float32) * 0.5, name="w1")
            self.w2 = tf.Variable(rng.standard_normal((5, 4)).astype(np.float32) * 0.5, name="w2")

        @tf.function
        def text_roundtrip(self, h):
            # numeric work, integers as text and back, numeric work: inside its own function
            h = tf.round(tf.nn.relu(h * 0.5 + 0.25) * 100.0)
            s = tf.strings.as_string(h, precision=0)
            back = tf.strings.to_number(s, tf.float32) / 100.0
            return tf.sigmoid(back * 2.0 - 1.0), s

        @tf.function(input_signature=[tf.TensorSpec([None, 6], tf.float32)])
        def serve(self, x):
            h = tf.tanh(tf.matmul(x, self.w1) + 1.0) * 2.0
            back, s = self.text_roundtrip(h)
            out = tf.nn.softmax(tf.tanh(tf.matmul(back, self.w2)) * 3.0 + 1.0)
            return {"out": out, "text": s}

    m = Model()
    tf.saved_model.save(m, path, signatures={"serving_default": m.serve})
    return path


def build_wide_deep(path):
    tf = _tf()
    rng = _rng(5)

    class WideDeep(tf.Module):
        def __init__(self):
            super().__init__()
            self.country_table = tf.lookup.StaticHashTable(
                tf.lookup.KeyValueTensorInitializer(COUNTRIES, list(range(1, len(COUNTRIES) + 1)),
                                                    key_dtype=tf.string, value_dtype=tf.int64), 0)
            self.occupation_table = tf.lookup.StaticHashTable(
                tf.lookup.KeyValueTensorInitializer(OCCUPATIONS, list(range(1, len(OCCUPATIONS) + 1)),
                                                    key_dtype=tf.string, value_dtype=tf.int64), 0)
            self.country_emb = tf.Variable(
                rng.standard_normal((len(COUNTRIES) + 1, 8)).astype(np.float32), name="country_emb")
            self.occupation_emb = tf.Variable(
                rng.standard_normal((len(OCCUPATIONS) + 1, 8)).astype(np.float32), name="occupation_emb")
            # the large table: user ids hashed into BIG_VOCAB rows
            self.user_emb = tf.Variable(
                rng.standard_normal((BIG_VOCAB, 16)).astype(np.float32) * 0.5, name="user_emb")
            self.query_emb = tf.Variable(
                rng.standard_normal((HASH_BUCKETS, 8)).astype(np.float32), name="query_emb")
            self.user_table = tf.lookup.StaticHashTable(
                tf.lookup.KeyValueTensorInitializer(["admin"], [0], key_dtype=tf.string, value_dtype=tf.int64), -1)
            self.wide_w = tf.Variable(rng.standard_normal((HASH_BUCKETS, 1)).astype(np.float32) * 0.1,
                                      name="wide_w")
            self.cross_w = tf.Variable(rng.standard_normal((HASH_BUCKETS, 1)).astype(np.float32) * 0.1,
                                       name="cross_w")
            self.num_mean = tf.Variable(np.array([40.0, 1.5, 3.0, 0.0], np.float32), name="num_mean")
            self.num_std = tf.Variable(np.array([12.0, 0.5, 2.0, 1.0], np.float32), name="num_std")
            dims = [8 + 8 + 16 + 8 + 4, 64, 32, 1]
            self.ws = [tf.Variable((rng.standard_normal((a, b)) / np.sqrt(a)).astype(np.float32), name=f"dense{i}")
                       for i, (a, b) in enumerate(zip(dims, dims[1:]))]
            self.bs = [tf.Variable(np.zeros((b,), np.float32) + 0.01 * i, name=f"bias{i}")
                       for i, b in enumerate(dims[1:])]

        @tf.function(input_signature=[
            tf.TensorSpec([None], tf.string, name="country"),
            tf.TensorSpec([None], tf.string, name="occupation"),
            tf.TensorSpec([None], tf.string, name="user"),
            tf.TensorSpec([None], tf.string, name="query"),
            tf.TensorSpec([None, 4], tf.float32, name="numeric")])
        def serve(self, country, occupation, user, query, numeric):
            country = tf.strings.lower(country)
            country_ids = self.country_table.lookup(country)
            occupation_ids = self.occupation_table.lookup(occupation)
            # StringLookup-style out-of-vocabulary buckets for users: known users (none in
            # this toy vocabulary) would come from a table, the rest hash into the big table.
            user_ids = self.user_table.lookup(user)
            oov = tf.strings.to_hash_bucket_fast(user, BIG_VOCAB - 1) + 1
            user_ids = tf.where(user_ids < 0, oov, user_ids)
            query_ids = tf.strings.to_hash_bucket_fast(tf.strings.strip(query), HASH_BUCKETS)
            # a crossed feature for the wide part: country x age bucket, hashed
            age_bucket = tf.raw_ops.Bucketize(input=numeric[:, 0], boundaries=[18.0, 25.0, 35.0, 50.0, 65.0])
            cross = tf.strings.join([country, tf.strings.as_string(age_bucket)], separator="_")
            cross_ids = tf.strings.to_hash_bucket_fast(cross, HASH_BUCKETS)
            deep_in = tf.concat([
                tf.nn.embedding_lookup(self.country_emb, country_ids),
                tf.nn.embedding_lookup(self.occupation_emb, occupation_ids),
                tf.nn.embedding_lookup(self.user_emb, user_ids),
                tf.nn.embedding_lookup(self.query_emb, query_ids),
                (numeric - self.num_mean) / self.num_std,
            ], axis=1)
            h = deep_in
            for i, (w, b) in enumerate(zip(self.ws, self.bs)):
                h = tf.matmul(h, w) + b
                if i < len(self.ws) - 1:
                    h = tf.nn.relu(h)
            wide = tf.nn.embedding_lookup(self.wide_w, query_ids) + tf.nn.embedding_lookup(self.cross_w, cross_ids)
            logit = h + wide
            return {"probability": tf.sigmoid(logit), "logit": logit}

    m = WideDeep()
    tf.saved_model.save(m, path, signatures={"serving_default": m.serve})
    return path


BUILDERS = {
    "mlp": build_mlp,
    "cnn": build_cnn,
    "control_flow": build_control_flow,
    "string_middle": build_string_middle,
    "nested_calls": build_nested_calls,
    "wide_deep": build_wide_deep,
}


def inputs(name, batch=4, seed=0):
    """Inputs (numpy) for the serving signature of model `name`."""
    rng = _rng(100 + seed)
    if name == "mlp":
        return {"x": rng.standard_normal((batch, 12)).astype(np.float32)}
    if name == "cnn":
        return {"image": rng.standard_normal((batch, 16, 16, 3)).astype(np.float32)}
    if name == "control_flow":
        return {"x": rng.standard_normal((batch, 6)).astype(np.float32), "steps": np.int32(3)}
    if name == "string_middle":
        return {"x": rng.standard_normal((batch, 5)).astype(np.float32)}
    if name == "nested_calls":
        return {"x": rng.standard_normal((batch, 6)).astype(np.float32)}
    if name == "wide_deep":
        pick = lambda xs: np.array([xs[i].encode() for i in rng.integers(0, len(xs), batch)])  # noqa: E731
        return {"country": np.array([c.upper().encode() for c in pick(COUNTRIES + ["xx"]).astype(str)]),
                "occupation": pick(OCCUPATIONS + ["astronaut"]),
                "user": np.array([f"user{int(i)}".encode() for i in rng.integers(0, 10**6, batch)]),
                "query": np.array([f" q{int(i)} ".encode() for i in rng.integers(0, 500, batch)]),
                "numeric": (rng.standard_normal((batch, 4)) * [10, 0.5, 2, 1] + [40, 1.5, 3, 0])
                .astype(np.float32)}
    raise KeyError(name)


def build(name, path):
    return BUILDERS[name](path)


_CACHE = {}


def cached(root, name):
    """Build model `name` under directory `root` once per process; returns its path."""
    key = (str(root), name)
    if key not in _CACHE:
        path = os.path.join(str(root), "runtime_" + name)
        if not os.path.exists(os.path.join(path, "saved_model.pb")):
            build(name, path)
        _CACHE[key] = path
    return _CACHE[key]


def run_serving(path, name, batch=4, seed=0):
    """Outputs (numpy) of the serving signature of the SavedModel at `path` on `inputs(name)`."""
    tf = _tf()
    fn = tf.saved_model.load(path).signatures["serving_default"]
    out = fn(**{k: tf.constant(v) for k, v in inputs(name, batch, seed).items()})
    return {k: v.numpy() for k, v in out.items()}


def assert_outputs_close(want, got, rtol):
    """Same keys, dtypes and shapes; float outputs within `rtol` relative to each output's
    largest magnitude, everything else exactly equal."""
    assert set(want) == set(got)
    for k in want:
        a, b = want[k], got[k]
        assert a.dtype == b.dtype and a.shape == b.shape, k
        if a.dtype.kind == "f":
            scale = float(np.max(np.abs(a))) if a.size else 0.0
            np.testing.assert_allclose(b, a, rtol=rtol, atol=rtol * scale, err_msg=k)
        else:
            assert np.array_equal(a, b), k
