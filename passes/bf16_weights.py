"""bf16-weights: store float32 weight constants as bfloat16 (half the bytes), computed in float32.

    bf16-weights{min-elements=1024 weights=__inference_serve_12/MatMul/ReadVariableOp}

Candidates are float32 `Const` ops of library functions (frozen weights: run
`freeze-variables` first to reach variables) with rank >= 2 and at least `min-elements`
elements; a non-empty `weights` list restricts the pass to the constants it names as
`function/node` (compiler/compression.py chooses the storage per weight this way).

Each candidate becomes a bfloat16 constant `<node>/bf16` (rounded to nearest even, as
TensorFlow's Cast and ml_dtypes round) and a `Cast` to float32 that takes over the node name,
device, control inputs and users: the model computes in float32 as before, on values within
2^-9 relative of the original ones (bfloat16 keeps 8 significant bits, float32's exponent
range). Grappler's constant folding folds the Cast when TensorFlow instantiates the
function (results up to its 10 MiB constant limit), XLA clusters fold it too, so the
float kernels run unchanged. Computing in bfloat16 is `bf16-convert`'s business; this pass
only halves the stored bytes.

Statistics: constants converted and their elements.
"""
from __future__ import annotations

import ml_dtypes
import numpy as np

from smopt.ir import types as T
from smopt.ir.attributes import DenseElements
from smopt.ir.builder import Builder

from smopt.passes.framework.registry import FunctionPass, PassError, option, register


def bf16_round(a):
    """`a` (float32) rounded to bfloat16 and widened back: the values the converted model reads."""
    return np.asarray(a, np.float32).astype(ml_dtypes.bfloat16).astype(np.float32)


@register
class Bf16Weights(FunctionPass):
    name = "bf16-weights"
    title = "Bf16Weights"
    summary = "Store float32 weight constants as bfloat16 (a Cast back to float32 in front of their users)"
    min_elements: int = option(1024, "only constants with at least this many elements")
    weights: list[str] = option([], "only these constants, as function/node (empty: every candidate)")
    statistics = {
        "num-constants": "Number of float32 constants stored as bfloat16",
        "num-elements": "Number of elements in them",
    }

    def initialize(self, module):
        if self.min_elements < 0:
            raise PassError(f"min-elements must be >= 0, got {self.min_elements}")
        self.selected = set(self.weights)

    def run_on_function(self, fn):
        for op in list(fn.ops):
            if op.type != "Const" or op.operands or len(op.results) != 1:
                continue
            dense = op.attrs.get("value")
            if not isinstance(dense, DenseElements) or dense.type.element is not T.float32:
                continue
            shape = dense.type.shape
            if shape is None or len(shape) < 2 or dense.array.size < max(self.min_elements, 1):
                continue
            if self.selected and f"{fn.name}/{op.name}" not in self.selected:
                continue
            self._convert(fn, op, dense)
            self.bump("num-constants")
            self.bump("num-elements", dense.array.size)

    @staticmethod
    def _convert(fn, op, dense):
        name = op.name
        b = Builder.before(op)
        low = b.const(np.asarray(dense.array, np.float32).astype(ml_dtypes.bfloat16), name + "/bf16",
                      T.bfloat16, device=op.device)
        cast = b.create("Cast", [low.results[0]], [dense.type], {"SrcT": T.bfloat16, "DstT": T.float32,
                                                                "Truncate": False},
                        name + "/cast", device=op.device)
        op.results[0].replace_all_uses_with(cast.results[0])
        op.control.replace_all_uses_with(cast.control)
        for c in list(op.control_inputs):
            cast.add_control_input(c)
        op.erase()
        fn.rename_op(cast, name)
