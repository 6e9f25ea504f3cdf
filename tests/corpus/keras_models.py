"""Corpus models from Keras 3 (library "keras") and keras_hub (library "keras_hub").

keras_hub backbones are built from tiny configs (hidden 32, 2 layers, vocabulary 200; no
presets, nothing downloaded) and exported two ways:
- `<name>`: a tf.Module whose `tpu_func` calls the backbone (plus the LM head for decoders) with
  fixed-length inputs; `serve` computes masks/segments and post-processes.
- `<name>_export`: Keras 3's own `model.export(path, format="tf_saved_model")` (no alias).
Keras 3 models: a ConvNeXt-like and a MobileNetV3 CNN, an RNN, a functional tabular model.
"""
from __future__ import annotations

import functools

import numpy as np

from tests.corpus import CorpusModel
from tests.corpus._util import (calibrate_batchnorm, images, keras, keras_session, rng, save_aliased, sentences,
                                tf, token_ids)

VOCAB, SEQ, DEC, HID, FF = 200, 16, 8, 32, 64
IMG = 32
N_MELS, MEL_T = 16, 32


def _hub():
    keras()
    import keras_hub
    return keras_hub


# ---- keras_hub backbones ------------------------------------------------------------------
_TEXT = dict(vocabulary_size=VOCAB, num_layers=2, num_heads=2, hidden_dim=HID, intermediate_dim=FF)
_DECODER = dict(vocabulary_size=VOCAB, num_layers=2, hidden_dim=HID, intermediate_dim=FF)
_IMAGE = dict(image_shape=(IMG, IMG, 3))

