"""Corpus models from `tf_keras` (Keras 2), library "tf_keras".

- Applications (`tf_keras.applications`, weights=None, 10 classes, the smallest input each
  accepts): serve takes uint8 images and applies the application's `preprocess_input` on the
  CPU; tpu_func is the network (logits); serve adds the softmax.
- RNNs (LSTM, GRU, SimpleRNN, Bidirectional, Masking, return_sequences, ConvLSTM2D),
  TimeDistributed, a Keras 2 transformer block.
- Preprocessing layers (StringLookup, IntegerLookup, Hashing, CategoryEncoding,
  TextVectorization) in serve, Normalization inside the TPU model.
- One model saved with plain `model.save` (no function alias).
"""
from __future__ import annotations

import functools

import numpy as np

from tests.corpus import CorpusModel
from tests.corpus._util import (asset_files, calibrate_batchnorm, hold_keras, images, rng, save_aliased,
                                sentences, tf, tf_keras_session, token_ids)

CALIBRATION_SEED = 1000  # images for BatchNormalization statistics, distinct from inputs(seed)

# ---- applications ---------------------------------------------------------------------------
# (class, preprocess module, input size, attach). BatchNormalization statistics are calibrated
# on 16 images (see calibrate_batchnorm). Every application is in the corpus at its
# smallest member and every other variant up to 10M parameters (at 10 classes). attach=True
# exports the Keras model object itself (Keras metadata, per-layer functions, custom-gradient
# functions) as users do; the others export only its variables, which saves 3-5x faster.
APPLICATIONS = [
    ("ConvNeXtTiny", "convnext", 32, False),          # 27.8M, smallest ConvNeXt
    ("DenseNet121", "densenet", 32, False),
    ("EfficientNetB0", "efficientnet", 32, True),     # issue 13 failure 1: custom-gradient fns
    ("EfficientNetB1", "efficientnet", 32, False),
    ("EfficientNetB2", "efficientnet", 32, False),
    ("EfficientNetV2B0", "efficientnet_v2", 32, False),
    ("EfficientNetV2B1", "efficientnet_v2", 32, False),
    ("EfficientNetV2B2", "efficientnet_v2", 32, False),
    ("InceptionResNetV2", "inception_resnet_v2", 75, False),  # 54M, the only one; needs >= 75
    ("InceptionV3", "inception_v3", 75, False),       # 21.8M, smallest; needs >= 75
    ("MobileNet", "mobilenet", 32, False),
    ("MobileNetV2", "mobilenet_v2", 32, True),
    ("MobileNetV3Large", "mobilenet_v3", 32, False),
    ("MobileNetV3Small", "mobilenet_v3", 32, False),
    ("NASNetMobile", "nasnet", 32, False),
    ("RegNetX002", "regnet", 32, False),
    ("RegNetX004", "regnet", 32, False),
    ("RegNetX006", "regnet", 32, False),
    ("RegNetX008", "regnet", 32, False),
    ("RegNetX016", "regnet", 32, False),
    ("RegNetY002", "regnet", 32, False),
    ("RegNetY004", "regnet", 32, False),
    ("RegNetY006", "regnet", 32, False),
    ("RegNetY008", "regnet", 32, False),
    ("ResNet50", "resnet50", 32, False),              # 23.6M, smallest ResNet
    ("ResNet50V2", "resnet_v2", 32, False),           # 23.6M, smallest ResNetV2
    ("ResNetRS50", "resnet_rs", 32, False),           # 33.7M, smallest ResNetRS
    ("VGG16", "vgg16", 32, False),                    # 33.6M, smallest VGG
    ("Xception", "xception", 71, False),              # 20.9M, the only one; needs >= 71
]
# Left out: the same blocks as an included model, only deeper or wider (more than 10M parameters
# at 10 classes, up to 350M: not small at any input size):
# ConvNeXtSmall/Base/Large/XLarge (as ConvNeXtTiny), DenseNet169/201 (as DenseNet121),
# EfficientNetB3-B7 (as B0-B2), EfficientNetV2B3/S/M/L (as V2B0-B2), NASNetLarge (as NASNetMobile),
# RegNetX032-X320 and RegNetY016-Y320 (as the smaller RegNets), ResNet101/152 (as ResNet50),
# ResNet101V2/152V2 (as ResNet50V2), ResNetRS101-420 (as ResNetRS50), VGG19 (as VGG16).


