"""Models and TensorFlow-side data for the bf16-convert tests.

- `build_cnn_model(path)`: a Keras CNN (Conv2D, BatchNormalization, ReLU, pooling, Dense,
  softmax) wrapped in a tf.Module whose `tpu_func` carries the function alias `tpu_func`.
- `build_encoder_model(path)`: a small transformer-encoder block written with raw TF ops
  (embedding lookup on the CPU, MatMul/BatchMatMul attention with softmax, layer norm,
  GELU feed-forward, tied output projection that reads the embedding again on the TPU).
- `build_bf16_model(path)`: a model whose TPU function already contains bfloat16 ops.
- `build_text_rnn_model`, `build_convnext_model`, `build_stft_model`: the models whose
  default bfloat16 error is held to TensorFlow's own oneDNN bfloat16 auto-mixed-precision
  (POLICY_MODELS).
- `cpu_bf16_kernel_table()`: the table in passes/data/bf16_cpu_kernels.json, recomputed from the
  installed TensorFlow's kernel and op registries. Regenerate the file with

      python tests/models_bf16.py --write-kernel-table

- `tf_amp_lists()`: the allow/infer/clear/deny lists TensorFlow's oneDNN bfloat16 rewrite
  uses, as it reports them at run time; the "tensorflow" section of
  passes/data/bf16_policy.json. Regenerate that section with

      python tests/models_bf16.py --write-tf-amp-lists

Inputs for reference runs come from `example_inputs(name)`.
"""
from __future__ import annotations

import json
import os
import sys

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KERNEL_TABLE = os.path.join(ROOT, "passes", "data", "bf16_cpu_kernels.json")
POLICY_FILE = os.path.join(ROOT, "passes", "data", "bf16_policy.json")


def _tf():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf
    return tf


# ---- models -------------------------------------------------------------------------------
def build_cnn_model(path):
    tf = _tf()
    keras = tf.keras
    keras.utils.set_random_seed(1)
    net = keras.Sequential([
        keras.Input((12, 12, 3)),
        keras.layers.Conv2D(8, 3, name="conv1"),
        keras.layers.BatchNormalization(name="bn"),
        keras.layers.ReLU(name="relu"),
        keras.layers.MaxPooling2D(name="pool"),
        keras.layers.Conv2D(16, 3, padding="same", activation="relu", name="conv2"),
        keras.layers.GlobalAveragePooling2D(name="gap"),
        keras.layers.Dense(10, name="logits"),
    ])
    # Non-trivial batch-norm statistics, so that the inference path does real work.
    bn = net.get_layer("bn")
    rng = np.random.default_rng(1)
    bn.moving_mean.assign(rng.uniform(-0.2, 0.2, 8).astype(np.float32))
    bn.moving_variance.assign(rng.uniform(0.5, 1.5, 8).astype(np.float32))

    class Model(tf.Module):
        def __init__(self):
            super().__init__()
            self.net = net

        @tf.function(input_signature=[tf.TensorSpec([None, 12, 12, 3], tf.float32)])
        def tpu_func(self, x):
            return tf.nn.softmax(self.net(x, training=False))

        @tf.function(input_signature=[tf.TensorSpec([None, 12, 12, 3], tf.float32)])
        def serve(self, image):
            probs = self.tpu_func(image)
            return {"probs": probs, "top": tf.argmax(probs, axis=-1)}

    m = Model()
    tf.saved_model.save(m, path, signatures={"serving_default": m.serve},
                        options=tf.saved_model.SaveOptions(function_aliases={"tpu_func": m.tpu_func}))
    return path


VOCAB, DIM, HEADS, SEQ = 32, 16, 2, 6


