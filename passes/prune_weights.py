"""prune-weights: magnitude pruning of large weights (the runtime's allow_compression).

    prune-weights{sparsity=0.5 min-elements=1024 block=1 storage=auto exclude=embedding}
    prune-weights{sparsity=0.9 weights=dense/kernel,__inference_serve_12/MatMul/ReadVariableOp}

Weights are the model's trainable float variables (values through module.read_variable /
module.set_variable) and float `Const` ops in library functions (frozen weights) with rank
>= 2 and at least `min-elements` elements; biases, scalars and non-trainable variables
(batch-norm moving statistics, counters) are never touched, nor is the main graph, nor
anything whose variable path / node name matches an `exclude` regex (re.search). A
non-empty `weights` list restricts pruning to the weights it names exactly: a variable by
its object-graph path, a constant as `function/node` (compiler/compression.py chooses a
sparsity per weight this way, one prune-weights per level).

Each weight gets the `sparsity` fraction of its entries with the smallest magnitude set to
zero (exactly round(sparsity * size) of them; NaNs count as large). With `block=B > 1` whole
blocks of B consecutive entries along the last dimension are pruned, ranked by their mean
magnitude (structured sparsity that sparse kernels can exploit); a ragged last block is
ranked like the others.

Storage. Pruned weights stay dense with zeros: shapes, dtypes, checkpoint keys and the
kernels that read them do not change, zeros compress well (gzip of a 50%-pruned float32
variables file is about 40% smaller) and the `quantize` pass that allow_compression runs
next maps them to exact zeros. A SparseTensor (COO) form needs rank * index bytes per
non-zero on top of the value, so it only saves space at high sparsity: for a rank-2 float32
weight with int32 indices it is smaller only when fewer than 1/3 of the entries are
non-zero. `storage=auto` (default) therefore keeps variables dense and rewrites a pruned
*constant* as `SparseToDense(indices, shape, values, 0)` (node name kept) only where that
representation is smaller; `storage=dense` never does, `storage=sparse` always does (for
constants). Variables stay dense in every mode (a checkpoint variable cannot change shape
under its key).

Statistics: weights pruned, elements in them, elements zero afterwards, the achieved
sparsity in per mille, constants stored sparse; `self.report` lists each weight with its
sparsity before and after.
"""
from __future__ import annotations

import re

import numpy as np

from smopt.ir import types as T
from smopt.ir.attributes import DenseElements
from smopt.ir.builder import Builder

from smopt.passes.framework.registry import Pass, PassError, option, register