def _app_name(cls: str, suffix: str = "") -> str:
    return "tf_keras." + cls.lower() + suffix


def build_application(path, cls, module, size, attach, **kwargs):
    t = tf()
    with tf_keras_session() as k:
        net = getattr(k.applications, cls)(weights=None, input_shape=(size, size, 3), classes=10,
                                           classifier_activation=None, **kwargs)
        preprocess = getattr(k.applications, module).preprocess_input
        calibrate_batchnorm(net, preprocess(t.cast(images(CALIBRATION_SEED, 16, size, size), t.float32)),
                            k.layers.BatchNormalization)

        class ImageClassifier(t.Module):
            def __init__(self):
                super().__init__()
                hold_keras(self, net, attach)

            @t.function(input_signature=[t.TensorSpec([None, size, size, 3], t.float32)])
            def tpu_func(self, x):
                return self.net(x, training=False)

            @t.function(input_signature=[t.TensorSpec([None, size, size, 3], t.uint8)])
            def serve(self, images):
                logits = self.tpu_func(preprocess(t.cast(images, t.float32)))
                return {"logits": logits, "probs": t.nn.softmax(logits)}

        save_aliased(ImageClassifier(), path)


def inputs_image(size, seed):
    return {"images": images(seed, 2, size, size)}


def _app(cls, module, size, attach, suffix="", **kwargs):
    return CorpusModel(_app_name(cls, suffix), "tf_keras",
                       functools.partial(build_application, cls=cls, module=module, size=size,
                                         attach=attach, **kwargs),
                       functools.partial(inputs_image, size),
                       notes=f"tf_keras.applications.{cls} {size}x{size}" + (" (model attached)" if attach else ""))


# ---- RNN text classifier: Embedding + LSTM + GRU (issue 13 failure 3) -----------------------
TEXT_VOCAB, TEXT_LEN = 1000, 20


def build_text_rnn(path):
    t = tf()
    with tf_keras_session() as k:
        L = k.layers
        ids = k.Input((TEXT_LEN,), dtype="int32", name="token_ids")
        # Embeddings of a trained model's magnitude (the default +-0.05 makes logits ~1e-2).
        x = L.Embedding(TEXT_VOCAB, 32, mask_zero=True,
                        embeddings_initializer=k.initializers.RandomNormal(stddev=0.5))(ids)
        x = L.LSTM(32, return_sequences=True)(x)
        x = L.GRU(32)(x)
        x = L.Dense(16, activation="relu")(x)
        net = k.Model(ids, L.Dense(4)(x), name="text_rnn")

        class TextClassifier(t.Module):
            def __init__(self):
                super().__init__()
                # Attaching the model makes saving ~6x slower (Keras traces every RNN
                # implementation); kept light so that the model stays in the fast tier.
                hold_keras(self, net, attach=False)

            @t.function(input_signature=[t.TensorSpec([None, TEXT_LEN], t.int32)])
            def tpu_func(self, ids):
                return self.net(ids, training=False)

            @t.function(input_signature=[t.TensorSpec([None, TEXT_LEN], t.int32)])
            def serve(self, token_ids):
                logits = self.tpu_func(t.clip_by_value(token_ids, 0, TEXT_VOCAB - 1))
                return {"logits": logits, "probs": t.nn.softmax(logits)}

        save_aliased(TextClassifier(), path)


def inputs_text_rnn(seed):
    return {"token_ids": token_ids(seed, 3, TEXT_LEN, TEXT_VOCAB, lengths=[20, 13, 5])}


# ---- Masking + Bidirectional LSTM/GRU + SimpleRNN + TimeDistributed (per-step tagger) -------
TAG_T, TAG_F = 12, 8


