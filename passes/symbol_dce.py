"""symbol-dce: drop functions that no entry point reaches.

Entry points: the main graph, signature functions, aliased functions and (unless
keep-exported=false) functions the SavedModel's object graph exports.
"""
from __future__ import annotations

from smopt.passes.framework.registry import Option, Pass, register


@register
class SymbolDCE(Pass):
    name = "symbol-dce"
    title = "SymbolDCE"
    summary = "Remove functions unreachable from the graph, signatures, aliases and exports"
    options = (Option("keep-exported", bool, True, "treat functions the object graph exports as roots"),)
    statistics = (("num-dce'd", "Number of functions removed"),)

    def run(self, module):
        cg = module.call_graph()
        roots = cg.roots()
        if not self.keep_exported:
            roots -= {n for n, f in module.functions.items()
                      if f.attrs.get("tf_saved_model.exported")
                      and n not in module.aliases.values()
                      and all(s.function != n for s in module.signatures.values())}
        live = set(roots)
        for r in roots:
            live |= cg.reachable(r)
        for name in [n for n in module.functions if n not in live]:
            module.remove_function(name)
            self.bump("num-dce'd")
