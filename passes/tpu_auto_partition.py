"""tpu-auto-partition: make TPU functions of a model that has none (no function alias needed).

The optimized runtime's TPU containers "partition and optimize your models for TPUs
automatically" (seed 000). Most SavedModels (Keras `model.export`, tf_keras `model.save`,
TF Hub style modules) have no function alias to name in `tpu_functions`; this pass finds the
TPU functions itself, in the serving graph, so that the converter's pipeline (compatibility
check, bfloat16, batching, IO shapes, call stubs, report) then runs on them unchanged.
Run `inline` first: regions never span a call boundary (smopt-optimize --target_device tpu
and the converter's `auto_partition_options` do).

Regions are formed by xla-cluster's machinery for the TPU (passes/xla_cluster.py, reused
here, not a second algorithm):
1. candidates: ops the TPU op table (passes/analysis/xla_compat.py, the data tpu-compatibility-check
   uses) compiles, with no string/variant/quantized tensors, no resource results, resource
   operands only for variable reads (not hash tables: lookups stay on the CPU), no explicit
   device of another kind, no stateful RNG or Assert; calls, If/Case and While when every
   function they reach is compilable. Calls of existing TPU functions are not candidates;
2. cycle-safe edge contraction over the dataflow graph (data and control edges): two
   candidates merge only when no other path joins them (one through a CPU op would make the
   CPU op both follow and precede the region);
3. a region goes to the TPU when its cost (passes/analysis/cost_model.py, callees included) is at
   least `min-cost-percent` of the model's cost (the conversion report's total: every
   signature's entry function). Smaller regions stay on the CPU: a TPU call costs a launch and
   two host<->TPU transfers.

Functions examined: those the signatures run (callers first), except TPU functions, what
they reach and functions run inside a chosen region. Each chosen region is outlined (as
xla-cluster outlines a cluster: small constants copied in, control edges kept) into
`<function>_tpu_region_<k>`, called by a (Stateful)PartitionedCall `tpu_region_<k>` where its
ops were, and marked as a TPU function:

    smopt.tpu_function = true, smopt.tpu_selected_by = "tpu-auto-partition (97.51% of the
    model's cost)", smopt.tpu_auto_share = 97.51, smopt.tpu_auto_min_share = 1.0, _noinline = true

Why the rest stays on the CPU is recorded for the conversion report: every op left in an
examined function that costs something gets the IR-only attr `smopt.tpu_cpu_reason` (the
compatibility table's reason, e.g. "no XLA kernel for TPU (string op)", or "region below
1.00% of the model's cost"). `smopt.` attrs are never exported.
"""
from __future__ import annotations

import re

from smopt.passes.analysis.cost_model import CostModel
from smopt.passes.analysis.traits import SideEffects
from smopt.passes.framework.registry import PassError, option, register
from smopt.passes.tpu_conversion_report import _roots
from smopt.passes.tpu_select_functions import SELECTED_BY_ATTR, TPU_ATTR, is_tpu_function
from smopt.passes.analysis import xla_compat
from smopt.passes.xla_cluster import Compilability, XlaCluster, _callers_first, _sanitize_fn

AUTO_ATTR = "smopt.tpu_auto_share"
MIN_ATTR = "smopt.tpu_auto_min_share"
REASON_ATTR = "smopt.tpu_cpu_reason"
SELECTED_BY = "tpu-auto-partition"


class _TpuCompilability(Compilability):
    """xla-cluster's compilability for the TPU, refusing calls into existing TPU functions
    (they are TPU programs of their own)."""

    def function_reason(self, name, depth=0):
        if is_tpu_function(self.module.functions.get(name)):
            return "already a TPU function"
        return super().function_reason(name, depth)


def _short_types(text):
    """'operand of type tensor<?x1x!tf_type.string>' -> '... !tf_type.string': reasons group
    by what is wrong, not by shape."""
    return re.sub(r"tensor<(?:[?\d]+x)*([^<>]+)>", r"\1", text)