# name: (backbone class, config, kind, backbone input names)
HUB = {
    "bert": ("BertBackbone", dict(_TEXT, max_sequence_length=SEQ), "encoder",
             ("token_ids", "segment_ids", "padding_mask")),
    "roberta": ("RobertaBackbone", dict(_TEXT, max_sequence_length=SEQ), "encoder",
                ("token_ids", "padding_mask")),
    "distilbert": ("DistilBertBackbone", dict(_TEXT, max_sequence_length=SEQ), "encoder",
                   ("token_ids", "padding_mask")),
    "albert": ("AlbertBackbone", dict(_TEXT, embedding_dim=16, max_sequence_length=SEQ), "encoder",
               ("token_ids", "segment_ids", "padding_mask")),
    "electra": ("ElectraBackbone", dict(vocab_size=VOCAB, num_layers=2, num_heads=2, hidden_dim=HID,
                                        embedding_dim=16, intermediate_dim=FF, max_sequence_length=SEQ),
                "encoder", ("token_ids", "segment_ids", "padding_mask")),
    "deberta_v3": ("DebertaV3Backbone", dict(_TEXT, max_sequence_length=SEQ, bucket_size=8), "encoder",
                   ("token_ids", "padding_mask")),
    "fnet": ("FNetBackbone", dict(vocabulary_size=VOCAB, num_layers=2, hidden_dim=HID, intermediate_dim=FF,
                                  max_sequence_length=SEQ), "encoder", ("token_ids", "segment_ids")),
    "gpt2": ("GPT2Backbone", dict(_TEXT, max_sequence_length=SEQ), "decoder", ("token_ids", "padding_mask")),
    "opt": ("OPTBackbone", dict(_TEXT, max_sequence_length=SEQ), "decoder", ("token_ids", "padding_mask")),
    "gemma": ("GemmaBackbone", dict(_DECODER, num_query_heads=2, num_key_value_heads=1, head_dim=16),
              "decoder", ("token_ids", "padding_mask")),
    "llama": ("LlamaBackbone", dict(_DECODER, num_query_heads=4, num_key_value_heads=2), "decoder",
              ("token_ids", "padding_mask")),
    "mistral": ("MistralBackbone", dict(_DECODER, num_query_heads=4, num_key_value_heads=2, sliding_window=8),
                "decoder", ("token_ids", "padding_mask")),
    "bloom": ("BloomBackbone", dict(_TEXT), "decoder", ("token_ids", "padding_mask")),
    "gpt_neox": ("GPTNeoXBackbone", dict(_TEXT, max_sequence_length=SEQ), "decoder", ("token_ids", "padding_mask")),
    "falcon": ("FalconBackbone", dict(_DECODER, num_attention_heads=2), "decoder", ("token_ids", "padding_mask")),
    "t5": ("T5Backbone", dict(_TEXT), "seq2seq",
           ("encoder_token_ids", "encoder_padding_mask", "decoder_token_ids", "decoder_padding_mask")),
    "bart": ("BartBackbone", dict(_TEXT, max_sequence_length=SEQ), "seq2seq",
             ("encoder_token_ids", "encoder_padding_mask", "decoder_token_ids", "decoder_padding_mask")),
    "whisper": ("WhisperBackbone", dict(_TEXT, num_mels=N_MELS, max_encoder_sequence_length=MEL_T,
                                        max_decoder_sequence_length=DEC), "speech",
                ("encoder_features", "decoder_token_ids", "decoder_padding_mask")),
    "vit": ("ViTBackbone", dict(_IMAGE, patch_size=8, num_layers=2, num_heads=2, hidden_dim=HID, mlp_dim=FF),
            "image", ("images",)),
    "deit": ("DeiTBackbone", dict(_IMAGE, patch_size=8, num_layers=2, num_heads=2, hidden_dim=HID,
                                  intermediate_dim=FF), "image", ("images",)),
    # ResNetBackbone insists on 64 filters in the first stack (and the stem must match).
    "resnet": ("ResNetBackbone", dict(_IMAGE, input_conv_filters=[64], input_conv_kernel_sizes=[3],
                                      stackwise_num_filters=[64, 64], stackwise_num_blocks=[1, 1],
                                      stackwise_num_strides=[1, 2], block_type="basic_block"), "image", ("images",)),
    "resnet_v2": ("ResNetBackbone", dict(_IMAGE, input_conv_filters=[64], input_conv_kernel_sizes=[3],
                                         stackwise_num_filters=[64, 64], stackwise_num_blocks=[1, 1],
                                         stackwise_num_strides=[1, 2], block_type="bottleneck_block",
                                         use_pre_activation=True), "image", ("images",)),
    "mit": ("MiTBackbone", dict(_IMAGE, layerwise_depths=[1, 1], num_layers=2, layerwise_num_heads=[1, 2],
                                layerwise_sr_ratios=[4, 2], max_drop_path_rate=0.0, layerwise_patch_sizes=[7, 3],
                                layerwise_strides=[4, 2], hidden_dims=[16, 32]), "image", ("images",)),
    "swin": ("SwinTransformerBackbone", dict(_IMAGE, patch_size=4, embed_dim=16, depths=[1, 1],
                                             num_heads=[1, 2], window_size=4), "image", ("images",)),
}
# Also exported with Keras 3's model.export.
HUB_EXPORTED = ("bert", "distilbert", "gpt2", "t5", "bart", "vit")


def _trained_scale(model, embeddings=True):
    """Trained-like magnitudes for a transformer initialized with std 0.02, a scale meant for
    hidden size 768: at 32, attention and MLP barely touch the residual stream (outputs are
    nearly the token embeddings, a [CLS] readout is the same for every input) and tied LM-head
    logits are ~0.1 (a uniform next-token distribution). Weights drawn with std 0.02 are
    rescaled: kernels to std 1/sqrt(hidden), token embeddings to 0.5. Other initializations
    (T5's fan-in scaled ones, Glorot) are left alone."""
    token = getattr(model, "token_embedding", None)
    token_ids = {id(w) for w in token.weights} if token is not None else set()
    for w in model.trainable_weights:
        v = w.numpy()
        if not 0.01 < v.std() < 0.03:
            continue
        if id(w) in token_ids:
            if embeddings:
                w.assign(v * (0.5 / v.std()))
        elif v.ndim >= 2 and "embedding" not in w.path:
            w.assign(v * ((1.0 / np.sqrt(HID)) / v.std()))