def build_bidirectional(path):
    t = tf()
    with tf_keras_session() as k:
        L = k.layers
        inp = k.Input((TAG_T, TAG_F), name="frames")
        x = L.Masking(mask_value=0.0)(inp)
        x = L.Bidirectional(L.LSTM(16, return_sequences=True))(x)
        x = L.Bidirectional(L.GRU(8, return_sequences=True), merge_mode="sum")(x)
        x = L.SimpleRNN(16, return_sequences=True)(x)
        net = k.Model(inp, L.TimeDistributed(L.Dense(5))(x), name="tagger")

        class Tagger(t.Module):
            def __init__(self):
                super().__init__()
                hold_keras(self, net, attach=True)

            @t.function(input_signature=[t.TensorSpec([None, TAG_T, TAG_F], t.float32)])
            def tpu_func(self, frames):
                return self.net(frames, training=False)

            @t.function(input_signature=[t.TensorSpec([None, TAG_T, TAG_F], t.float32),
                                         t.TensorSpec([None], t.int32)])
            def serve(self, frames, lengths):
                mask = t.sequence_mask(lengths, TAG_T, dtype=t.float32)[..., None]
                logits = self.tpu_func(frames * mask)
                return {"tag_probs": t.nn.softmax(logits) * mask}

        save_aliased(Tagger(), path)


def inputs_bidirectional(seed):
    r = rng(seed, 20)
    return {"frames": (r.standard_normal((3, TAG_T, TAG_F)) + 0.5).astype(np.float32),
            "lengths": np.array([12, 7, 3], np.int32)}


# ---- TimeDistributed CNN + ConvLSTM2D video classifier --------------------------------------
FRAMES, HW = 4, 16


def build_video(path):
    t = tf()
    with tf_keras_session() as k:
        L = k.layers
        inp = k.Input((FRAMES, HW, HW, 3), name="clip")
        x = L.TimeDistributed(L.Conv2D(8, 3, padding="same", activation="relu"))(inp)
        x = L.TimeDistributed(L.BatchNormalization())(x)
        x = L.TimeDistributed(L.MaxPooling2D())(x)
        x = L.ConvLSTM2D(8, 3, padding="same", return_sequences=True)(x)
        x = L.TimeDistributed(L.GlobalAveragePooling2D())(x)
        x = L.GRU(16)(x)
        net = k.Model(inp, L.Dense(5)(x), name="video")
        calibrate_batchnorm(net, images(CALIBRATION_SEED, 8 * FRAMES, HW, HW).reshape(8, FRAMES, HW, HW, 3) / 255.0,
                            L.BatchNormalization)

        class VideoClassifier(t.Module):
            def __init__(self):
                super().__init__()
                hold_keras(self, net, attach=True)

            @t.function(input_signature=[t.TensorSpec([None, FRAMES, HW, HW, 3], t.float32)])
            def tpu_func(self, clip):
                return self.net(clip, training=False)

            @t.function(input_signature=[t.TensorSpec([None, FRAMES, HW, HW, 3], t.uint8)])
            def serve(self, clip):
                logits = self.tpu_func(t.cast(clip, t.float32) / 255.0)
                return {"logits": logits}

        save_aliased(VideoClassifier(), path)


def inputs_video(seed):
    return {"clip": images(seed, 2 * FRAMES, HW, HW).reshape(2, FRAMES, HW, HW, 3)}


# ---- a Keras 2 transformer block (MultiHeadAttention, LayerNormalization) ------------------
TR_VOCAB, TR_LEN = 500, 16


def build_transformer(path):
    t = tf()
    with tf_keras_session() as k:
        L = k.layers
        ids = k.Input((TR_LEN,), dtype="int32", name="token_ids")
        pos = L.Embedding(TR_LEN, 32)(k.backend.arange(TR_LEN)[None])
        x = L.Embedding(TR_VOCAB, 32)(ids) + pos
        mask = L.Lambda(lambda i: k.backend.cast(i > 0, "float32")[:, None, :])(ids)
        att = L.MultiHeadAttention(num_heads=4, key_dim=8)(x, x, attention_mask=mask)
        x = L.LayerNormalization()(x + att)
        ff = L.Dense(32)(L.Dense(64, activation="gelu")(x))
        x = L.LayerNormalization()(x + ff)
        net = k.Model(ids, L.Dense(3)(L.GlobalAveragePooling1D()(x)), name="transformer")

        class Encoder(t.Module):
            def __init__(self):
                super().__init__()
                hold_keras(self, net, attach=True)

            @t.function(input_signature=[t.TensorSpec([None, TR_LEN], t.int32)])
            def tpu_func(self, ids):
                return self.net(ids, training=False)

            @t.function(input_signature=[t.TensorSpec([None, TR_LEN], t.int32)])
            def serve(self, token_ids):
                return {"logits": self.tpu_func(token_ids)}

        save_aliased(Encoder(), path)


