"""Corpus models written against TensorFlow itself (library "tf").

Audio front-ends (`tf.signal`), image resizing (`tf.image`), ragged and sparse inputs,
`tf.lookup` tables from vocabulary assets, `tf.while_loop`/`tf.cond`/`TensorArray`, and an
XLA-compiled (`jit_compile=True`) TPU function. Weights are drawn from fixed seeds.
"""
from __future__ import annotations

import numpy as np

from tests.corpus import CorpusModel
from tests.corpus._util import asset_files, audio, images, rng, save_aliased, sentences, tf

SAMPLE_RATE = 16000
N_SAMPLES = 4000          # 0.25 s of audio
FRAME, STEP, FFT = 256, 128, 256
N_MELS = 32


def _w(tf_, r, *shape, scale=None, name=None):
    fan_in = int(np.prod(shape[:-1])) if len(shape) > 1 else shape[0]
    scale = 1.0 / np.sqrt(fan_in) if scale is None else scale
    return tf_.Variable((r.standard_normal(shape) * scale).astype(np.float32), name=name)


def _b(tf_, r, n, name=None):
    return tf_.Variable((r.standard_normal(n) * 0.05).astype(np.float32), name=name)


# ---- tf.signal: log-mel spectrogram front-end inside the TPU function ------------------------
def build_log_mel(path):
    """STFT + log-mel + conv classifier, all in tpu_func; the mel matrix is a captured constant."""
    t = tf()

    class LogMelClassifier(t.Module):
        def __init__(self):
            super().__init__()
            r = rng(0, 10)
            # Computed eagerly once: tpu_func captures it (the usual way to build a front-end).
            self.mel = t.signal.linear_to_mel_weight_matrix(N_MELS, FFT // 2 + 1, SAMPLE_RATE, 20.0, 7600.0)
            self.conv_w = _w(t, r, 3, N_MELS, 24, name="conv_w")
            self.conv_b = _b(t, r, 24, name="conv_b")
            self.out_w = _w(t, r, 24, 6, name="out_w")
            self.out_b = _b(t, r, 6, name="out_b")

        @t.function(input_signature=[t.TensorSpec([None, N_SAMPLES], t.float32)])
        def tpu_func(self, audio):
            spec = t.signal.stft(audio, frame_length=FRAME, frame_step=STEP, fft_length=FFT)
            power = t.math.square(t.abs(spec))
            mel = t.matmul(power, self.mel)
            log_mel = t.math.log(mel + 1e-6)
            h = t.nn.relu(t.nn.conv1d(log_mel, self.conv_w, 1, "SAME") + self.conv_b)
            return t.matmul(t.reduce_mean(h, axis=1), self.out_w) + self.out_b

        @t.function(input_signature=[t.TensorSpec([None, N_SAMPLES], t.float32)])
        def serve(self, audio):
            # CPU pre-processing: remove DC offset and peak-normalize each clip.
            centered = audio - t.reduce_mean(audio, axis=1, keepdims=True)
            peak = t.reduce_max(t.abs(centered), axis=1, keepdims=True)
            logits = self.tpu_func(centered / t.maximum(peak, 1e-3))
            return {"logits": logits, "probs": t.nn.softmax(logits)}

    save_aliased(LogMelClassifier(), path)


def inputs_audio(seed):
    return {"audio": audio(seed, 2, N_SAMPLES, SAMPLE_RATE)}


# ---- tf.signal: MFCC features on the CPU, a conv net on the TPU -----------------------------
N_MFCC = 13
N_FRAMES = 1 + (N_SAMPLES - FRAME) // STEP


def build_mfcc(path):
    """MFCCs (stft, mel, log, DCT) computed in serve; tpu_func classifies the [T, 13] features."""
    t = tf()

    class MfccClassifier(t.Module):
        def __init__(self):
            super().__init__()
            r = rng(0, 11)
            self.c1 = _w(t, r, 5, N_MFCC, 16, name="c1")
            self.c2 = _w(t, r, 3, 16, 16, name="c2")
            self.gamma = t.Variable(np.ones(16, np.float32) * 1.1, name="gamma")
            self.out_w = _w(t, r, 32, 4, name="out_w")

        @t.function(input_signature=[t.TensorSpec([None, N_FRAMES, N_MFCC], t.float32)])
        def tpu_func(self, mfcc):
            h = t.nn.relu(t.nn.conv1d(mfcc, self.c1, 1, "SAME"))
            h = t.nn.conv1d(h, self.c2, 2, "VALID")
            mean, var = t.nn.moments(h, axes=[1], keepdims=True)
            h = (h - mean) * t.math.rsqrt(var + 1e-3) * self.gamma
            pooled = t.concat([t.reduce_mean(h, 1), t.reduce_max(h, 1)], axis=-1)
            return t.matmul(pooled, self.out_w)

        @t.function(input_signature=[t.TensorSpec([None, N_SAMPLES], t.float32)])
        def serve(self, audio):
            spec = t.signal.stft(audio, FRAME, STEP, FFT, window_fn=t.signal.hann_window)
            mel_w = t.signal.linear_to_mel_weight_matrix(40, FFT // 2 + 1, SAMPLE_RATE, 60.0, 7000.0)
            mel = t.tensordot(t.abs(spec), mel_w, 1)
            mfcc = t.signal.mfccs_from_log_mel_spectrograms(t.math.log(mel + 1e-6))[..., :N_MFCC]
            logits = self.tpu_func(mfcc)
            return {"logits": logits, "mfcc_energy": t.reduce_mean(mfcc[..., 0], axis=1)}

    save_aliased(MfccClassifier(), path)


# ---- tf.image: resizing on the CPU (any input size) and inside the TPU function --------------
def build_image_resize(path):
    """serve: any-size uint8 image -> crop, antialiased resize to 32x32, standardize.
    tpu_func: conv encoder with bicubic and area downscales, a bilinear-upsampled mask head."""
    t = tf()

    class Segmenter(t.Module):
        def __init__(self):
            super().__init__()
            r = rng(0, 12)
            self.k1 = _w(t, r, 3, 3, 6, 16, name="k1")
            self.k2 = _w(t, r, 3, 3, 16, 24, name="k2")
            self.head = _w(t, r, 1, 1, 24 + 6, 3, name="mask_head")
            self.cls = _w(t, r, 24, 5, name="cls")

        @t.function(input_signature=[t.TensorSpec([None, 32, 32, 3], t.float32)])
        def tpu_func(self, x):
            small = t.image.resize(x, [16, 16], method="bicubic")
            pooled = t.image.resize(x, [16, 16], method="area")
            h = t.nn.relu(t.nn.conv2d(t.concat([small, pooled], -1), self.k1, 1, "SAME"))
            h = t.nn.relu(t.nn.conv2d(h, self.k2, 2, "SAME"))                       # 8x8
            up = t.image.resize(h, [32, 32], method="bilinear")
            near = t.image.resize(t.concat([small, pooled], -1), [32, 32], method="nearest")
            mask = t.nn.conv2d(t.concat([up, near], -1), self.head, 1, "SAME")
            return mask, t.matmul(t.reduce_mean(h, [1, 2]), self.cls)

        @t.function(input_signature=[t.TensorSpec([None, None, None, 3], t.uint8)])
        def serve(self, image):
            x = t.image.convert_image_dtype(image, t.float32)
            x = t.image.central_crop(x, 0.875)
            x = t.image.resize(x, [32, 32], method="bilinear", antialias=True)
            x = t.image.per_image_standardization(x)
            mask, logits = self.tpu_func(x)
            return {"mask_probs": t.nn.softmax(mask), "logits": logits}

    save_aliased(Segmenter(), path)


def inputs_image(seed):
    return {"image": images(seed, 2, 40, 56)}


# ---- ragged: a RaggedTensor in the signature and a string split to ragged inside -------------
def build_ragged(path):
    """serving_default takes a RaggedTensorSpec (flat values + row splits) and strings; word
    hashes are embedded through ragged ops; tpu_func gets fixed-size dense features."""
    t = tf()

    class RaggedModel(t.Module):
        def __init__(self):
            super().__init__()
            r = rng(0, 13)
            self.emb = _w(t, r, 500, 16, scale=0.5, name="word_emb")
            self.w1 = _w(t, r, 16 + 8 + 3, 32, name="w1")
            self.w2 = _w(t, r, 32, 3, name="w2")

        @t.function(input_signature=[t.TensorSpec([None, 16], t.float32),
                                     t.TensorSpec([None, 8], t.float32),
                                     t.TensorSpec([None, 3], t.float32)])
        def tpu_func(self, text_emb, readings, stats):
            h = t.nn.gelu(t.matmul(t.concat([text_emb, readings, stats], -1), self.w1))
            return t.matmul(h, self.w2)

        @t.function(input_signature=[t.TensorSpec([None], t.string),
                                     t.RaggedTensorSpec([None, None], t.float32, row_splits_dtype=t.int64)])
        def serve(self, text, readings):
            words = t.strings.split(t.strings.lower(text))
            ids = t.strings.to_hash_bucket_fast(words, 500)
            vecs = t.ragged.map_flat_values(t.nn.embedding_lookup, self.emb, ids)
            text_emb = t.math.divide_no_nan(t.reduce_sum(vecs, axis=1),
                                            t.cast(words.row_lengths(), t.float32)[:, None])
            stats = t.stack([t.reduce_mean(readings, axis=1), t.reduce_max(readings, axis=1),
                             t.cast(readings.row_lengths(), t.float32)], axis=1)
            dense = readings.to_tensor(default_value=0.0, shape=[None, 8])
            return {"scores": self.tpu_func(text_emb, dense, stats),
                    "n_words": words.row_lengths()}

    save_aliased(RaggedModel(), path)


def inputs_ragged(seed):
    r = rng(seed, 13)
    lengths = np.array([5, 2, 8])
    return {"text": sentences(seed, ["sensor", "warm", "cold", "door", "open", "closed", "alarm"], 3),
            # RaggedTensorSpec flattens to its components: flat values, then row splits.
            "readings": r.normal(20, 4, size=int(lengths.sum())).astype(np.float32),
            "readings_1": np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)}


# ---- sparse: tf.Example parsing (VarLenFeature -> SparseTensor) and a SparseTensorSpec fn ----
TAGS = ["sports", "news", "music", "movies", "tech", "travel", "food", "games"]


def build_sparse(path):
    """serve parses serialized tf.Examples: dense floats plus variable-length tags and clicks
    (SparseTensors), embedded with a sparse embedding lookup; tpu_func is the dense tower. An
    extra function takes a SparseTensorSpec directly."""
    t = tf()

    class Ranker(t.Module):
        def __init__(self):
            super().__init__()
            r = rng(0, 14)
            init = t.lookup.KeyValueTensorInitializer(TAGS, np.arange(len(TAGS), dtype=np.int64))
            self.tags = t.lookup.StaticVocabularyTable(init, num_oov_buckets=2)
            self.tag_emb = _w(t, r, len(TAGS) + 2, 8, scale=0.5, name="tag_emb")
            self.w1 = _w(t, r, 2 + 8 + 2, 24, name="w1")
            self.b1 = _b(t, r, 24, name="b1")
            self.w2 = _w(t, r, 24, 1, name="w2")

        @t.function(input_signature=[t.TensorSpec([None, 12], t.float32)])
        def tpu_func(self, feats):
            return t.matmul(t.nn.relu(t.matmul(feats, self.w1) + self.b1), self.w2)

        @t.function(input_signature=[t.TensorSpec([None], t.string)])
        def serve(self, examples):
            spec = {"age": t.io.FixedLenFeature([], t.float32, default_value=30.0),
                    "income": t.io.FixedLenFeature([], t.float32, default_value=0.0),
                    "tags": t.io.VarLenFeature(t.string),
                    "clicks": t.io.VarLenFeature(t.int64)}
            f = t.io.parse_example(examples, spec)
            tag_ids = t.sparse.SparseTensor(f["tags"].indices, self.tags.lookup(f["tags"].values),
                                            f["tags"].dense_shape)
            tag_vec = t.nn.safe_embedding_lookup_sparse(self.tag_emb, tag_ids, combiner="mean")
            clicks = t.cast(f["clicks"], t.float32)
            click_stats = t.stack([t.sparse.reduce_sum(clicks, axis=1),
                                   t.cast(t.math.bincount(t.cast(f["clicks"].indices[:, 0], t.int32),
                                                          minlength=t.shape(examples)[0]), t.float32)], 1)
            dense = t.stack([f["age"] / 100.0, t.math.log1p(f["income"])], axis=1)
            score = self.tpu_func(t.concat([dense, tag_vec, click_stats], axis=1))
            return {"score": t.squeeze(score, 1), "tag_ids": t.sparse.to_dense(tag_ids, default_value=-1)}

        @t.function(input_signature=[t.SparseTensorSpec([None, len(TAGS) + 2], t.float32)])
        def sparse_scores(self, weights):
            return t.sparse.sparse_dense_matmul(weights, self.tag_emb)

    save_aliased(Ranker(), path)


def inputs_sparse(seed):
    from tensorflow.core.example import example_pb2, feature_pb2
    r = rng(seed, 14)
    out = []
    for i in range(3):
        feats = {"age": feature_pb2.Feature(float_list=feature_pb2.FloatList(value=[float(r.integers(18, 80))])),
                 "income": feature_pb2.Feature(float_list=feature_pb2.FloatList(value=[float(r.uniform(1e3, 1e5))])),
                 "tags": feature_pb2.Feature(bytes_list=feature_pb2.BytesList(
                     value=[(TAGS + ["fashion", "cars"])[int(j)].encode() for j in r.integers(0, 10, size=i + 1)])),
                 "clicks": feature_pb2.Feature(int64_list=feature_pb2.Int64List(
                     value=[int(v) for v in r.integers(0, 20, size=2 * i)]))}
        out.append(example_pb2.Example(features=feature_pb2.Features(feature=feats)).SerializeToString())
    return {"examples": np.array(out, dtype=object)}


# ---- tf.lookup: StaticHashTable from a vocabulary asset, a vocabulary table with OOV buckets -
VOCAB = ["[PAD]", "[UNK]"] + ("the a of to and in is it for on with as was at by this that from "
                              "good bad great poor movie film plot actor story music scene ending "
                              "love hate boring fun slow fast funny dark").split()
CATEGORIES = ["drama", "comedy", "horror", "documentary"]
SEQ = 12


def build_vocab_tables(path):
    """Words -> ids through a StaticHashTable(TextFileInitializer) over the asset vocab.txt and a
    category through a StaticVocabularyTable over categories.txt (OOV buckets); tpu_func is an
    embedding + conv text classifier."""
    t = tf()
    with asset_files(vocab=VOCAB, categories=CATEGORIES) as files:
        class TextClassifier(t.Module):
            def __init__(self):
                super().__init__()
                r = rng(0, 15)
                words = t.lookup.TextFileInitializer(
                    files["vocab"], t.string, t.lookup.TextFileIndex.WHOLE_LINE,
                    t.int64, t.lookup.TextFileIndex.LINE_NUMBER)
                self.words = t.lookup.StaticHashTable(words, default_value=1)
                cats = t.lookup.TextFileInitializer(
                    files["categories"], t.string, t.lookup.TextFileIndex.WHOLE_LINE,
                    t.int64, t.lookup.TextFileIndex.LINE_NUMBER)
                self.cats = t.lookup.StaticVocabularyTable(cats, num_oov_buckets=2)
                self.emb = _w(t, r, len(VOCAB), 16, scale=0.5, name="emb")
                self.cat_emb = _w(t, r, len(CATEGORIES) + 2, 4, scale=0.5, name="cat_emb")
                self.conv = _w(t, r, 3, 16, 32, name="conv")
                self.out = _w(t, r, 32 + 4, 3, name="out")

            @t.function(input_signature=[t.TensorSpec([None, SEQ], t.int64), t.TensorSpec([None], t.int64)])
            def tpu_func(self, ids, category):
                x = t.nn.embedding_lookup(self.emb, ids) * t.cast(ids > 0, t.float32)[..., None]
                h = t.reduce_max(t.nn.relu(t.nn.conv1d(x, self.conv, 1, "SAME")), axis=1)
                h = t.concat([h, t.nn.embedding_lookup(self.cat_emb, category)], -1)
                return t.matmul(h, self.out)

            @t.function(input_signature=[t.TensorSpec([None], t.string), t.TensorSpec([None], t.string)])
            def serve(self, review, category):
                clean = t.strings.regex_replace(t.strings.lower(review), r"[^a-z0-9 ]", " ")
                ids = self.words.lookup(t.strings.split(clean))
                dense = ids.to_tensor(default_value=0, shape=[None, SEQ])
                logits = self.tpu_func(dense, self.cats.lookup(category))
                return {"logits": logits, "ids": dense}

        save_aliased(TextClassifier(), path)


def inputs_vocab(seed):
    return {"review": sentences(seed, VOCAB[2:], 2, 4, 14),
            "category": np.array([b"comedy", b"western"], dtype=object)}


# ---- tf.while_loop / tf.cond / TensorArray in the TPU function and in serve -----------------
T_STEPS, N_IN, N_HID = 10, 8, 16


def build_control_flow(path):
    """tpu_func: a hand-written GRU cell run by tf.while_loop collecting states in a TensorArray,
    with a tf.cond gate; serve: masks by length and pools with a data-dependent while loop."""
    t = tf()

    class Recurrent(t.Module):
        def __init__(self):
            super().__init__()
            r = rng(0, 16)
            self.wx = _w(t, r, N_IN, 3 * N_HID, name="wx")
            self.wh = _w(t, r, N_HID, 3 * N_HID, name="wh")
            self.b = _b(t, r, 3 * N_HID, name="b")
            self.proj = _w(t, r, N_HID, 4, name="proj")

        @t.function(input_signature=[t.TensorSpec([None, T_STEPS, N_IN], t.float32)])
        def tpu_func(self, x):
            xs = t.transpose(x, [1, 0, 2])                                   # time major
            h0 = t.zeros([t.shape(x)[0], N_HID])
            states = t.TensorArray(t.float32, size=T_STEPS, element_shape=[None, N_HID])

            def step(i, h, states):
                gx = t.matmul(xs[i], self.wx) + self.b
                gh = t.matmul(h, self.wh)
                zx, rx, nx = t.split(gx, 3, axis=1)
                zh, rh, nh = t.split(gh, 3, axis=1)
                z, rr = t.sigmoid(zx + zh), t.sigmoid(rx + rh)
                h = z * h + (1.0 - z) * t.tanh(nx + rr * nh)
                return i + 1, h, states.write(i, h)

            _, h, states = t.while_loop(lambda i, h, s: i < T_STEPS, step, [0, h0, states])
            seq = t.transpose(states.stack(), [1, 0, 2])
            # A batch-level switch, as models do for e.g. a fallback on silent input.
            h = t.cond(t.reduce_max(t.abs(x)) > 1e-3, lambda: h, lambda: t.zeros_like(h))
            return t.matmul(h, self.proj), t.matmul(seq, self.proj)

        @t.function(input_signature=[t.TensorSpec([None, T_STEPS, N_IN], t.float32),
                                     t.TensorSpec([None], t.int32)])
        def serve(self, x, lengths):
            mask = t.sequence_mask(lengths, T_STEPS, dtype=t.float32)
            final, per_step = self.tpu_func(x * mask[..., None])
            # Mean of the per-step outputs over the longest sequence: the trip count is data.
            n = t.reduce_max(lengths)

            def body(i, acc):
                return i + 1, acc + per_step[:, i] * mask[:, i, None]

            _, total = t.while_loop(lambda i, acc: i < n, body, [0, t.zeros_like(final)])
            mean = total / t.maximum(t.cast(lengths, t.float32), 1.0)[:, None]
            return {"final": final, "mean": mean}

    save_aliased(Recurrent(), path)


def inputs_control_flow(seed):
    r = rng(seed, 16)
    return {"x": r.standard_normal((3, T_STEPS, N_IN)).astype(np.float32),
            "lengths": np.array([T_STEPS, 4, 7], np.int32)}


# ---- tf.function(jit_compile=True): an XLA-compiled transformer block as the TPU function ----
L_TOK, D = 8, 32


def build_jit_compile(path):
    """tpu_func is a jit_compile=True self-attention block; serve also calls a second
    XLA-compiled function (attention pooling) that is not aliased."""
    t = tf()

    class Encoder(t.Module):
        def __init__(self):
            super().__init__()
            r = rng(0, 17)
            self.qkv = _w(t, r, D, 3 * D, name="qkv")
            self.o = _w(t, r, D, D, name="o")
            self.f1 = _w(t, r, D, 4 * D, name="f1")
            self.f2 = _w(t, r, 4 * D, D, name="f2")
            self.ln = t.Variable(np.ones((2, D), np.float32), name="ln_scale")
            self.pool_q = _w(t, r, D, name="pool_q")

        def _norm(self, x, i):
            mean, var = t.nn.moments(x, axes=[-1], keepdims=True)
            return (x - mean) * t.math.rsqrt(var + 1e-5) * self.ln[i]

        @t.function(input_signature=[t.TensorSpec([None, L_TOK, D], t.float32)], jit_compile=True)
        def tpu_func(self, x):
            q, k, v = t.split(t.einsum("bld,de->ble", self._norm(x, 0), self.qkv), 3, axis=-1)
            heads = lambda a: t.transpose(t.reshape(a, [-1, L_TOK, 4, D // 4]), [0, 2, 1, 3])
            att = t.nn.softmax(t.matmul(heads(q), heads(k), transpose_b=True) / np.sqrt(D // 4))
            ctx = t.reshape(t.transpose(t.matmul(att, heads(v)), [0, 2, 1, 3]), [-1, L_TOK, D])
            x = x + t.einsum("bld,de->ble", ctx, self.o)
            return x + t.einsum("blf,fd->bld", t.nn.gelu(t.einsum("bld,df->blf", self._norm(x, 1), self.f1)), self.f2)

        @t.function(jit_compile=True)
        def pool(self, h):
            w = t.nn.softmax(t.einsum("bld,d->bl", h, self.pool_q), axis=-1)
            return t.einsum("bl,bld->bd", w, h)

        @t.function(input_signature=[t.TensorSpec([None, L_TOK, D], t.float32)])
        def serve(self, x):
            h = self.tpu_func(x)
            return {"pooled": self.pool(h), "tokens": h}

    save_aliased(Encoder(), path)


def inputs_jit(seed):
    return {"x": rng(seed, 17).standard_normal((2, L_TOK, D)).astype(np.float32)}


MODELS = [
    CorpusModel("tf.log_mel", "tf", build_log_mel, inputs_audio, fast=True,
                notes="stft + log-mel with a captured mel matrix in tpu_func"),
    CorpusModel("tf.control_flow", "tf", build_control_flow, inputs_control_flow, fast=True,
                notes="while_loop + TensorArray + cond in tpu_func; data-dependent loop in serve"),
    CorpusModel("tf.mfcc", "tf", build_mfcc, inputs_audio, notes="mfccs on the CPU side"),
    CorpusModel("tf.image_resize", "tf", build_image_resize, inputs_image,
                notes="any-size image input; bilinear/bicubic/area/nearest resizes"),
    CorpusModel("tf.ragged", "tf", build_ragged, inputs_ragged,
                notes="RaggedTensorSpec in the signature; strings split to ragged"),
    CorpusModel("tf.sparse", "tf", build_sparse, inputs_sparse,
                notes="tf.Example parsing with VarLenFeatures; a SparseTensorSpec function"),
    CorpusModel("tf.vocab_tables", "tf", build_vocab_tables, inputs_vocab,
                notes="StaticHashTable/StaticVocabularyTable from asset files"),
    CorpusModel("tf.jit_compile", "tf", build_jit_compile, inputs_jit,
                notes="tpu_func is jit_compile=True; a second XLA function in serve"),
]