def _make_backbone(name):
    """The backbone from its config, with trained-like magnitudes (see _trained_scale) and
    calibrated BatchNormalization statistics (ResNet)."""
    cls, cfg, kind, _ = HUB[name]
    k = keras()
    backbone = getattr(_hub().models, cls)(**cfg)
    if kind != "image":
        _trained_scale(backbone, embeddings=kind != "encoder")
    if kind == "image":
        batch = (images(1000, 16, IMG, IMG).astype(np.float32) / 255.0 - 0.5) / 0.25
        calibrate_batchnorm(backbone, batch, k.layers.BatchNormalization)
    return backbone


def _specs(t, names):
    """Fixed-length TPU shapes for the backbone inputs: only the batch dimension is None."""
    shapes = {"encoder_features": ([None, MEL_T, N_MELS], t.float32), "images": ([None, IMG, IMG, 3], t.float32)}
    out = {}
    for n in names:
        shape, dtype = shapes.get(n, ([None, DEC if n.startswith("decoder") else SEQ], t.int32))
        out[n] = t.TensorSpec(shape, dtype, name=n)
    return out


def _lm_head(backbone, h):
    """Logits over the vocabulary from the (tied or separate) reversible token embedding."""
    return backbone.token_embedding(h, reverse=True)


def build_hub_aliased(path, name):
    t = tf()
    _, _, kind, names = HUB[name]
    with keras_session():
        backbone = _make_backbone(name)
        specs = _specs(t, names)
        if kind == "image":  # image backbones take the tensor itself
            specs = specs["images"]

        class Served(t.Module):
            def __init__(self):
                super().__init__()
                self.backbone = backbone

            @t.function(input_signature=[specs])
            def tpu_func(self, inputs):
                out = self.backbone(inputs, training=False)
                if kind == "decoder":
                    return {"logits": _lm_head(self.backbone, out)}
                if kind in ("seq2seq", "speech"):
                    return {"encoder": out["encoder_sequence_output"],
                            "logits": _lm_head(self.backbone, out["decoder_sequence_output"])}
                if kind == "image":
                    return {"features": t.reduce_mean(out, axis=list(range(1, len(out.shape) - 1)))}
                return out if isinstance(out, dict) else {"sequence_output": out}

            if kind in ("encoder", "decoder"):
                @t.function(input_signature=[t.TensorSpec([None, SEQ], t.int32)])
                def serve(self, token_ids):
                    mask = t.cast(token_ids != 0, t.int32)
                    feed = {"token_ids": token_ids, "padding_mask": mask, "segment_ids": t.zeros_like(token_ids)}
                    out = self.tpu_func({n: feed[n] for n in names})
                    if kind == "encoder":
                        return out
                    # Next-token log-probabilities after each row's last real token.
                    last = t.maximum(t.reduce_sum(mask, axis=1) - 1, 0)
                    logits = t.gather(out["logits"], last, axis=1, batch_dims=1)
                    return {"next_token_logits": logits,
                            "top5_probs": t.math.top_k(t.nn.softmax(logits), k=5).values}
            elif kind == "seq2seq":
                @t.function(input_signature=[t.TensorSpec([None, SEQ], t.int32), t.TensorSpec([None, DEC], t.int32)])
                def serve(self, encoder_token_ids, decoder_token_ids):
                    out = self.tpu_func({
                        "encoder_token_ids": encoder_token_ids,
                        "encoder_padding_mask": t.cast(encoder_token_ids != 0, t.int32),
                        "decoder_token_ids": decoder_token_ids,
                        "decoder_padding_mask": t.cast(decoder_token_ids != 0, t.int32)})
                    return {"encoder": out["encoder"], "logits": out["logits"]}
            elif kind == "speech":
                @t.function(input_signature=[t.TensorSpec([None, MEL_T, N_MELS], t.float32),
                                             t.TensorSpec([None, DEC], t.int32)])
                def serve(self, log_mel, decoder_token_ids):
                    # Whisper's feature scaling: clamp to 8 below the max, then to about [-1, 1].
                    x = t.maximum(log_mel, t.reduce_max(log_mel, axis=[1, 2], keepdims=True) - 8.0)
                    out = self.tpu_func({"encoder_features": (x + 4.0) / 4.0,
                                         "decoder_token_ids": decoder_token_ids,
                                         "decoder_padding_mask": t.cast(decoder_token_ids != 0, t.int32)})
                    return {"encoder": out["encoder"], "logits": out["logits"]}
            else:
                @t.function(input_signature=[t.TensorSpec([None, IMG, IMG, 3], t.uint8)])
                def serve(self, images):
                    x = (t.cast(images, t.float32) / 255.0 - 0.5) / 0.25
                    return self.tpu_func(x)

        save_aliased(Served(), path)


