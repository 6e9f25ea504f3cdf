"""share-constants: store a large constant that several places hold once, in a function they call.

    share-constants{min-bytes=1024}

`freeze-variables` turns every function's read of a variable into its own constant: a model
whose weights are read by many functions (a Keras SavedModel has a call function per layer,
its `call_and_return_conditional_losses`, the model's call, the signature wrappers, ...)
would store each weight several times. This pass groups equal constants (same type and bytes,
at least `min-bytes` bytes, no control inputs) of the library functions; a group of two or
more becomes one function `smopt_shared_constant_<n>` without arguments that returns the
value, and each copy a `PartitionedCall` of it under the copy's node name and device (control
users wait on the call). The value is then stored once.

Nothing changes at run time: Grappler's function inlining puts the constant back into each
caller when TensorFlow instantiates a function, and constant folding then folds what depends
only on it (a dequantization Cast/Mul, a bfloat16 Cast) as before.

Statistics: groups shared, copies replaced, bytes saved.
"""
from __future__ import annotations

from smopt.ir import types as T
from smopt.ir.attributes import DenseElements, FuncAttr
from smopt.ir.builder import Builder
from smopt.ir.core import Function

from smopt.passes.framework.registry import Pass, PassError, option, register


def _nbytes(dense):
    elem = dense.type.element
    storage = elem.storage if isinstance(elem, T.QuantizedType) else elem
    if storage is T.string or dense.array.dtype == object:
        return None
    return dense.array.size * (storage.itemsize or dense.array.itemsize)


@register
class ShareConstants(Pass):
    name = "share-constants"
    title = "ShareConstants"
    summary = "Store equal large constants of several functions once, in a function they call"
    min_bytes: int = option(1024, "only constants of at least this many bytes")
    statistics = {
        "num-groups": "Number of constants stored once instead of several times",
        "num-copies-replaced": "Number of constant copies replaced by calls",
        "bytes-saved": "Bytes of constant data no longer stored",
    }

    def run(self, module):
        if self.min_bytes < 1:
            raise PassError(f"min-bytes must be >= 1, got {self.min_bytes}")
        groups = {}
        for fn in list(module.functions.values()):
            for op in fn.ops:
                if op.type != "Const" or op.operands or op.control_inputs or len(op.results) != 1:
                    continue
                dense = op.attrs.get("value")
                if not isinstance(dense, DenseElements):
                    continue
                nbytes = _nbytes(dense)
                if nbytes is None or nbytes < self.min_bytes:
                    continue
                groups.setdefault((dense.type, dense.raw_bytes()), []).append((fn, op, nbytes))
        for members in groups.values():
            if len(members) < 2:
                continue
            fn0, op0, nbytes = members[0]
            name = module.unique_function_name(f"smopt_shared_constant_{self.stats['num-groups']}")
            body = Function(name, module)
            value = Builder.at_end(body).clone(op0, {}, "value", uniquify=False)
            value.device = ""
            body.set_returns([value.results[0]], ["output_0"])
            module.add_function(body)
            for fn, op, _ in members:
                ttype = op.results[0].type
                call = Builder.before(op).create("PartitionedCall", [], [ttype],
                                                 {"Tin": [], "Tout": [_storage(ttype)], "f": FuncAttr(name)},
                                                 name=op.name + "/shared", device=op.device)
                op.results[0].replace_all_uses_with(call.results[0])
                op.control.replace_all_uses_with(call.control)
                node = op.name
                op.erase()
                fn.rename_op(call, node)
                self.bump("num-copies-replaced")
            self.bump("num-groups")
            self.bump("bytes-saved", nbytes * (len(members) - 1))


def _storage(ttype):
    elem = ttype.element
    return elem.storage if isinstance(elem, T.QuantizedType) else elem