def inputs_transformer(seed):
    return {"token_ids": token_ids(seed, 2, TR_LEN, TR_VOCAB)}


# ---- preprocessing layers: lookups/hashing/encoding in serve, Normalization in the TPU model -
CITIES = ["berlin", "paris", "london", "madrid", "rome", "vienna"]
ZIPS = [10115, 75001, 28001, 1010, 20121]
TITLE_WORDS = ["senior", "junior", "engineer", "manager", "data", "sales", "nurse", "teacher", "lead"]


def build_tabular(path):
    """StringLookup, IntegerLookup, Hashing, TextVectorization (multi_hot) and CategoryEncoding
    turn raw features into a dense vector on the CPU; the TPU model normalizes the numeric
    features with a Normalization layer built from constant mean/variance (issue 13 failure 2)."""
    t = tf()
    with tf_keras_session() as k:
        L = k.layers
        cat = k.Input((len(CITIES) + 1 + len(ZIPS) + 1 + 8 + len(TITLE_WORDS) + 1,), name="categorical")
        num = k.Input((3,), name="numeric")
        x = L.Normalization(mean=[40.0, 50000.0, 38.0], variance=[150.0, 4e8, 100.0])(num)
        x = L.Concatenate()([L.Dense(8, activation="relu")(cat), x])
        x = L.Dense(16, activation="relu")(L.Dense(32, activation="relu")(x))
        net = k.Model([cat, num], L.Dense(1)(x), name="tabular")

        class Tabular(t.Module):
            def __init__(self):
                super().__init__()
                self.city = L.StringLookup(vocabulary=CITIES)
                self.city_enc = L.CategoryEncoding(len(CITIES) + 1, output_mode="one_hot")
                self.zip = L.IntegerLookup(vocabulary=ZIPS)
                self.zip_enc = L.CategoryEncoding(len(ZIPS) + 1, output_mode="one_hot")
                self.device = L.Hashing(num_bins=8)
                self.device_enc = L.CategoryEncoding(8, output_mode="one_hot")
                self.title = L.TextVectorization(output_mode="multi_hot", vocabulary=TITLE_WORDS)
                hold_keras(self, net, attach=True)

            @t.function(input_signature=[t.TensorSpec([None, cat.shape[1]], t.float32),
                                         t.TensorSpec([None, 3], t.float32)])
            def tpu_func(self, categorical, numeric):
                return self.net([categorical, numeric], training=False)

            @t.function(input_signature=[t.TensorSpec([None], t.string), t.TensorSpec([None], t.int64),
                                         t.TensorSpec([None], t.string), t.TensorSpec([None], t.string),
                                         t.TensorSpec([None], t.float32), t.TensorSpec([None], t.float32),
                                         t.TensorSpec([None], t.float32)])
            def serve(self, city, zip_code, device, title, age, income, hours):
                categorical = t.concat([self.city_enc(self.city(city)), self.zip_enc(self.zip(zip_code)),
                                        self.device_enc(self.device(device)), self.title(title)], axis=1)
                numeric = t.stack([age, income, hours], axis=1)
                logit = self.tpu_func(categorical, numeric)
                return {"logit": logit, "probability": t.sigmoid(logit),
                        "city_id": self.city(city)}

        save_aliased(Tabular(), path)


def inputs_tabular(seed):
    r = rng(seed, 21)
    n = 3
    return {"city": np.array([c.encode() for c in r.choice(CITIES + ["oslo"], n)], dtype=object),
            "zip_code": r.choice(ZIPS + [99999], n).astype(np.int64),
            "device": np.array([b"android", b"ios", b"web"][:n], dtype=object),
            "title": sentences(seed, TITLE_WORDS, n, 1, 3),
            "age": r.integers(18, 70, n).astype(np.float32),
            "income": r.uniform(2e4, 1.2e5, n).astype(np.float32),
            "hours": r.integers(10, 60, n).astype(np.float32)}


# ---- TextVectorization with a vocabulary asset, into an embedding + conv classifier ---------
TV_WORDS = ("the a of and to is it this that movie film great good bad awful plot acting "
            "music story ending boring fun loved hated slow").split()
TV_LEN = 16


