"""The real-world corpus: SavedModels exported the way the converter's users export them.

Each entry is a `CorpusModel`. Builders are deterministic (fixed seeds, `weights=None`, no
downloads) and write a SavedModel whose serving signature `serving_default` takes the feed
returned by `inputs(seed)`. Where the model has a dense compute part, it is a `tf.function`
exported under the function alias `tpu_alias` and called by `serving_default`, with pre- and
post-processing (strings, lookups, tokenizers) outside it; models exported with a library's
own exporter (Keras 3 `model.export`, tf_keras `model.save`) have `tpu_alias=None`.

Libraries register their models in the modules of this package (`tf_core`, `tf_keras_models`,
`keras_models`, `tf_text_models`); `MODELS` collects them in a fixed order.

Tiers: `fast` models run in `bash tools/dev test`; the others run when the full corpus is
asked for (see README).
"""
from __future__ import annotations

import dataclasses
import importlib
import os
from typing import Callable

import numpy as np


@dataclasses.dataclass(frozen=True)
class CorpusModel:
    name: str                                   # "<library>.<model>", e.g. "tf_keras.mobilenet_v2"
    library: str                                # tf | tf_keras | keras | keras_hub | tf_text
    build: Callable[[str], None]                # writes the SavedModel into a new directory
    inputs: Callable[[int], dict[str, np.ndarray]]  # serving_default feed for a seed
    fast: bool = False                          # part of the CI subset
    tpu_alias: str | None = "tpu_func"          # function alias of the dense compute, if any
    custom_op_modules: tuple[str, ...] = ()     # import before loading (e.g. "tensorflow_text")
    signature: str = "serving_default"
    notes: str = ""


_MODULES = ("tf_core", "tf_keras_models", "keras_models", "tf_text_models")


def _collect() -> dict[str, CorpusModel]:
    out: dict[str, CorpusModel] = {}
    for mod in _MODULES:
        try:
            m = importlib.import_module(f"{__name__}.{mod}")
        except ModuleNotFoundError as e:
            if e.name == f"{__name__}.{mod}":
                continue
            raise
        for cm in m.MODELS:
            assert cm.name not in out, cm.name
            out[cm.name] = cm
    return out


MODELS: dict[str, CorpusModel] = _collect()


def build(name: str, root: str) -> str:
    """Build model `name` under `root` once (cached by directory) and return its path."""
    path = os.path.join(root, name)
    if not os.path.exists(os.path.join(path, "saved_model.pb")):
        tmp = path + ".building"
        import shutil
        shutil.rmtree(tmp, ignore_errors=True)
        MODELS[name].build(tmp)
        os.replace(tmp, path)
    return path


# Importing the CLI submodule `tests.corpus.build` rebinds the package attribute `build` to that
# module (which stays callable); the function stays reachable here.
_build = build