def build_encoder_model(path):
    tf = _tf()
    rng = np.random.default_rng(2)

    def var(shape, scale, name):
        return tf.Variable((rng.standard_normal(shape) * scale).astype(np.float32), name=name)

    class Encoder(tf.Module):
        def __init__(self):
            super().__init__()
            self.emb = var((VOCAB, DIM), 0.5, "emb")
            self.pos = var((SEQ, DIM), 0.1, "pos")
            self.wq, self.wk, self.wv, self.wo = (var((DIM, DIM), DIM ** -0.5, n) for n in ("wq", "wk", "wv", "wo"))
            self.ln1_g = tf.Variable(np.ones(DIM, np.float32) + rng.uniform(-0.1, 0.1, DIM).astype(np.float32), name="ln1_g")
            self.ln1_b = var((DIM,), 0.05, "ln1_b")
            self.w1, self.b1 = var((DIM, 4 * DIM), DIM ** -0.5, "w1"), var((4 * DIM,), 0.05, "b1")
            self.w2, self.b2 = var((4 * DIM, DIM), (4 * DIM) ** -0.5, "w2"), var((DIM,), 0.05, "b2")
            self.ln2_g = tf.Variable(np.ones(DIM, np.float32), name="ln2_g")
            self.ln2_b = tf.Variable(np.zeros(DIM, np.float32), name="ln2_b")

        @staticmethod
        def layer_norm(x, g, b):
            mean, var_ = tf.nn.moments(x, axes=[-1], keepdims=True)
            return (x - mean) * tf.math.rsqrt(var_ + 1e-5) * g + b

        def heads(self, x):
            b = tf.shape(x)[0]
            x = tf.reshape(x, [b, SEQ, HEADS, DIM // HEADS])
            return tf.transpose(x, [0, 2, 1, 3])

        @tf.function(input_signature=[tf.TensorSpec([None, SEQ, DIM], tf.float32)])
        def tpu_func(self, x):
            x = x + self.pos
            q, k, v = (self.heads(tf.einsum("bsd,de->bse", x, w)) for w in (self.wq, self.wk, self.wv))
            scores = tf.matmul(q, k, transpose_b=True) * (DIM // HEADS) ** -0.5
            att = tf.nn.softmax(scores, axis=-1)
            ctx = tf.transpose(tf.matmul(att, v), [0, 2, 1, 3])
            ctx = tf.reshape(ctx, [-1, SEQ, DIM])
            h = self.layer_norm(x + tf.einsum("bsd,de->bse", ctx, self.wo), self.ln1_g, self.ln1_b)
            flat = tf.reshape(h, [-1, DIM])
            ff = tf.nn.gelu(tf.matmul(flat, self.w1) + self.b1)
            ff = tf.reshape(tf.matmul(ff, self.w2) + self.b2, [-1, SEQ, DIM])
            h = self.layer_norm(h + ff, self.ln2_g, self.ln2_b)
            # Tied output projection: the embedding is read here (TPU) and in serve (CPU).
            logits = tf.matmul(tf.reshape(h, [-1, DIM]), self.emb, transpose_b=True)
            return tf.reshape(logits, [-1, SEQ, VOCAB])

        @tf.function(input_signature=[tf.TensorSpec([None, SEQ], tf.int32)])
        def serve(self, ids):
            x = tf.gather(self.emb, ids)
            logits = self.tpu_func(x)
            return {"logits": logits, "log_probs": tf.nn.log_softmax(logits)}

    m = Encoder()
    tf.saved_model.save(m, path, signatures={"serving_default": m.serve},
                        options=tf.saved_model.SaveOptions(function_aliases={"tpu_func": m.tpu_func}))
    return path


def build_bf16_model(path):
    """A TPU function that already computes in bfloat16 (the safety check refuses it)."""
    tf = _tf()

    class Model(tf.Module):
        def __init__(self):
            super().__init__()
            self.w = tf.Variable(np.linspace(-1, 1, 8 * 4, dtype=np.float32).reshape(8, 4), name="w")

        @tf.function(input_signature=[tf.TensorSpec([None, 8], tf.float32)])
        def tpu_func(self, x):
            y = tf.matmul(tf.cast(x, tf.bfloat16), tf.cast(self.w, tf.bfloat16))
            return tf.nn.relu(tf.cast(y, tf.float32) + 1.0)

        @tf.function(input_signature=[tf.TensorSpec([None, 8], tf.float32)])
        def serve(self, x):
            return {"y": self.tpu_func(x)}

    m = Model()
    tf.saved_model.save(m, path, signatures={"serving_default": m.serve},
                        options=tf.saved_model.SaveOptions(function_aliases={"tpu_func": m.tpu_func}))
    return path


# ---- models for the bfloat16 precision policy (issue 13) -----------------------------------
# Each is compared with TensorFlow's own oneDNN bfloat16 auto-mixed-precision on the same
# inputs: its loop-carried state, reductions, normalization statistics and FFTs are where a
# careless bfloat16 policy loses accuracy.
TEXT_VOCAB, TEXT_LEN, TEXT_CLASSES = 50, 12, 4


def build_text_rnn_model(path, keras_version=2):
    """An Embedding + LSTM + GRU text classifier, in tf_keras (Keras 2: the LSTM and GRU are
    functions holding While loops whose bodies carry the recurrent state) or, with
    `keras_version=3`, in Keras 3 (`tf.keras`: the While loops are inline)."""
    tf = _tf()
    if keras_version == 2:
        import tf_keras as keras
    else:
        keras = tf.keras
    keras.utils.set_random_seed(3)
    net = keras.Sequential([
        keras.Input((TEXT_LEN,), dtype="int32"),
        keras.layers.Embedding(TEXT_VOCAB, 16, name="emb"),
        keras.layers.LSTM(24, return_sequences=True, name="lstm"),
        keras.layers.GRU(24, name="gru"),
        keras.layers.Dense(TEXT_CLASSES, name="logits"),
    ])

    class Model(tf.Module):
        def __init__(self):
            super().__init__()
            self.net = net

        @tf.function(input_signature=[tf.TensorSpec([None, TEXT_LEN], tf.int32)])
        def tpu_func(self, ids):
            return self.net(ids, training=False)

        @tf.function(input_signature=[tf.TensorSpec([None, TEXT_LEN], tf.int32)])
        def serve(self, ids):
            return {"logits": self.tpu_func(ids)}

    m = Model()
    tf.saved_model.save(m, path, signatures={"serving_default": m.serve},
                        options=tf.saved_model.SaveOptions(function_aliases={"tpu_func": m.tpu_func}))
    return path


def build_convnext_model(path):
    """A small ConvNeXt (Keras 3): patchify stem + LayerNorm, one block (7x7 depthwise conv,
    LayerNormalization, Dense 4x expansion, GELU, Dense, layer scale, residual), global
    average pooling, LayerNorm, Dense head."""
    tf = _tf()
    keras = tf.keras
    keras.utils.set_random_seed(4)
    dim = 16

    class LayerScale(keras.layers.Layer):
        def build(self, shape):
            self.gamma = self.add_weight(shape=(shape[-1],), initializer=keras.initializers.Constant(0.5),
                                         name="gamma")

        def call(self, x):
            return x * self.gamma

    inp = keras.Input((16, 16, 3))
    x = keras.layers.Conv2D(dim, 2, strides=2, name="stem")(inp)
    x = keras.layers.LayerNormalization(epsilon=1e-6, name="stem_ln")(x)
    y = keras.layers.DepthwiseConv2D(7, padding="same", name="dwconv")(x)
    y = keras.layers.LayerNormalization(epsilon=1e-6, name="ln")(y)
    y = keras.layers.Dense(4 * dim, name="pw1")(y)
    y = keras.layers.Activation("gelu", name="gelu")(y)
    y = keras.layers.Dense(dim, name="pw2")(y)
    y = LayerScale(name="layer_scale")(y)
    x = keras.layers.Add(name="residual")([x, y])
    x = keras.layers.GlobalAveragePooling2D(name="gap")(x)
    x = keras.layers.LayerNormalization(epsilon=1e-6, name="head_ln")(x)
    out = keras.layers.Dense(10, name="head")(x)
    net = keras.Model(inp, out)
    # Non-trivial LayerNorm parameters, so that the normalization does real work.
    rng = np.random.default_rng(4)
    for layer in net.layers:
        if isinstance(layer, keras.layers.LayerNormalization):
            layer.gamma.assign(rng.uniform(0.5, 1.5, layer.gamma.shape).astype(np.float32))
            layer.beta.assign(rng.uniform(-0.2, 0.2, layer.beta.shape).astype(np.float32))

    class Model(tf.Module):
        def __init__(self):
            super().__init__()
            self.net = net

        @tf.function(input_signature=[tf.TensorSpec([None, 16, 16, 3], tf.float32)])
        def tpu_func(self, x):
            return self.net(x, training=False)

        @tf.function(input_signature=[tf.TensorSpec([None, 16, 16, 3], tf.float32)])
        def serve(self, image):
            return {"logits": self.tpu_func(image)}

    m = Model()
    tf.saved_model.save(m, path, signatures={"serving_default": m.serve},
                        options=tf.saved_model.SaveOptions(function_aliases={"tpu_func": m.tpu_func}))
    return path


AUDIO_LEN, MEL_BINS = 2048, 32


def build_stft_model(path):
    """A tf.signal log-mel front-end (stft, magnitude, mel matrix MatMul, log) feeding a small
    dense head, all in the TPU function."""
    tf = _tf()
    rng = np.random.default_rng(5)
    frames = 1 + (AUDIO_LEN - 256) // 128

    class Model(tf.Module):
        def __init__(self):
            super().__init__()
            self.w1 = tf.Variable((rng.standard_normal((frames * MEL_BINS, 32)) * 0.05).astype(np.float32),
                                  name="w1")
            self.b1 = tf.Variable((rng.standard_normal(32) * 0.1).astype(np.float32), name="b1")
            self.w2 = tf.Variable((rng.standard_normal((32, 6)) * 0.2).astype(np.float32), name="w2")
            self.b2 = tf.Variable((rng.standard_normal(6) * 0.1).astype(np.float32), name="b2")

        @tf.function(input_signature=[tf.TensorSpec([None, AUDIO_LEN], tf.float32)])
        def tpu_func(self, audio):
            spec = tf.abs(tf.signal.stft(audio, frame_length=256, frame_step=128, fft_length=256))
            mel = tf.signal.linear_to_mel_weight_matrix(MEL_BINS, 129, 16000, 20.0, 7600.0)
            logmel = tf.math.log(tf.matmul(spec, mel) + 1e-6)
            flat = tf.reshape(logmel, [-1, frames * MEL_BINS])
            h = tf.nn.relu(tf.matmul(flat, self.w1) + self.b1)
            return tf.matmul(h, self.w2) + self.b2

        @tf.function(input_signature=[tf.TensorSpec([None, AUDIO_LEN], tf.float32)])
        def serve(self, audio):
            return {"logits": self.tpu_func(audio)}

    m = Model()
    tf.saved_model.save(m, path, signatures={"serving_default": m.serve},
                        options=tf.saved_model.SaveOptions(function_aliases={"tpu_func": m.tpu_func}))
    return path


MODELS = {"bf16_cnn": build_cnn_model, "bf16_encoder": build_encoder_model, "bf16_pre": build_bf16_model,
          "bf16_text_rnn": build_text_rnn_model,
          "bf16_text_rnn_k3": lambda path: build_text_rnn_model(path, keras_version=3),
          "bf16_convnext": build_convnext_model,
          "bf16_stft": build_stft_model}
# The models whose default bfloat16 error is held to TensorFlow's own (tests/test_bf16.py).
POLICY_MODELS = ("bf16_text_rnn", "bf16_text_rnn_k3", "bf16_convnext", "bf16_stft")


def example_inputs(name):
    rng = np.random.default_rng(7)
    if name == "bf16_cnn":
        return {"image": rng.standard_normal((3, 12, 12, 3)).astype(np.float32)}
    if name == "bf16_encoder":
        return {"ids": rng.integers(0, VOCAB, (2, SEQ)).astype(np.int32)}
    if name == "bf16_pre":
        return {"x": rng.standard_normal((4, 8)).astype(np.float32)}
    if name in ("bf16_text_rnn", "bf16_text_rnn_k3"):
        return {"ids": rng.integers(0, TEXT_VOCAB, (8, TEXT_LEN)).astype(np.int32)}
    if name == "bf16_convnext":
        return {"image": rng.standard_normal((4, 16, 16, 3)).astype(np.float32)}
    if name == "bf16_stft":
        t = np.arange(AUDIO_LEN) / 16000.0
        tones = np.stack([np.sin(2 * np.pi * f * t) for f in (220.0, 440.0, 1000.0, 3000.0)])
        return {"audio": (0.5 * tones + 0.05 * rng.standard_normal(tones.shape)).astype(np.float32)}
    raise KeyError(name)


# ---- the CPU kernel table -----------------------------------------------------------------
def _merge(kernels):
    """Merge kernel constraint dicts that differ in at most one attr (union of its types)."""
    ks = [dict(k) for k in kernels]
    changed = True
    while changed:
        changed = False
        for i in range(len(ks)):
            for j in range(i + 1, len(ks)):
                a, b = ks[i], ks[j]
                if a.keys() != b.keys():
                    continue
                diff = [x for x in a if a[x] != b[x]]
                if len(diff) <= 1:
                    if diff:
                        a[diff[0]] = sorted(set(a[diff[0]]) | set(b[diff[0]]))
                    del ks[j]
                    changed = True
                    break
            if changed:
                break
    return sorted(ks, key=lambda k: json.dumps(k, sort_keys=True))


def cpu_bf16_kernel_table():
    """{op: [ {type attr: [allowed dtype names]} ...]}: the CPU (and DEFAULT-device) kernels
    (unlabelled) of every op
    that can run with some type attr set to bfloat16, each kernel's type constraints
    intersected with the OpDef's allowed_values (an attr missing from a dict accepts any
    type). Ops none of whose CPU kernels accept bfloat16 are absent."""
    tf = _tf()
    from tensorflow.python.framework import kernels, op_def_registry

    def name(enum):
        return tf.dtypes.as_dtype(enum).name

    table = {}
    for k in kernels.get_all_registered_kernels().kernel:
        if k.device_type not in ("CPU", "DEFAULT") or k.label:
            continue
        od = op_def_registry.get(k.op)
        if od is None:
            continue
        type_attrs = {a.name: a for a in od.attr if a.type in ("type", "list(type)")}
        cons = {}
        for a_name, a in type_attrs.items():
            allowed = None
            if a.HasField("allowed_values") and a.allowed_values.list.type:
                allowed = {name(t) for t in a.allowed_values.list.type}
            for c in k.constraint:
                if c.name == a_name:
                    kc = {name(t) for t in c.allowed_values.list.type}
                    allowed = kc if allowed is None else allowed & kc
            if allowed is not None:
                cons[a_name] = sorted(allowed)
        if not any(a not in cons or "bfloat16" in cons[a] for a in type_attrs):
            continue
        table.setdefault(k.op, []).append(cons)
    return {op: _merge(v) for op, v in sorted(table.items())}


def write_kernel_table(path=KERNEL_TABLE):
    table = cpu_bf16_kernel_table()
    tf = _tf()
    with open(path, "w") as f:
        f.write('{"_comment":"CPU kernels that accept bfloat16, from TensorFlow ' + tf.__version__
                + '; regenerate: python tests/models_bf16.py --write-kernel-table",\n')
        f.write(",\n".join(f"{json.dumps(op)}:{json.dumps(v, sort_keys=True, separators=(',', ':'))}"
                           for op, v in table.items()))
        f.write("}\n")
    return path


# ---- TensorFlow's auto-mixed-precision lists ------------------------------------------------
_AMP_LISTS_SCRIPT = """
import os, sys
os.environ["TF_AUTO_MIXED_PRECISION_GRAPH_REWRITE_LOG_PATH"] = sys.argv[1]
import tensorflow as tf
tf.config.optimizer.set_experimental_options({"auto_mixed_precision_onednn_bfloat16": True})
f = tf.function(lambda x: tf.nn.relu(tf.matmul(x, x)))
f(tf.ones([2, 2]))
"""


def tf_amp_lists():
    """{"allow"|"infer"|"clear"|"deny": sorted op names}: the lists of TensorFlow's oneDNN
    bfloat16 auto-mixed-precision rewrite, read from the "paint buckets" file grappler writes
    when TF_AUTO_MIXED_PRECISION_GRAPH_REWRITE_LOG_PATH is set (a fresh process: the option
    is process-global). None if the rewrite did not run (TensorFlow without oneDNN)."""
    import glob
    import subprocess
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
        subprocess.run([sys.executable, "-c", _AMP_LISTS_SCRIPT, tmp], check=True, env=env,
                       capture_output=True)
        found = glob.glob(os.path.join(tmp, "paintbuckets*.txt"))
        if not found:
            return None
        with open(found[0]) as f:
            text = f.read()
    names = {"AllowList": "allow", "InferList": "infer", "ClearList": "clear", "DenyList": "deny"}
    lists, cur = {}, None
    for line in text.splitlines():
        line = line.strip()
        if line.endswith(":") and line[:-1] in names:
            cur = lists.setdefault(names[line[:-1]], [])
        elif line and cur is not None:
            cur.append(line)
    return {k: sorted(v) for k, v in lists.items()}


def dump_policy(policy):
    """passes/data/bf16_policy.json's text: JSON with every list of names on one line."""
    def fmt(v, indent):
        pad = " " * indent
        if isinstance(v, dict) and any(isinstance(x, (dict, list)) for x in v.values()):
            items = [f"{pad} {json.dumps(k)}: {fmt(x, indent + 1)}" for k, x in v.items()]
            return "{\n" + ",\n".join(items) + "\n" + pad + "}"
        if isinstance(v, list) and any(isinstance(x, str) and " " in x for x in v):
            return "[\n" + ",\n".join(f"{pad}  {json.dumps(x)}" for x in v) + "\n" + pad + "]"
        return json.dumps(v)
    return fmt(policy, 0) + "\n"


def write_tf_amp_lists(path=POLICY_FILE):
    lists = tf_amp_lists()
    if lists is None:
        sys.exit("TensorFlow's oneDNN bfloat16 auto-mixed-precision rewrite did not run (no oneDNN?)")
    with open(path) as f:
        policy = json.load(f)
    tf = _tf()
    section = policy["tensorflow"]
    section["source"] = ("tensorflow/core/grappler/optimizers/auto_mixed_precision_lists.h "
                         f"(AutoMixedPrecisionListsMkl), TensorFlow {tf.__version__}")
    section.update(lists)
    with open(path, "w") as f:
        f.write(dump_policy(policy))
    return path


if __name__ == "__main__":
    if sys.argv[1:] == ["--write-kernel-table"]:
        print(write_kernel_table())
    elif sys.argv[1:] == ["--write-tf-amp-lists"]:
        print(write_tf_amp_lists())
    else:
        sys.exit("usage: python tests/models_bf16.py --write-kernel-table | --write-tf-amp-lists")