def build_hub_export(path, name):
    with keras_session():
        _make_backbone(name).export(path, format="tf_saved_model", verbose=False)


def inputs_hub(name, exported, seed):
    _, _, kind, names = HUB[name]
    r = rng(seed, 30)
    enc = token_ids(seed, 2, SEQ, VOCAB)
    dec = token_ids(seed + 1000, 2, DEC, VOCAB, lengths=[DEC, 5])
    if not exported:
        if kind in ("encoder", "decoder"):
            return {"token_ids": enc}
        if kind == "seq2seq":
            return {"encoder_token_ids": enc, "decoder_token_ids": dec}
        if kind == "speech":
            return {"log_mel": r.normal(-2.0, 2.0, (2, MEL_T, N_MELS)).astype(np.float32), "decoder_token_ids": dec}
        return {"images": images(seed, 2, IMG, IMG)}
    # Keras' export: the backbone's own inputs.
    feed = {"token_ids": enc, "padding_mask": (enc != 0).astype(np.int32), "segment_ids": np.zeros_like(enc),
            "encoder_token_ids": enc, "encoder_padding_mask": (enc != 0).astype(np.int32),
            "decoder_token_ids": dec, "decoder_padding_mask": (dec != 0).astype(np.int32),
            "images": (images(seed, 2, IMG, IMG).astype(np.float32) / 127.5 - 1.0)}
    return {n: feed[n] for n in names}


def _hub_models():
    fast = {"bert", "gpt2_export"}
    out = []
    for name, (cls, _, kind, _) in HUB.items():
        out.append(CorpusModel(f"keras_hub.{name}", "keras_hub",
                               functools.partial(build_hub_aliased, name=name),
                               functools.partial(inputs_hub, name, False), fast=name in fast,
                               notes=f"{cls} ({kind}) in tpu_func"))
    for name in HUB_EXPORTED:
        cls = HUB[name][0]
        out.append(CorpusModel(f"keras_hub.{name}_export", "keras_hub",
                               functools.partial(build_hub_export, name=name),
                               functools.partial(inputs_hub, name, True), fast=f"{name}_export" in fast,
                               tpu_alias=None, notes=f"{cls} via Keras 3 model.export"))
    return out


# ---- keras_hub text classifier with its tokenizer (tensorflow_text ops) in serve -------------
WORDPIECE = list(dict.fromkeys(  # unique tokens, first wins
    ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    + "the a movie film was is great good bad plot act ##ing ##s ##ed story music end boring fun".split()
    + list("abcdefghijklmnopqrstuvwxyz.!,") + ["##" + c for c in "abcdefghijklmnopqrstuvwxyz"]))


