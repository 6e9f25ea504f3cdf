"""call-graph: print the module's call graph (text or Graphviz DOT).

Marked: signature entries, function aliases, TPU functions, TPU call stubs and XLA clusters
(in the DOT form as colours, see passes/analysis/graphviz.py; TPU calls and calls into XLA
clusters are coloured edges).

Analysis only: the IR is unchanged. Output goes to stderr unless output=PATH is given,
so that stdout stays the IR, as with mlir-opt's printing passes.
"""
from __future__ import annotations

from smopt.passes.analysis.graphviz import call_graph_dot, function_marks
from smopt.passes.framework.output import write_text
from smopt.passes.framework.registry import Pass, option, register


@register
class CallGraphPrinter(Pass):
    name = "call-graph"
    title = "CallGraphPrinter"
    summary = "Print the call graph as text or Graphviz DOT"
    format: str = option("text", "output format", choices=("text", "dot"))
    output: str = option("-", "file to write, '-' for stderr")

    def run(self, module):
        cg = module.call_graph()
        text = call_graph_dot(module) if self.format == "dot" else cg.to_text(lambda n: function_marks(module.functions.get(n)))
        write_text(self.output, text)
