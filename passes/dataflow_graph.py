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

`function`: the function's name (`@f` or `f`; `graph` or `__graph__` for the main graph);
empty: the first signature's entry function. Analysis only: the IR is unchanged; the text
goes to stderr unless output=PATH is given, as with call-graph. Statistics count the nodes,
edges and groups drawn.
"""
from __future__ import annotations

from smopt.passes.analysis.graphviz import DataflowGraph, resolve_function
from smopt.passes.framework.output import write_text
from smopt.passes.framework.registry import Pass, PassError, option, register


@register
class DataflowGraphPrinter(Pass):
    name = "dataflow-graph"
    title = "DataflowGraphPrinter"
    summary = "Print one function's dataflow as Graphviz DOT (XLA clusters, devices, TPU calls grouped)"
    function: str = option("", "the function (empty: the first signature's entry; 'graph': the main graph)")
    format: str = option("dot", "output format", choices=("dot",))
    expand: bool = option(True, "show the ops of called XLA clusters, TPU functions and stubs "
                                "inside their group")
    output: str = option("-", "file to write, '-' for stderr")
    statistics = {
        "num-nodes": "Number of nodes drawn (ops, arguments, the return)",
        "num-edges": "Number of data and control edges drawn",
        "num-groups": "Number of XLA cluster, TPU function and TPU call stub groups drawn",
    }

    def run(self, module):
        fn = resolve_function(module, self.function)
        if fn is None:
            if self.function:
                raise PassError(f"no function @{self.function.lstrip('@')} in the module")
            raise PassError("the module has no signature and no main graph: name a function "
                            "with function=NAME")
        graph = DataflowGraph(module, fn, self.expand)
        text = graph.render()
        self.bump("num-nodes", len(graph.nodes))
        self.bump("num-edges", len(graph.edges))
        self.bump("num-groups", len(graph.groups))
        write_text(self.output, text)


__all__ = ["DataflowGraphPrinter"]