def build_hub_classifier(path):
    """keras_hub's BertTextClassifierPreprocessor (BertTokenizer: tensorflow_text wordpiece ops)
    runs in serve; tpu_func is BertTextClassifier without its preprocessor."""
    t = tf()
    hub = _hub()
    with keras_session():
        tokenizer = hub.models.BertTokenizer(vocabulary=WORDPIECE, lowercase=True)
        preprocessor = hub.models.BertTextClassifierPreprocessor(tokenizer, sequence_length=SEQ)
        backbone = hub.models.BertBackbone(**dict(_TEXT, vocabulary_size=len(WORDPIECE), max_sequence_length=SEQ))
        classifier = hub.models.BertTextClassifier(backbone, num_classes=3, preprocessor=None)
        _trained_scale(classifier, embeddings=False)
        specs = _specs(t, ("token_ids", "segment_ids", "padding_mask"))

        class Served(t.Module):
            def __init__(self):
                super().__init__()
                self.preprocessor = preprocessor
                self.classifier = classifier

            @t.function(input_signature=[specs])
            def tpu_func(self, inputs):
                return self.classifier(inputs, training=False)

            @t.function(input_signature=[t.TensorSpec([None], t.string)])
            def serve(self, text):
                x = self.preprocessor(text)
                logits = self.tpu_func({k: t.cast(v, t.int32) for k, v in x.items()})
                return {"logits": logits, "token_ids": x["token_ids"]}

        save_aliased(Served(), path)


def inputs_hub_classifier(seed):
    return {"text": sentences(seed, WORDPIECE[5:24], 2, 4, 10)}


# ---- Keras 3 models ------------------------------------------------------------------------
def _convnext_like(k):
    L = k.layers

    class LayerScale(L.Layer):
        def __init__(self, init, **kw):
            super().__init__(**kw)
            self.init = init

        def build(self, shape):
            self.gamma = self.add_weight(shape=(shape[-1],), initializer=k.initializers.Constant(self.init))

        def call(self, x):
            return x * self.gamma

    def block(x, dim):
        h = L.DepthwiseConv2D(7, padding="same")(x)
        h = L.LayerNormalization(epsilon=1e-6)(h)
        h = L.Dense(4 * dim, activation="gelu")(h)
        h = L.Dense(dim)(h)
        return L.Add()([x, LayerScale(0.5)(h)])

    inp = k.Input((IMG, IMG, 3), name="images")
    x = L.Conv2D(24, 4, strides=4)(inp)
    x = L.LayerNormalization(epsilon=1e-6)(x)
    x = block(block(x, 24), 24)
    x = L.LayerNormalization(epsilon=1e-6)(x)
    x = L.Conv2D(48, 2, strides=2)(x)
    x = block(x, 48)
    x = L.LayerNormalization(epsilon=1e-6)(L.GlobalAveragePooling2D()(x))
    return k.Model(inp, L.Dense(10)(x), name="convnext_like")


def _mobilenet_v3(k):
    net = k.applications.MobileNetV3Small(input_tensor=k.Input((IMG, IMG, 3), name="images"),
                                          weights=None, classes=10,
                                          classifier_activation=None, include_preprocessing=True)
    calibrate_batchnorm(net, images(1000, 16, IMG, IMG).astype(np.float32), k.layers.BatchNormalization)
    return net


def build_keras_image(path, make, normalize):
    t = tf()
    with keras_session() as k:
        net = make(k)

        class ImageClassifier(t.Module):
            def __init__(self):
                super().__init__()
                self.model = net

            @t.function(input_signature=[t.TensorSpec([None, IMG, IMG, 3], t.float32)])
            def tpu_func(self, x):
                return self.model(x, training=False)

            @t.function(input_signature=[t.TensorSpec([None, IMG, IMG, 3], t.uint8)])
            def serve(self, images):
                x = t.cast(images, t.float32)
                if normalize:  # ImageNet mean/std, as ConvNeXt-style models expect
                    x = (x / 255.0 - [0.485, 0.456, 0.406]) / [0.229, 0.224, 0.225]
                logits = self.tpu_func(x)
                return {"logits": logits, "probs": t.nn.softmax(logits)}

        save_aliased(ImageClassifier(), path)


def build_keras_image_export(path, make):
    with keras_session() as k:
        make(k).export(path, format="tf_saved_model", verbose=False)


def inputs_keras_image(seed):
    return {"images": images(seed, 2, IMG, IMG)}


def inputs_keras_image_export(seed):
    return {"images": images(seed, 2, IMG, IMG).astype(np.float32)}


K_VOCAB, K_LEN = 300, 16


