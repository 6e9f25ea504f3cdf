"""Helpers shared by the corpus builders: lazy imports, the aliased export, asset files, feeds.

TensorFlow and the Keras libraries are imported inside the builders only, so that listing the
corpus (and loading a built model with only its custom-op modules imported) stays cheap.
"""
from __future__ import annotations

import contextlib
import os
import shutil
import tempfile

import numpy as np


def tf():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf
    return tf


def tf_keras():
    tf()
    import tf_keras
    return tf_keras


def keras():
    """Keras 3 on the TensorFlow backend (the only backend a SavedModel can come from)."""
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    tf()
    import keras
    if keras.backend.backend() != "tensorflow":
        raise RuntimeError(f"the corpus needs KERAS_BACKEND=tensorflow, not {keras.backend.backend()}")
    return keras


@contextlib.contextmanager
def _session(k, seed):
    """`k` (tf_keras or Keras 3) with fixed seeds; its global graph and naming state is freed after."""
    k.backend.clear_session()
    k.utils.set_random_seed(seed)
    try:
        yield k
    finally:
        k.backend.clear_session()


def tf_keras_session(seed: int = 0):
    return _session(tf_keras(), seed)


def keras_session(seed: int = 0):
    return _session(keras(), seed)


def save_aliased(module, path: str, alias: str = "tpu_func", serve: str = "serve") -> None:
    """The converter users' export: `serving_default` = module.serve, `alias` names module.<alias>."""
    t = tf()
    t.saved_model.save(module, path,
                       signatures={"serving_default": getattr(module, serve).get_concrete_function()},
                       options=t.saved_model.SaveOptions(function_aliases={alias: getattr(module, alias)}))


@contextlib.contextmanager
def asset_files(**files: list[str]):
    """Text files (one entry a line) in a temporary directory: {name: path}. `tf.saved_model.save`
    copies the ones a table or layer uses into the SavedModel's assets/; the directory goes after."""
    d = tempfile.mkdtemp(prefix="smopt-corpus-")
    try:
        paths = {}
        for name, lines in files.items():
            paths[name] = os.path.join(d, f"{name}.txt")
            with open(paths[name], "w", encoding="utf-8") as f:
                f.write("\n".join(lines) + "\n")
        yield paths
    finally:
        shutil.rmtree(d, ignore_errors=True)


def hold_keras(module, model, attach: bool) -> None:
    """Make a tf_keras model callable as `module.net`.

    attach=True tracks the model itself (`module.model`), as users typically do: the SavedModel
    then also holds Keras' metadata and one traced function per layer. attach=False tracks only
    its variables: the exported signatures and aliased function are the same, saving is 3-5x
    faster and the SavedModel smaller (used for most applications to keep the corpus quick)."""
    module.__dict__["net"] = model  # untracked: bypasses AutoTrackable.__setattr__
    if attach:
        module.model = model
    else:
        module.net_variables = list(model.variables)


def calibrate_batchnorm(model, batch, bn_class) -> int:
    """Set every BatchNormalization's moving statistics to those of one training-mode pass over
    `batch` (momentum 0 for that pass). Freshly initialized statistics (mean 0, variance 1) make
    deep random networks vanish or explode (EfficientNetB0's logits are ~1e-6, MobileNetV3's
    ~1e-11), which makes every relative-error check vacuous; calibrated ones give O(1)
    activations that depend on the input, as in a trained model. Returns the number of layers."""
    layers = [l for l in model._flatten_layers(include_self=False) if isinstance(l, bn_class)]
    saved = [l.momentum for l in layers]
    for l in layers:
        l.momentum = 0.0
    try:
        model(batch, training=True)
    finally:
        for l, m in zip(layers, saved):
            l.momentum = m
    return len(layers)


def rng(seed: int, salt: int = 0) -> np.random.Generator:
    return np.random.default_rng([seed, salt])


def token_ids(seed: int, batch: int, seq: int, vocab: int, lengths=None, dtype=np.int32, start: int = 1):
    """Token ids in [start, vocab), zero-padded after each row's length (default: full, then 2/3)."""
    r = rng(seed, 1)
    ids = r.integers(start, vocab, size=(batch, seq)).astype(dtype)
    if lengths is None:
        lengths = [seq if i % 2 == 0 else max(1, (2 * seq) // 3) for i in range(batch)]
    for i, n in enumerate(lengths):
        ids[i, n:] = 0
    return ids


def sentences(seed: int, words: list[str], batch: int, min_len: int = 3, max_len: int = 9,
              extra: tuple[str, ...] = ("zyzzyva", "Quokka!", "naïve", "42")) -> np.ndarray:
    """`batch` sentences of vocabulary words with some out-of-vocabulary ones, as np bytes."""
    r = rng(seed, 2)
    pool = list(words) + list(extra)
    out = []
    for _ in range(batch):
        n = int(r.integers(min_len, max_len + 1))
        toks = [pool[int(i)] for i in r.integers(0, len(pool), size=n)]
        if r.random() < 0.5:
            toks[0] = toks[0].capitalize()
        out.append((" ".join(toks) + ".").encode("utf-8"))
    return np.array(out, dtype=object)


def images(seed: int, batch: int, h: int, w: int, c: int = 3) -> np.ndarray:
    """uint8 images with structure (gradients plus noise), not flat noise."""
    r = rng(seed, 3)
    yy, xx = np.meshgrid(np.linspace(0, 1, h), np.linspace(0, 1, w), indexing="ij")
    out = np.empty((batch, h, w, c), np.float64)
    for b in range(batch):
        for ch in range(c):
            a, bb, ph = r.uniform(0.5, 3.0, size=3)
            out[b, :, :, ch] = 0.5 + 0.35 * np.sin(2 * np.pi * (a * xx + bb * yy) + ph)
    out += r.normal(0, 0.08, size=out.shape)
    return (np.clip(out, 0, 1) * 255).round().astype(np.uint8)


def audio(seed: int, batch: int, n: int, rate: int = 16000) -> np.ndarray:
    """float32 waveforms in [-1, 1]: a few tones with noise."""
    r = rng(seed, 4)
    t = np.arange(n) / rate
    out = np.zeros((batch, n))
    for b in range(batch):
        for f in r.uniform(100, 4000, size=3):
            out[b] += r.uniform(0.1, 0.4) * np.sin(2 * np.pi * f * t + r.uniform(0, 6.28))
        out[b] += r.normal(0, 0.02, size=n)
    return out.astype(np.float32)
