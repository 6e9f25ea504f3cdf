"""call-graph: print the module's call graph (text or Graphviz DOT), aliases marked.

Analysis only: the IR is unchanged. Output goes to stderr unless output=PATH is given,
so that stdout stays the IR, as with mlir-opt's printing passes.
"""
from __future__ import annotations

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
        text = cg.to_dot() if self.format == "dot" else cg.to_text()
        write_text(self.output, text)
