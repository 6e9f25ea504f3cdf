"""dataflow-graph: print one function's dataflow as Graphviz DOT.

    smopt model -p 'dataflow-graph{function=__inference_serve_42 format=dot}' 2> serve.dot
    dot -Tsvg serve.dot -o serve.svg

Ops are boxes (node name, op type, callee), arguments and the return ellipses; data edges
are solid, control edges dashed. Coloured groups (DOT clusters): one per device of the
`device` attribute (cpu-gpu-placement's decisions), XLA clusters (calls of the functions
xla-cluster outlines, `_XlaMustCompile`; ops marked `_XlaCluster`), TPU functions
(TPUPartitionedCall, calls of `smopt.tpu_function` functions, ops of a TPU program marked
`_tpu_replicate`) and TPU call stubs. With `expand` (default) the group of such a call
shows the callee's ops, wired to the caller's values. Types and devices are tooltips.

`function`: the function's name (`@f` or `f`; `graph` for the main graph); empty: the first
signature's entry function. Analysis only: the IR is unchanged; the text goes to stderr
unless output=PATH is given, as with call-graph.
"""
from __future__ import annotations

from smopt.passes.analysis.graphviz import dataflow_dot, resolve_function
from smopt.passes.framework.output import write_text
from smopt.passes.framework.registry import Option, Pass, PassError, register


@register
class DataflowGraphPrinter(Pass):
    name = "dataflow-graph"
    title = "DataflowGraphPrinter"
    summary = "Print one function's dataflow as Graphviz DOT (XLA clusters, devices, TPU calls grouped)"
    options = (Option("function", str, "", "the function (empty: the first signature's entry; "
                                           "'graph': the main graph)"),
               Option("format", str, "dot", "output format", choices=("dot",)),
               Option("expand", bool, True, "show the ops of called XLA clusters, TPU functions "
                                            "and stubs inside their group"),
               Option("output", str, "-", "file to write, '-' for stderr"))

    def run(self, module):
        fn = resolve_function(module, self.function)
        if fn is None:
            if self.function:
                raise PassError(f"no function @{self.function.lstrip('@')} in the module")
            raise PassError("the module has no signature and no main graph: name a function "
                            "with function=NAME")
        write_text(self.output, dataflow_dot(module, fn, self.expand))


__all__ = ["DataflowGraphPrinter"]