@register
class TpuAutoPartition(XlaCluster):
    name = "tpu-auto-partition"
    title = "TpuAutoPartition"
    summary = "Outline the TPU-compilable regions that carry enough of the model's cost into TPU functions"
    inherit_options = False  # xla-cluster's options are fixed by run(), not given
    min_cost_percent: float = option(
        1.0, "smallest share of the model's estimated cost (percent) a region needs to go to the TPU")
    statistics = {
        "num-clusters": "Number of regions outlined into TPU functions",
        "num-ops-clustered": "Number of ops moved to the TPU (functions they call included)",
        "num-small-regions": "Compilable regions left on the CPU (below min-cost-percent)",
    }

    def run(self, module):
        if not 0 <= self.min_cost_percent <= 100:
            raise PassError(f"min-cost-percent must be between 0 and 100 (got {self.min_cost_percent:g})")
        # What XlaCluster.find_clusters/outline read: every compilable region, cost decides.
        self.device, self.min_cluster_size, self.max_cluster_size = "tpu", 1, 0
        self.comp = _TpuCompilability(module, "tpu")
        self.effects = SideEffects(module)
        self._copy_names = {}
        cm = CostModel(module)
        roots = _roots(module)
        total = sum(cm.function_cost(r) for r in roots)
        cg = module.call_graph()
        reach = set(roots)
        for r in roots:
            reach |= cg.reachable(r)
        inside = set()      # TPU functions, what they reach, what chosen regions run
        for n, f in module.functions.items():
            if is_tpu_function(f):
                inside |= {n} | cg.reachable(n)
        k = sum(1 for f in module.functions.values() if AUTO_ATTR in f.attrs)
        for name in _callers_first(cg, [n for n in module.functions if n in reach]):
            fn = module.functions.get(name)
            if fn is None or name in inside or fn.attrs.get("_XlaMustCompile") is True:
                continue
            try:
                clusters = self.find_clusters(fn)
            except ValueError as e:  # an unreadable SMOPT_TPU_OPS_FILE
                raise PassError(str(e)) from None
            chosen, small = [], {}
            for ops in clusters:
                cost = sum(cm.op_cost(op) for op in ops)
                share = 100.0 * cost / total if total else 0.0
                if cost > 0 and share >= self.min_cost_percent:
                    chosen.append((ops, share))
                else:
                    self.bump("num-small-regions")
                    for op in ops:
                        small[id(op)] = share
            pending = {id(op) for ops, _ in chosen for op in ops}
            for ops, share in chosen:
                pending -= {id(op) for op in ops}
                for op in ops:
                    inside |= self.comp.reached_functions(op)
                self._outline_region(module, fn, ops, pending, share, k)
                k += 1
            self._record_cpu_reasons(module, fn, cm, small)

    def _outline_region(self, module, fn, ops, keep, share, k):
        body = self.outline(module, fn, ops, keep=keep)
        (call,) = [op for op in fn.ops if op.callee == body.name]
        new_name = module.unique_function_name(f"{_sanitize_fn(fn.name)}_tpu_region_{k}")
        module.rename_function(body.name, new_name)
        # A TPU function, not an XLA-on-CPU cluster: with --target cpu the call must run the
        # plain TF kernels (numerics as the original), on the TPU the stub compiles it.
        body.attrs = {"_noinline": True, TPU_ATTR: True,
                      SELECTED_BY_ATTR: f"{SELECTED_BY} ({share:.2f}% of the model's cost)",
                      AUTO_ATTR: round(share, 2), MIN_ATTR: float(self.min_cost_percent)}
        call.attrs.pop("_XlaMustCompile", None)
        fn.rename_op(call, fn.unique_op_name(f"tpu_region_{k}"))
        return body

    def _record_cpu_reasons(self, module, fn, cm, small):
        for op in fn.ops:
            if op.callee is not None and is_tpu_function(module.functions.get(op.callee)):
                continue
            if cm.own_cost(op) <= 0:
                continue
            if id(op) in small:
                why = f"region below {self.min_cost_percent:.2f}% of the model's cost"
            else:
                issues = xla_compat.op_issues(op, module, "tpu")
                why = issues[0] if issues else (self.comp.reason(op) or "not in a region")
            op.attrs[REASON_ATTR] = _short_types(why)


__all__ = ["TpuAutoPartition", "AUTO_ATTR", "MIN_ATTR", "REASON_ATTR", "SELECTED_BY"]
