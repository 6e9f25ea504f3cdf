"""xla-decluster: put chosen XLA clusters back into their callers (precompilation that does not pay).

    xla-decluster{clusters=__inference_serve_12_xla_cluster_0}

`xla-cluster` outlines each cluster into a function marked `_XlaMustCompile`, `_noinline`
and `smopt.xla_cluster`, called by one (Stateful)PartitionedCall. This pass inlines the
calls of the named cluster functions (every cluster function when `clusters` is empty) and
removes the functions: their ops run one by one on TensorFlow's own kernels again. Node
names inside the cluster were the caller's before outlining and get them back where they are
still free (otherwise they keep inline's `<call>/` prefix). Naming a function that is not an
XLA cluster is an error. smopt-optimize's measured precompilation (compiler/precompilation.py)
uses it for the clusters that made the model slower.

Statistics: clusters removed, call sites inlined.
"""
from __future__ import annotations

from smopt.passes.inline import inline_call
from smopt.passes.framework.registry import Pass, PassError, option, register


def is_cluster(fn):
    return fn is not None and fn.attrs.get("_XlaMustCompile") is True and fn.attrs.get("smopt.xla_cluster") is True


@register
class XlaDecluster(Pass):
    name = "xla-decluster"
    title = "XlaDecluster"
    summary = "Inline chosen xla-cluster functions back into their callers"
    clusters: list[str] = option([], "cluster functions to undo (empty: every cluster)")
    statistics = {
        "num-clusters-removed": "Number of cluster functions inlined back and removed",
        "num-calls-inlined": "Number of cluster calls inlined",
    }

    def run(self, module):
        names = list(self.clusters) or [n for n, f in module.functions.items() if is_cluster(f)]
        for n in names:
            if not is_cluster(module.functions.get(n)):
                raise PassError(f"@{n} is not an XLA cluster function of xla-cluster")
        chosen = set(names)
        for fn in list(module.functions.values()):
            if fn.name in chosen:
                continue
            for call in [op for op in fn.ops if op.callee in chosen]:
                callee = module.functions[call.callee]
                prefix = call.name + "/"
                for op in inline_call(call, callee):
                    if op.name.startswith(prefix):
                        short = op.name[len(prefix):]
                        if fn.unique_op_name(short) == short:
                            fn.rename_op(op, short)
                self.bump("num-calls-inlined")
        for n in names:
            module.remove_function(n)
            self.bump("num-clusters-removed")