def build_keras_rnn(path):
    t = tf()
    with keras_session() as k:
        L = k.layers
        ids = k.Input((K_LEN,), dtype="int32", name="token_ids")
        x = L.Embedding(K_VOCAB, 24, mask_zero=True,  # trained-like magnitude (default +-0.05)
                        embeddings_initializer=k.initializers.RandomNormal(stddev=0.5))(ids)
        x = L.Bidirectional(L.LSTM(16, return_sequences=True))(x)
        x = L.GRU(16)(x)
        net = k.Model(ids, L.Dense(3)(x), name="rnn")

        class TextClassifier(t.Module):
            def __init__(self):
                super().__init__()
                self.model = net

            @t.function(input_signature=[t.TensorSpec([None, K_LEN], t.int32)])
            def tpu_func(self, ids):
                return self.model(ids, training=False)

            @t.function(input_signature=[t.TensorSpec([None, K_LEN], t.int32)])
            def serve(self, token_ids):
                logits = self.tpu_func(token_ids)
                return {"logits": logits, "probs": t.nn.softmax(logits)}

        save_aliased(TextClassifier(), path)


def inputs_keras_rnn(seed):
    return {"token_ids": token_ids(seed, 3, K_LEN, K_VOCAB, lengths=[16, 9, 4])}


def build_keras_functional_export(path):
    """A two-input tabular model (Normalization with constant statistics, Embedding, Dense),
    exported with Keras 3's model.export."""
    with keras_session() as k:
        L = k.layers
        num = k.Input((6,), name="numeric")
        cat = k.Input((3,), dtype="int32", name="categories")
        x = L.Normalization(mean=[1.0, 10.0, 0.0, 5.0, 100.0, 0.5],
                            variance=[1.0, 25.0, 4.0, 9.0, 2500.0, 0.25])(num)
        e = L.Flatten()(L.Embedding(50, 4)(cat))
        x = L.Dense(32, activation="relu")(L.Concatenate()([x, e]))
        x = L.Dense(16, activation="relu")(L.Dropout(0.1)(x))
        model = k.Model({"numeric": num, "categories": cat}, L.Dense(3, activation="softmax")(x))
        model.export(path, format="tf_saved_model", verbose=False)


def inputs_keras_functional(seed):
    r = rng(seed, 31)
    num = r.normal([1.0, 10.0, 0.0, 5.0, 100.0, 0.5], [1.0, 5.0, 2.0, 3.0, 50.0, 0.5], (3, 6))
    return {"numeric": num.astype(np.float32), "categories": r.integers(0, 50, (3, 3)).astype(np.int32)}


MODELS = [
    CorpusModel("keras.convnext_like", "keras",
                functools.partial(build_keras_image, make=_convnext_like, normalize=True),
                inputs_keras_image, fast=True, notes="depthwise 7x7, LayerNorm, GELU MLP, layer scale"),
    CorpusModel("keras.functional_export", "keras", build_keras_functional_export, inputs_keras_functional,
                fast=True, tpu_alias=None, notes="Keras 3 model.export, dict inputs, Normalization"),
    CorpusModel("keras.mobilenet_v3_small", "keras",
                functools.partial(build_keras_image, make=_mobilenet_v3, normalize=False),
                inputs_keras_image, notes="keras.applications.MobileNetV3Small 32x32"),
    CorpusModel("keras.mobilenet_v3_small_export", "keras",
                functools.partial(build_keras_image_export, make=_mobilenet_v3),
                inputs_keras_image_export, tpu_alias=None, notes="MobileNetV3Small via model.export"),
    CorpusModel("keras.rnn", "keras", build_keras_rnn, inputs_keras_rnn,
                notes="Keras 3 Embedding(mask_zero) + Bidirectional LSTM + GRU"),
] + _hub_models() + [
    CorpusModel("keras_hub.bert_classifier", "keras_hub", build_hub_classifier, inputs_hub_classifier,
                custom_op_modules=("tensorflow_text",),
                notes="BertTextClassifierPreprocessor (wordpiece) in serve, BertTextClassifier in tpu_func"),
]