def build_text_vectorization(path):
    t = tf()
    with tf_keras_session() as k, asset_files(vocab=TV_WORDS) as files:
        L = k.layers
        ids = k.Input((TV_LEN,), dtype="int64", name="ids")
        x = L.Embedding(len(TV_WORDS) + 2, 16, embeddings_initializer=k.initializers.RandomNormal(stddev=0.5))(ids)
        x = L.Conv1D(32, 3, padding="same", activation="relu")(x)
        x = L.GlobalMaxPooling1D()(x)
        net = k.Model(ids, L.Dense(2)(L.Dropout(0.2)(x)), name="sentiment")

        class Sentiment(t.Module):
            def __init__(self):
                super().__init__()
                self.vectorize = L.TextVectorization(
                    standardize="lower_and_strip_punctuation", output_sequence_length=TV_LEN,
                    vocabulary=files["vocab"])
                hold_keras(self, net, attach=True)

            @t.function(input_signature=[t.TensorSpec([None, TV_LEN], t.int64)])
            def tpu_func(self, ids):
                return self.net(ids, training=False)

            @t.function(input_signature=[t.TensorSpec([None], t.string)])
            def serve(self, text):
                ids = self.vectorize(text)
                logits = self.tpu_func(ids)
                return {"logits": logits, "ids": ids}

        save_aliased(Sentiment(), path)


def inputs_text_vectorization(seed):
    return {"text": sentences(seed, TV_WORDS, 3, 4, 20)}


# ---- plain tf_keras model.save (Keras' own SavedModel export, no function alias) ------------
def build_model_save(path):
    with tf_keras_session() as k:
        L = k.layers
        img = k.Input((32, 32, 3), name="image")
        meta = k.Input((4,), name="meta")
        x = L.Rescaling(1 / 127.5, offset=-1)(img)
        x = L.Conv2D(16, 3, strides=2, padding="same", use_bias=False)(x)
        x = L.BatchNormalization()(x)
        x = L.ReLU(6.0)(x)
        x = L.SeparableConv2D(32, 3, padding="same", activation="swish")(x)
        x = L.MaxPooling2D()(x)
        x = L.GlobalAveragePooling2D()(x)
        m = L.Dense(8, activation="tanh")(meta)
        x = L.Dropout(0.3)(L.Concatenate()([x, m]))
        model = k.Model([img, meta], L.Dense(3, activation="softmax", name="probs")(x))
        calibrate_batchnorm(model, [images(CALIBRATION_SEED, 16, 32, 32).astype(np.float32),
                                    rng(CALIBRATION_SEED).standard_normal((16, 4)).astype(np.float32)],
                            L.BatchNormalization)
        model.save(path)


def inputs_model_save(seed):
    return {"image": images(seed, 2, 32, 32).astype(np.float32),
            "meta": rng(seed, 22).standard_normal((2, 4)).astype(np.float32)}


MODELS = [
    CorpusModel("tf_keras.text_rnn", "tf_keras", build_text_rnn, inputs_text_rnn, fast=True,
                notes="Embedding(mask_zero) + LSTM + GRU text classifier"),
    CorpusModel("tf_keras.tabular", "tf_keras", build_tabular, inputs_tabular, fast=True,
                notes="StringLookup/IntegerLookup/Hashing/TextVectorization/CategoryEncoding + Normalization"),
    CorpusModel("tf_keras.bidirectional", "tf_keras", build_bidirectional, inputs_bidirectional,
                notes="Masking + Bidirectional LSTM/GRU + SimpleRNN + TimeDistributed"),
    CorpusModel("tf_keras.video", "tf_keras", build_video, inputs_video,
                notes="TimeDistributed Conv2D/BN/pool + ConvLSTM2D + GRU"),
    CorpusModel("tf_keras.transformer", "tf_keras", build_transformer, inputs_transformer,
                notes="MultiHeadAttention + LayerNormalization"),
    CorpusModel("tf_keras.text_vectorization", "tf_keras", build_text_vectorization,
                inputs_text_vectorization, notes="TextVectorization over a vocabulary asset"),
    CorpusModel("tf_keras.model_save", "tf_keras", build_model_save, inputs_model_save, tpu_alias=None,
                notes="plain tf_keras model.save"),
] + [_app(*a) for a in APPLICATIONS] + [
    _app("MobileNetV3Small", "mobilenet_v3", 32, False, suffix="_minimalistic", minimalistic=True),
]