def prune_array(a, sparsity, block=1):
    """`a` with round(sparsity * n) of its entries (or blocks of `block` entries along the
    last axis) of smallest magnitude set to zero; same shape and dtype."""
    a = np.asarray(a)
    if a.size == 0 or sparsity <= 0:
        return a.copy()
    mag = np.abs(a.astype(np.float32))
    mag[np.isnan(mag)] = np.inf
    if block <= 1 or a.ndim == 0:
        k = int(round(sparsity * a.size))
        keep = np.ones(a.size, dtype=bool)
        if k > 0:
            keep[np.argpartition(mag.reshape(-1), k - 1)[:k]] = False
        keep = keep.reshape(a.shape)
    else:
        last = a.shape[-1]
        nb = -(-last // block)
        rows = mag.reshape(-1, last)
        padded = np.zeros((rows.shape[0], nb * block), np.float32)
        padded[:, :last] = rows
        counts = np.full(nb, block, np.float32)
        counts[-1] = last - (nb - 1) * block
        scores = padded.reshape(rows.shape[0], nb, block).sum(-1) / counts
        k = int(round(sparsity * scores.size))
        keep_blocks = np.ones(scores.size, dtype=bool)
        if k > 0:
            keep_blocks[np.argpartition(scores.reshape(-1), k - 1)[:k]] = False
        keep = np.repeat(keep_blocks.reshape(rows.shape[0], nb), block, axis=1)[:, :last]
        keep = keep.reshape(a.shape)
    out = np.where(keep, a, np.zeros((), a.dtype)).astype(a.dtype)
    return out


def sparse_bytes(a, index_bytes=4):
    """Bytes of a COO form of `a` (values + rank index entries per non-zero + shape)."""
    nnz = int(np.count_nonzero(a))
    return nnz * (a.dtype.itemsize + index_bytes * max(a.ndim, 1)) + 8 * a.ndim


def sparsity_of(a):
    return 1.0 - np.count_nonzero(a) / a.size if a.size else 0.0


@register
class PruneWeights(Pass):
    name = "prune-weights"
    title = "PruneWeights"
    summary = "Magnitude-prune large float weights (variables and constants) to a target sparsity"
    sparsity: float = option(0.5, "fraction of each weight's entries set to zero, in [0, 1)")
    min_elements: int = option(1024, "only weights with at least this many elements")
    block: int = option(1, "prune blocks of this many consecutive entries along the last dimension")
    storage: str = option(
        "auto", "constants: dense (zeros kept), sparse (SparseToDense), or auto "
        "(sparse where smaller); variables always stay dense", choices=("auto", "dense", "sparse"))
    exclude: list[str] = option([], "regexes (re.search) of variable paths / node names to leave alone")
    weights: list[str] = option(
        [], "only these weights: variable paths, or function/node of "
        "constants (empty: every candidate)")
    statistics = {
        "num-weights-pruned": "Number of weights pruned (variables and constants)",
        "num-variables-pruned": "Number of variables pruned",
        "num-constants-pruned": "Number of constants pruned",
        "num-constants-sparse": "Number of pruned constants stored as SparseToDense",
        "num-elements": "Number of elements in the pruned weights",
        "num-elements-zero": "Number of those elements that are zero after pruning",
        "sparsity-permille": "Achieved sparsity of the pruned weights, in per mille",
        "num-variables-unreadable": "Number of candidate variables without a value to read (IR text)",
    }

    def __init__(self, **values):
        super().__init__(**values)
        self.report = []  # (kind, name, shape, sparsity before, sparsity after, storage)

    def _check(self):
        if not 0.0 <= self.sparsity < 1.0:
            raise PassError(f"sparsity must be in [0, 1), got {self.sparsity}")
        if self.block < 1:
            raise PassError(f"block must be >= 1, got {self.block}")
        if self.min_elements < 0:
            raise PassError(f"min-elements must be >= 0, got {self.min_elements}")
        out = []
        for text in self.exclude:
            try:
                out.append(re.compile(text))
            except re.error as e:
                raise PassError(f"exclude '{text}': bad regular expression: {e}") from None
        return out

    def _candidate(self, ttype, names, excludes, key):
        if self.weights and key not in self._selected:
            return False
        if not isinstance(ttype.element, T.DType) or not ttype.dtype.is_float:
            return False
        if ttype.shape is None or len(ttype.shape) < 2 or not ttype.has_static_shape:
            return False
        if ttype.num_elements < max(self.min_elements, 1):
            return False
        return not any(r.search(n) for r in excludes for n in names if n)

    def run(self, module):
        excludes = self._check()
        self._selected = set(self.weights)
        for var in module.variables:
            if not var.trainable or not self._candidate(var.type, [var.path, var.name], excludes, var.path):
                continue
            try:
                value = np.asarray(module.read_variable(var))
            except LookupError:
                self.bump("num-variables-unreadable")
                continue
            pruned = prune_array(value, self.sparsity, self.block)
            module.set_variable(var, pruned)
            self._count("variable", var.path, value, pruned, "dense")
            self.bump("num-variables-pruned")
        for fn in module.functions.values():
            for op in list(fn.ops):
                if op.type != "Const" or len(op.results) != 1:
                    continue
                dense = op.attrs.get("value")
                if not isinstance(dense, DenseElements) or \
                        not self._candidate(dense.type, [op.name], excludes, f"{fn.name}/{op.name}"):
                    continue
                pruned = prune_array(dense.array, self.sparsity, self.block)
                storage = self._storage(pruned)
                if storage == "sparse":
                    self._to_sparse(fn, op, pruned)
                    self.bump("num-constants-sparse")
                else:
                    op.attrs["value"] = DenseElements(dense.type, pruned)
                self._count("constant", f"{fn.name}/{op.name}", dense.array, pruned, storage)
                self.bump("num-constants-pruned")
        total = self.stats["num-elements"]
        self.stats["sparsity-permille"] = int(round(1000 * self.stats["num-elements-zero"] / total)) if total else 0

    def _count(self, kind, name, before, after, storage):
        self.bump("num-weights-pruned")
        self.bump("num-elements", after.size)
        self.bump("num-elements-zero", after.size - int(np.count_nonzero(after)))
        self.report.append((kind, name, tuple(after.shape), sparsity_of(before), sparsity_of(after), storage))

    def _storage(self, pruned):
        if self.storage == "auto":
            return "sparse" if sparse_bytes(pruned) < pruned.nbytes else "dense"
        return self.storage

    @staticmethod
    def _to_sparse(fn, op, pruned):
        """Replace Const `op` by SparseToDense(indices, shape, values, 0) under its node name."""
        ttype = op.results[0].type
        idx = np.argwhere(pruned != 0).astype(np.int32)          # row-major: sorted, unique
        vals = pruned[tuple(idx.T)] if idx.size else np.zeros((0,), pruned.dtype)
        name = op.name
        b = Builder.before(op)
        consts = [b.const(idx, f"{name}/indices"),
                  b.const(np.asarray(pruned.shape, np.int32), f"{name}/shape"),
                  b.const(vals.astype(pruned.dtype), f"{name}/values", ttype.dtype),
                  b.const(np.zeros((), pruned.dtype), f"{name}/default", ttype.dtype)]
        sd = b.create("SparseToDense", [c.results[0] for c in consts], [ttype],
                      {"T": ttype.dtype, "Tindices": T.int32, "validate_indices": True}, name + "/sparse",
                      device=op.device)
        op.results[0].replace_all_uses_with(sd.results[0])
        op.control.replace_all_uses_with(sd.control)
        for c in list(op.control_inputs):
            sd.add_control_input(c)
        op.erase()
        fn.rename_op(sd, name)
